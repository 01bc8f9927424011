"""Hostile frames on the shared consumer: nesting bombs, and exceptions that escape a handler.

Whatever way a socket ends, its presence entry, groups and heartbeat are released exactly once
(a leaked entry counted against room capacity and the per-user socket cap for minutes).
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import override_settings
from django.urls import path

from realtime import closecodes
from realtime.auth import websocket_stack
from realtime.consumers import USER_SCOPE, BaseConsumer, handles
from realtime.events import Event, event
from realtime.groups import connection_group
from realtime.jsonlimits import JSONTooDeep, check_depth, exceeds_depth, loads
from realtime.presence import get_presence_store
from realtime.testing import nested, recursion_bomb, recv, send

pytestmark = [pytest.mark.django_db(transaction=True)]


@event("whoami")
class WhoAmI(Event):
    conn: str


NESTED = recursion_bomb()


class FragileConsumer(BaseConsumer):
    """Counts its `on_disconnect` calls; `boom` raises in a handler, `explode` in a group-event handler."""

    disconnects: list[str] = []

    @handles("boom")
    async def on_boom(self, data: dict[str, Any]) -> None:
        raise RuntimeError("a bug in a handler")

    @handles("whoami")
    async def on_whoami(self, data: dict[str, Any]) -> None:
        await self.send_event(WhoAmI(conn=self.connection_id))

    async def explode(self, message: dict[str, Any]) -> None:
        raise KeyError("a bug outside the frame handlers")

    async def on_disconnect(self, code: int) -> None:
        FragileConsumer.disconnects.append(self.connection_id)


app = websocket_stack(URLRouter([path("ws/fragile/", FragileConsumer.as_asgi())]))


@pytest.fixture
def user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="fragile", password="x-very-secret")


@pytest.fixture(autouse=True)
def _reset() -> None:
    FragileConsumer.disconnects = []


async def _open(user: Any, token_for: Any) -> tuple[WebsocketCommunicator, str]:
    """A connected socket and its connection id."""
    token = await sync_to_async(token_for)(user)
    comm = WebsocketCommunicator(app, f"/ws/fragile/?token={token}")
    connected, _ = await comm.connect(timeout=5)
    assert connected
    await send(comm, "whoami", {})
    return comm, (await recv(comm))["data"]["conn"]


async def _connections(user: Any) -> int:
    return await get_presence_store().connection_count(USER_SCOPE, str(user.pk))


def test_depth_helpers() -> None:
    assert not exceeds_depth(nested(32), 32)
    assert exceeds_depth(nested(33), 32)
    assert not exceeds_depth({"a": [{"b": 1}], "c": [[1]]}, 3)
    assert exceeds_depth({"a": [{"b": [1]}]}, 3)
    check_depth(nested(32), limit=32)
    with pytest.raises(JSONTooDeep):
        check_depth(nested(33), limit=32)
    with pytest.raises(JSONTooDeep):
        loads(NESTED, limit=32)
    assert loads("[[1]]", limit=2) == [[1]]


async def test_nested_frame_gets_an_error_frame_and_the_socket_stays_usable(user: Any, token_for: Any) -> None:
    comm, _ = await _open(user, token_for)
    await comm.send_to(text_data=NESTED)
    frame = await recv(comm)
    assert frame["type"] == "error" and frame["data"]["code"] == "frame_too_deep", frame
    assert "32 levels" in frame["data"]["message"]
    # Just over the cap, without a RecursionError: refused the same way.
    await send(comm, "ping", {"x": nested(32)})
    assert (await recv(comm))["data"]["code"] == "frame_too_deep"
    # At the cap: accepted.
    await send(comm, "ping", {"x": nested(31)})
    assert (await recv(comm))["type"] == "pong"
    await send(comm, "ping", {"ts": 1})
    assert (await recv(comm)) | {"timestamp": None} == {"type": "pong", "data": {"ts": 1}, "timestamp": None}
    assert await _connections(user) == 1
    await comm.disconnect()
    assert await _connections(user) == 0


@override_settings(JSON_MAX_DEPTH=3)
async def test_depth_cap_is_a_setting(user: Any, token_for: Any) -> None:
    comm, _ = await _open(user, token_for)
    await send(comm, "ping", {"x": [[1]]})
    assert (await recv(comm))["type"] == "pong"
    await send(comm, "ping", {"x": [[[1]]]})
    assert (await recv(comm))["data"]["code"] == "frame_too_deep"
    await comm.disconnect()


async def test_presence_is_released_when_a_handler_raises(user: Any, token_for: Any) -> None:
    comm, _ = await _open(user, token_for)
    await send(comm, "boom", {})
    assert (await recv(comm))["data"]["code"] == "internal_error"
    assert (await comm.receive_output(timeout=5))["code"] == closecodes.INTERNAL_ERROR
    # Released at once: the client never acknowledged the close.
    assert await _connections(user) == 0
    assert len(FragileConsumer.disconnects) == 1
    await comm.disconnect()
    assert len(FragileConsumer.disconnects) == 1, "cleanup ran twice"


async def test_presence_is_released_when_an_exception_escapes_dispatch(user: Any, token_for: Any) -> None:
    comm, conn = await _open(user, token_for)
    assert await _connections(user) == 1
    # A group event whose handler raises: the exception escapes dispatch, not a frame handler.
    await get_channel_layer().group_send(connection_group(conn), {"type": "explode"})
    assert (await recv(comm))["data"]["code"] == "internal_error"
    assert (await comm.receive_output(timeout=5))["code"] == closecodes.INTERNAL_ERROR
    assert await _connections(user) == 0
    assert len(FragileConsumer.disconnects) == 1
    await comm.wait(timeout=5)  # the consumer has ended cleanly (no exception escaped it)
    assert len(FragileConsumer.disconnects) == 1


async def test_two_sockets_one_fails_the_other_keeps_the_user_online(user: Any, token_for: Any) -> None:
    first, _ = await _open(user, token_for)
    second, _ = await _open(user, token_for)
    assert await _connections(user) == 2
    await send(first, "boom", {})
    assert (await recv(first))["data"]["code"] == "internal_error"
    assert (await first.receive_output(timeout=5))["code"] == closecodes.INTERNAL_ERROR
    assert await _connections(user) == 1
    await send(second, "ping", {})
    assert (await recv(second))["type"] == "pong"
    await second.disconnect()
    await first.disconnect()
    assert await _connections(user) == 0
