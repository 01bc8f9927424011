from django.urls import re_path

from rtc.consumers import RoomConsumer

# Permissive on purpose: the consumer validates the id and answers a bad one with
# an error frame and close 4404, instead of the router dropping the handshake.
websocket_urlpatterns = [
    re_path(r"^ws/rooms/(?P<room_id>[^/]*)/$", RoomConsumer.as_asgi()),
]
