from django.urls import path, re_path

from rtc import api

app_name = "rtc"

# Room ids are matched loosely and validated by the view: a malformed one is a 404 with a message.
ROOM = r"^rooms/(?P<room_id>[^/]+)/"

urlpatterns = [
    path("rooms/", api.RoomListView.as_view(), name="room-list"),
    re_path(ROOM + r"$", api.RoomDetailView.as_view(), name="room-detail"),
    re_path(ROOM + r"invite/$", api.RoomInviteView.as_view(), name="room-invite"),
    re_path(ROOM + r"join/$", api.RoomJoinView.as_view(), name="room-join"),
    re_path(ROOM + r"participants/$", api.RoomParticipantsView.as_view(), name="room-participants"),
    re_path(ROOM + r"lobby/$", api.LobbyView.as_view(), name="room-lobby"),
    re_path(
        ROOM + r"lobby/(?P<user_id>[^/]+)/admit/$",
        api.LobbyDecisionView.as_view(decision="admit"),
        name="room-lobby-admit",
    ),
    re_path(
        ROOM + r"lobby/(?P<user_id>[^/]+)/deny/$",
        api.LobbyDecisionView.as_view(decision="deny"),
        name="room-lobby-deny",
    ),
    re_path(ROOM + r"kick/$", api.KickView.as_view(), name="room-kick"),
    re_path(ROOM + r"ban/$", api.BanView.as_view(), name="room-ban"),
    path("config/", api.IceConfigView.as_view(), name="ice-config"),
]
