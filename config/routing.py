"""All WebSocket routes, collected from the core and the apps."""

from django.urls import re_path

from chat.routing import websocket_urlpatterns as chat_ws
from livestream.routing import websocket_urlpatterns as live_ws
from realtime.notfound import unknown_websocket_path
from realtime.personal import websocket_urlpatterns as personal_ws
from rtc.routing import websocket_urlpatterns as rtc_ws

websocket_urlpatterns = [
    *personal_ws,
    *chat_ws,
    *live_ws,
    *rtc_ws,
    # Last: any other path is a 404 at the handshake (or close 4404), never "No route found".
    re_path(r"^.*$", unknown_websocket_path),  # type: ignore[arg-type]  # an ASGI app, as Channels allows
]
