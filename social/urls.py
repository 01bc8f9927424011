from django.urls import path
from rest_framework.routers import SimpleRouter

from social.api import CommentViewSet, FeedView, PostViewSet

router = SimpleRouter()
router.register("posts", PostViewSet, basename="post")
router.register("comments", CommentViewSet, basename="comment")

urlpatterns = [
    path("feed/", FeedView.as_view(), name="feed"),
    *router.urls,
]
