"""Unit tests of the shared consumer: envelope, errors, limits, auth, presence."""

from __future__ import annotations

import json

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import override_settings
from django.urls import path
from rest_framework import serializers

from realtime import closecodes
from realtime.auth import websocket_stack
from realtime.consumers import BaseConsumer, handles
from realtime.events import Event, event
from realtime.groups import presence_group
from realtime.presence import get_presence_store
from realtime.publish import apublish
from realtime.testing import recv

pytestmark = [pytest.mark.django_db(transaction=True)]


@event("echo")
class Echo(Event):
    text: str


@event("note")
class Note(Event):
    n: int
    kind: str


class EchoSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10)


class EchoConsumer(BaseConsumer):
    @handles("echo", EchoSerializer)
    async def on_echo(self, data):
        await self.send_event(Echo(text=data["text"]))

    @handles("boom")
    async def on_boom(self, data):
        raise RuntimeError("kaboom")


class WatcherConsumer(BaseConsumer):
    async def on_connect(self):
        await self.join_group(presence_group(int(self.scope["url_route"]["kwargs"]["uid"])))


app = websocket_stack(
    URLRouter([path("ws/echo/", EchoConsumer.as_asgi()), path("ws/watch/<int:uid>/", WatcherConsumer.as_asgi())])
)


async def connect(token: str | None, path_: str = "/ws/echo/", headers=None, subprotocols=None):
    url = path_ + (f"?token={token}" if token else "")
    comm = WebsocketCommunicator(app, url, headers=headers or [], subprotocols=subprotocols)
    connected, subprotocol = await comm.connect()
    return comm, connected, subprotocol


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="echo", password="x-very-secret")


async def test_anonymous_socket_is_closed_with_4401():
    comm, connected, _ = await connect(None)
    assert connected
    frame = await recv(comm, 2)
    assert frame["type"] == "error" and frame["data"]["code"] == "unauthenticated"
    assert (await comm.receive_output(timeout=2))["code"] == closecodes.UNAUTHENTICATED


async def test_bad_token_is_closed_with_4401():
    comm, _, _ = await connect("not-a-jwt")
    await recv(comm, 2)
    assert (await comm.receive_output(timeout=2))["code"] == closecodes.UNAUTHENTICATED


async def test_bearer_subprotocol_is_answered_without_echoing_token(user, token_for):
    from asgiref.sync import sync_to_async

    token = await sync_to_async(token_for)(user)
    comm, connected, subprotocol = await connect(None, subprotocols=["bearer", token])
    assert connected
    assert subprotocol == "bearer"
    await comm.send_json_to({"type": "echo", "data": {"text": "hi"}})
    frame = await recv(comm, 2)
    assert frame["type"] == "echo" and frame["data"] == {"text": "hi"}
    assert frame["timestamp"].endswith("Z")
    await comm.disconnect()


async def test_bad_frames_get_error_frames_and_socket_stays_usable(user, token_for):
    from asgiref.sync import sync_to_async

    token = await sync_to_async(token_for)(user)
    comm, _, _ = await connect(token)
    cases = [
        ("{not json", "invalid_json"),
        (json.dumps([1, 2]), "invalid_frame"),
        (json.dumps({"type": "echo", "data": "x"}), "invalid_frame"),
        (json.dumps({"type": "nope", "data": {}}), "unknown_type"),
        (json.dumps({"type": "echo", "data": {"text": 5.5j if False else ["x"]}}), "invalid"),
        (json.dumps({"type": "echo", "data": {"text": "x" * 11}}), "invalid"),
        (json.dumps({"type": "echo", "data": {"text": "x" * 70000}}), "frame_too_large"),
    ]
    for raw, code in cases:
        await comm.send_to(text_data=raw)
        frame = await recv(comm, 2)
        assert frame["type"] == "error", raw
        assert frame["data"]["code"] == code, (raw, frame)
        assert frame["data"]["message"]
    await comm.send_json_to({"type": "ping", "data": {"ts": 1}})
    assert (await recv(comm, 2))["type"] == "pong"
    await comm.send_json_to({"type": "echo", "data": {"text": "still"}})
    assert (await recv(comm, 2))["data"] == {"text": "still"}
    await comm.disconnect()


