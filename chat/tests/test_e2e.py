"""End to end: real `websockets` clients against two real uvicorn processes on Redis and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from chat.models import Message
from chat.services import conversation_get_or_create_direct
from realtime import closecodes
from realtime.testing import nothing_of, recv_type, send

pytestmark = [pytest.mark.e2e]

WAIT = 15.0


def chat_url(server: Any, conversation_id: int, token: str, after: int | None = None) -> str:
    return f"{server.ws_url}/ws/chat/{conversation_id}/?token={token}" + (
        f"&after={after}" if after is not None else ""
    )


async def open_chat(server: Any, conversation_id: int, token: str, after: int | None = None) -> ClientConnection:
    ws = await connect(chat_url(server, conversation_id, token, after), open_timeout=WAIT)
    await recv_type(ws, "connection_established", timeout=WAIT)
    return ws


@contextlib.asynccontextmanager
async def both_open(server: Any, chat_pair: dict[str, Any]) -> AsyncIterator[tuple[ClientConnection, ClientConnection]]:
    """a's and b's sockets on their conversation, connected (in that order) and closed on exit."""
    cid = chat_pair["conversation"].pk
    async with (
        await open_chat(server, cid, chat_pair["token_a"]) as ws_a,
        await open_chat(server, cid, chat_pair["token_b"]) as ws_b,
    ):
        yield ws_a, ws_b


async def test_message_reaches_b_and_b_read_receipt_reaches_a(cluster, chat_pair):
    server = cluster.servers[0]
    cid = chat_pair["conversation"].pk
    async with both_open(server, chat_pair) as (ws_a, ws_b):
        await send(ws_a, "chat_message", dict(text="hi B", client_id="e2e-1"))
        got = await recv_type(ws_b, "chat_message", timeout=WAIT)
        assert got["data"]["text"] == "hi B" and got["data"]["sender"]["id"] == chat_pair["a"].pk
        assert (await recv_type(ws_a, "chat_message", timeout=WAIT))["id"] == got["id"]  # the sender's confirmation
        await send(ws_b, "message_delivered", dict(message_id=got["id"]))
        assert (await recv_type(ws_a, "message_delivered", timeout=WAIT))["data"] == {
            "message_id": got["id"],
            "user": chat_pair["b"].pk,
            "conversation": cid,
        }
        await send(ws_b, "mark_read", dict(message_id=got["id"]))
        assert (await recv_type(ws_a, "messages_read", timeout=WAIT))["data"] == {
            "user": chat_pair["b"].pk,
            "conversation": cid,
            "up_to": got["id"],
            "readers": [{"user": chat_pair["b"].pk, "up_to": got["id"]}],
        }
    # the same state over REST
    async with httpx.AsyncClient(base_url=server.http_url, timeout=WAIT) as http:
        response = await http.get(
            "/api/chat/conversations/", headers={"Authorization": f"Bearer {chat_pair['token_b']}"}
        )
    row = response.json()["results"][0]
    assert row["id"] == cid and row["unread_count"] == 0 and row["last_read_message_id"] == got["id"]


async def test_typing_reaches_b_and_expires_without_a_stop_from_a(cluster, chat_pair):
    server = cluster.servers[0]
    async with both_open(server, chat_pair) as (ws_a, ws_b):
        await send(ws_a, "typing", dict(is_typing=True))
        start = asyncio.get_running_loop().time()
        assert (await recv_type(ws_b, "typing", timeout=WAIT, is_typing=True))["data"]["user"] == chat_pair["a"].pk
        stopped = await recv_type(ws_b, "typing", timeout=WAIT, is_typing=False)  # A sent nothing more
        assert stopped["data"]["user"] == chat_pair["a"].pk
        assert asyncio.get_running_loop().time() - start >= 2.0  # the 3 s timeout, not an immediate echo
        await nothing_of(ws_a, "typing", within=0.5)  # A never sees its own typing


async def test_third_user_is_refused_like_an_unknown_conversation(cluster, chat_pair, make_user, token_for):
    stranger = await sync_to_async(make_user)()
    token = await sync_to_async(token_for)(stranger)
    ws = await connect(chat_url(cluster.servers[1], chat_pair["conversation"].pk, token), open_timeout=WAIT)
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), WAIT)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == closecodes.NOT_FOUND
    ws = await connect(chat_url(cluster.servers[1], 2_000_000_000, token), open_timeout=WAIT)
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), WAIT)
    assert closed.value.rcvd.code == closecodes.NOT_FOUND


async def test_a_and_b_on_different_servers_exchange_messages_and_see_presence(cluster, chat_pair):
    s0, s1 = cluster.servers
    cid = chat_pair["conversation"].pk
    a_id, b_id = chat_pair["a"].pk, chat_pair["b"].pk
    async with await open_chat(s0, cid, chat_pair["token_a"]) as ws_a:
        ws_b = await connect(chat_url(s1, cid, chat_pair["token_b"]), open_timeout=WAIT)
        hello = await recv_type(ws_b, "connection_established", timeout=WAIT)
        assert {m["id"]: m["online"] for m in hello["data"]["members"]} == {a_id: True, b_id: True}
        assert (await recv_type(ws_a, "user_online", timeout=WAIT, user_id=b_id))["data"]["user_id"] == b_id
        await send(ws_a, "chat_message", dict(text="from server 0", client_id="x0"))
        assert (await recv_type(ws_b, "chat_message", timeout=WAIT))["data"]["text"] == "from server 0"
        await send(ws_b, "chat_message", dict(text="from server 1", client_id="x1"))
        assert (await recv_type(ws_a, "chat_message", timeout=WAIT, text="from server 1"))["data"]["sender"][
            "id"
        ] == b_id
        await ws_b.close()
        assert (await recv_type(ws_a, "user_offline", timeout=WAIT, user_id=b_id))["data"]["user_id"] == b_id


async def test_b_reconnects_with_after_and_gets_exactly_the_missed_five_then_live(cluster, chat_pair):
    s0, s1 = cluster.servers
    cid = chat_pair["conversation"].pk
    async with await open_chat(s0, cid, chat_pair["token_a"]) as ws_a:
        async with await open_chat(s1, cid, chat_pair["token_b"]) as ws_b:
            await send(ws_a, "chat_message", dict(text="before", client_id="before"))
            last_seen = (await recv_type(ws_b, "chat_message", timeout=WAIT))["id"]
        missed = []
        for i in range(5):
            await send(ws_a, "chat_message", dict(text=f"missed {i}", client_id=f"m{i}"))
            missed.append((await recv_type(ws_a, "chat_message", timeout=WAIT, text=f"missed {i}"))["id"])
        async with await connect(chat_url(s1, cid, chat_pair["token_b"], after=last_seen), open_timeout=WAIT) as ws_b:
            await recv_type(ws_b, "connection_established", timeout=WAIT)
            await send(ws_a, "chat_message", dict(text="live", client_id="live"))
            got = [await recv_type(ws_b, "chat_message", timeout=WAIT) for _ in range(6)]
            assert [f["id"] for f in got[:5]] == missed
            assert [f["data"]["text"] for f in got] == [f"missed {i}" for i in range(5)] + ["live"]
            await nothing_of(ws_b, "chat_message", within=1.0)  # no duplicates after


async def test_bad_frames_get_errors_store_nothing_and_the_socket_keeps_working(cluster, chat_pair, make_user):
    server = cluster.servers[1]
    a = chat_pair["a"]
    cid = chat_pair["conversation"].pk

    def foreign_message() -> int:
        other, _ = conversation_get_or_create_direct(user=a, other=make_user())
        return Message.objects.create(conversation=other, sender=a, text="elsewhere").pk

    foreign_id = await sync_to_async(foreign_message)()
    async with await open_chat(server, cid, chat_pair["token_a"]) as ws:
        frames = [
            ("{not json", "invalid_json"),
            (json.dumps({"type": "dance", "data": {}}), "unknown_type"),
            (
                json.dumps({"type": "chat_message", "data": {"text": "x" * 5000, "client_id": str(uuid.uuid4())}}),
                "too_long",
            ),
            (json.dumps({"type": "chat_message", "data": {"text": ["not", "a", "string"]}}), "invalid"),
            (json.dumps({"type": "typing", "data": {"is_typing": 1}}), "invalid"),
            (json.dumps({"type": "mark_read", "data": {"message_id": foreign_id}}), "not_found"),
        ]
        for raw, code in frames:
            await ws.send(raw)
            error = await recv_type(ws, "error", timeout=WAIT)
            assert error["data"]["code"] == code, (raw, error)
            assert error["data"]["message"]
        assert await sync_to_async(Message.objects.filter(conversation_id=cid).count)() == 0
        await send(ws, "chat_message", dict(text="works", client_id="after-errors"))
        assert (await recv_type(ws, "chat_message", timeout=WAIT))["data"]["text"] == "works"
