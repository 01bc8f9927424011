from django.urls import path
from rest_framework.routers import SimpleRouter

from social.api import CommentDetailView, FeedView, PostViewSet

router = SimpleRouter()
router.register("posts", PostViewSet, basename="post")

urlpatterns = [
    path("comments/<int:pk>/", CommentDetailView.as_view(), name="comment-detail"),
    path("feed/", FeedView.as_view(), name="feed"),
    *router.urls,
]
