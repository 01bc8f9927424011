"""The baseline for bench.chat_fanout: the Channels tutorial's chat consumer.

It accepts anyone, joins a group per room, and `group_send`s whatever text it
receives; no auth check, no database, no validation, no receipts. Whatever it
sustains on a server and channel layer is the ceiling for plain fan-out there.
"""

from __future__ import annotations

import json

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import path


class BaselineChatConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.room_group_name = f"baseline.{self.scope['url_route']['kwargs']['room']}"
        await self.channel_layer.group_add(self.room_group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.room_group_name, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        message = json.loads(text_data or "{}")["message"]
        await self.channel_layer.group_send(self.room_group_name, {"type": "chat.message", "message": message})

    async def chat_message(self, event: dict) -> None:
        await self.send(text_data=json.dumps({"message": event["message"]}))


websocket_urlpatterns = [path("ws/baseline/<slug:room>/", BaselineChatConsumer.as_asgi())]
