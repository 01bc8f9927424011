from django.urls import re_path

from rtc.consumers import RoomConsumer
from rtc.seed_consumers import GrtcRoomConsumer, Seed004RoomConsumer

# Permissive on purpose: the consumer validates the id and answers a bad one with
# an error frame and close 4404, instead of the router dropping the handshake.
websocket_urlpatterns = [
    re_path(r"^ws/rooms/(?P<room_id>[^/]*)/$", RoomConsumer.as_asgi()),
    # The seeds' sockets (rtc/seed_consumers.py): gRTC's /ws/<room_id> (no slash: /ws/<app>/ paths stay
    # the native ones) and seed 004's /webrtc/ws/<room_id>.
    re_path(r"^ws/(?P<room_id>[^/]+)$", GrtcRoomConsumer.as_asgi()),
    re_path(r"^webrtc/ws/(?P<room_id>[^/]+)/?$", Seed004RoomConsumer.as_asgi()),
]
