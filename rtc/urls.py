from django.urls import path
from rest_framework.routers import SimpleRouter

from rtc import api

app_name = "rtc"

router = SimpleRouter()
router.register("rooms", api.RoomViewSet, basename="room")

urlpatterns = [
    *router.urls,
    path("config/", api.IceConfigView.as_view(), name="ice-config"),
]
