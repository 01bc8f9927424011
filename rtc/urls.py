from django.urls import path, re_path

from rtc import api

app_name = "rtc"

urlpatterns = [
    path("rooms/", api.RoomListView.as_view(), name="room-list"),
    re_path(r"^rooms/(?P<room_id>[^/]+)/participants/$", api.RoomParticipantsView.as_view(), name="room-participants"),
    path("config/", api.IceConfigView.as_view(), name="ice-config"),
]