async def test_unexpected_error_closes_with_1011(user, token_for):
    from asgiref.sync import sync_to_async

    token = await sync_to_async(token_for)(user)
    comm, _, _ = await connect(token)
    await comm.send_json_to({"type": "boom", "data": {}})
    frame = await recv(comm, 2)
    assert frame["data"]["code"] == "internal_error"
    assert (await comm.receive_output(timeout=2))["code"] == closecodes.INTERNAL_ERROR


@override_settings(WS_RATE_LIMIT_PER_SECOND=1, WS_RATE_LIMIT_BURST=2, WS_RATE_LIMIT_STRIKES=3)
async def test_rate_limit_errors_then_closes_4429(user, token_for):
    from asgiref.sync import sync_to_async

    token = await sync_to_async(token_for)(user)
    comm, _, _ = await connect(token)
    codes = []
    for _ in range(5):
        await comm.send_json_to({"type": "ping", "data": {}})
        codes.append((await recv(comm, 2))["type"])
    assert codes[:2] == ["pong", "pong"]
    assert codes[2:] == ["error", "error", "error"]
    assert (await comm.receive_output(timeout=2))["code"] == closecodes.TOO_MANY


@override_settings(WS_MAX_CONNECTIONS_PER_USER=2)
async def test_connection_cap_per_user(user, token_for):
    from asgiref.sync import sync_to_async

    token = await sync_to_async(token_for)(user)
    first, _, _ = await connect(token)
    second, _, _ = await connect(token)
    third, _, _ = await connect(token)
    assert (await recv(third, 2))["data"]["code"] == "too_many_connections"
    assert (await third.receive_output(timeout=2))["code"] == closecodes.TOO_MANY
    await first.disconnect()
    await second.disconnect()


@override_settings(ALLOWED_HOSTS=["localhost"])
async def test_foreign_origin_is_refused_and_own_origin_accepted(user, token_for):
    from asgiref.sync import sync_to_async

    token = await sync_to_async(token_for)(user)
    host = (b"host", b"localhost:8000")
    comm, connected, _ = await connect(token, headers=[(b"origin", b"http://evil.example"), host])
    assert not connected
    comm, connected, _ = await connect(token, headers=[(b"origin", b"http://localhost:8000"), host])
    assert connected
    await comm.disconnect()


async def test_presence_online_survives_second_tab_and_goes_offline_after_last(user, token_for, django_user_model):
    from asgiref.sync import sync_to_async

    other = await sync_to_async(django_user_model.objects.create_user)(username="watcher", password="x-very-secret")
    watcher, _, _ = await connect(await sync_to_async(token_for)(other), f"/ws/watch/{user.pk}/")
    token = await sync_to_async(token_for)(user)
    tab1, _, _ = await connect(token)
    assert (await recv(watcher, 2))["type"] == "user_online"
    tab2, _, _ = await connect(token)
    assert await get_presence_store().is_present("user", str(user.pk))
    await tab1.disconnect()
    assert await watcher.receive_nothing(timeout=0.3)
    await tab2.disconnect()
    frame = await recv(watcher, 2)
    assert frame["type"] == "user_offline" and frame["data"]["user_id"] == user.pk
    assert not await get_presence_store().is_present("user", str(user.pk))
    await watcher.disconnect()


