from django.urls import path
from rest_framework.routers import DefaultRouter

from livestream.api import BansView, ModeratorsView, StreamViewSet, VipsView

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("streams", StreamViewSet, basename="live-stream")

urlpatterns = [
    path("moderators/", ModeratorsView.as_view(), name="live-moderators"),
    path("vips/", VipsView.as_view(), name="live-vips"),
    path("bans/", BansView.as_view(), name="live-bans"),
    *router.urls,
]
