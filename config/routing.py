"""All WebSocket routes, collected from the core and the apps."""

from chat.routing import websocket_urlpatterns as chat_ws
from livestream.routing import websocket_urlpatterns as live_ws
from realtime.personal import websocket_urlpatterns as personal_ws
from rtc.routing import websocket_urlpatterns as rtc_ws

websocket_urlpatterns = [*personal_ws, *chat_ws, *live_ws, *rtc_ws]
