"""All WebSocket routes, collected from the apps."""

from chat.routing import websocket_urlpatterns as chat_ws
from livestream.routing import websocket_urlpatterns as live_ws
from notifications.routing import websocket_urlpatterns as notifications_ws
from rtc.routing import websocket_urlpatterns as rtc_ws

websocket_urlpatterns = [*notifications_ws, *chat_ws, *live_ws, *rtc_ws]