async def test_group_events_respect_exclude_user_only_user_and_close_code(user, token_for, django_user_model):
    from asgiref.sync import sync_to_async

    other = await sync_to_async(django_user_model.objects.create_user)(username="second", password="x-very-secret")
    mine, _, _ = await connect(await sync_to_async(token_for)(user), f"/ws/watch/{user.pk}/")
    theirs, _, _ = await connect(await sync_to_async(token_for)(other), f"/ws/watch/{user.pk}/")
    for comm in (mine, theirs):  # a pong proves on_connect (group join) has finished
        await comm.send_json_to({"type": "ping", "data": {}})
        assert (await recv(comm, 2))["type"] == "pong"
    group = presence_group(user.pk)

    await apublish(group, Note(n=1, kind="for_others"), exclude_user=user.pk)
    assert (await recv(theirs))["data"]["kind"] == "for_others"
    assert await mine.receive_nothing(timeout=0.3)

    await apublish(group, Note(n=2, kind="for_me"), only_user=user.pk)
    assert (await recv(mine))["data"] == {"n": 2, "kind": "for_me"}
    assert await theirs.receive_nothing(timeout=0.3)

    await apublish(group, Note(n=3, kind="kicked"), only_user=other.pk, close_code=closecodes.FORBIDDEN)
    assert (await recv(theirs))["data"]["kind"] == "kicked"
    assert (await theirs.receive_output(timeout=2))["code"] == closecodes.FORBIDDEN
    await mine.send_json_to({"type": "ping", "data": {}})
    assert (await recv(mine, 2))["type"] == "pong", "the other socket is unaffected"
    await mine.disconnect()


@pytest.mark.parametrize(
    "refusal",
    [
        OSError("client disconnected"),  # uvicorn's ClientDisconnected: the ASGI spec's IOError
        RuntimeError(
            "Unexpected ASGI message 'websocket.send', after sending 'websocket.close' or response already completed."
        ),
    ],
)
async def test_a_frame_for_a_client_already_gone_is_dropped_not_raised(refusal):
    """uvicorn refuses sends once the client has closed; raising would kill the consumer before
    its disconnect() ran (presence and groups then left to their TTLs)."""
    consumer = EchoConsumer()

    async def refuse(message):
        raise refusal

    consumer.base_send = refuse
    consumer.closed = False
    await consumer.send(text_data="late group event")
    await consumer.send_event(Echo(text="late"))
    await consumer.close(code=closecodes.NORMAL)

    async def broken(message):  # any other failure is a bug and still raises
        raise RuntimeError("Expected ASGI message 'websocket.accept'")

    consumer.base_send = broken
    with pytest.raises(RuntimeError):
        await consumer.send(text_data="x")


async def test_one_heartbeat_per_process_closes_idle_sockets_with_4408_and_refreshes_the_others(user, token_for):
    import time

    from asgiref.sync import sync_to_async

    from realtime import heartbeat
    from realtime.groups import USER_SCOPE

    async def opened() -> WebsocketCommunicator:
        comm, _, _ = await connect(token)
        await comm.send_json_to({"type": "echo", "data": {"text": "hi"}})
        await recv(comm, 2)  # connect (and the heartbeat registration after it) is over
        return comm

    token = await sync_to_async(token_for)(user)
    quiet = await opened()
    (idle,) = heartbeat.beating()
    talking = [await opened() for _ in range(2)]
    sockets = heartbeat.beating()
    assert len(sockets) == 3 and heartbeat.heartbeat_tasks() == 1  # no task per socket
    alive = [s for s in sockets if s is not idle]
    idle.last_client_frame = time.monotonic() - settings.WS_IDLE_TIMEOUT_SECONDS - 1
    redis = get_presence_store().redis
    key = get_presence_store()._keys(USER_SCOPE, str(user.pk))[0]
    before = [float(await redis.zscore(key, s.connection_id)) for s in alive]
    await heartbeat.beat_once(sockets)
    after = [float(await redis.zscore(key, s.connection_id)) for s in alive]
    assert all(a > b for a, b in zip(after, before, strict=True))  # presence refreshed
    frame = await recv(quiet, 2)
    assert frame["type"] == "error" and frame["data"]["code"] == "idle_timeout"
    assert (await quiet.receive_output(timeout=2))["code"] == closecodes.IDLE_TIMEOUT
    for comm in talking:  # the others stay open
        await comm.send_json_to({"type": "echo", "data": {"text": "here"}})
        assert (await recv(comm, 2))["data"] == {"text": "here"}
        await comm.disconnect()
    assert heartbeat.beating() == []
