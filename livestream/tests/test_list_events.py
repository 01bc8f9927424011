"""`stream_started` / `stream_ended` on every personal socket (the `/live/` list), which stays open."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from livestream import services
from realtime.personal import websocket_urlpatterns
from realtime.testing import open_socket, recv_type, socket_app

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(make_user, token_for):
    users = [make_user() for _ in range(2)]
    return [(user, token_for(user)) for user in users]


app = socket_app(websocket_urlpatterns)


async def test_stream_start_and_end_reach_a_strangers_personal_socket(people):
    (streamer, _), (_, stranger_token) = people
    sock = await open_socket(app, f"/ws/notifications/?token={stranger_token}")
    await recv_type(sock, "connection_established")
    stream = await database_sync_to_async(services.stream_create)(streamer=streamer, title="Hi")
    await database_sync_to_async(services.stream_start)(stream_id=stream.pk, user=streamer)
    started = await recv_type(sock, "stream_started")
    assert started["data"]["stream"]["id"] == stream.pk and started["data"]["stream"]["status"] == "live"
    await database_sync_to_async(services.stream_end)(stream_id=stream.pk, user=streamer)
    ended = await recv_type(sock, "stream_ended")
    assert ended["data"]["stream"]["status"] == "ended" and ended["data"]["reason"] == "ended_by_streamer"
    assert await sock.receive_nothing(timeout=0.3)  # still open: no close after the directory's stream_ended
    await sock.disconnect()
