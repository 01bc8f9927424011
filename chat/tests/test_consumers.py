"""The chat socket in-process (WebsocketCommunicator): access, events, receipts, typing, bad frames, resume."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from chat import routing, selectors
from chat.models import Message
from chat.services import conversation_create_group, conversation_get_or_create_direct, message_create
from realtime import closecodes
from realtime.testing import nested, open_socket, recursion_bomb, recv, recv_type, socket_app

pytestmark = [pytest.mark.django_db(transaction=True)]

app = socket_app(routing.websocket_urlpatterns)


async def chat_socket(user: Any, conversation_id: int, query: str = "") -> WebsocketCommunicator:
    from conftest import access_token

    token = await sync_to_async(access_token)(user)
    return await open_socket(app, f"/ws/chat/{conversation_id}/?token={token}{query}")


async def joined(user: Any, conversation_id: int, query: str = "") -> WebsocketCommunicator:
    comm = await chat_socket(user, conversation_id, query)
    assert (await recv_type(comm, "connection_established"))["data"]["conversation"]["id"] == conversation_id
    return comm


async def test_a_stranger_cannot_tell_an_existing_conversation_from_an_unknown_one(direct, make_user):
    _a, _b, conversation = direct
    stranger = await sync_to_async(make_user)()
    answers = []
    for conversation_id in (987654321, conversation.pk):
        comm = await chat_socket(stranger, conversation_id)
        error = await recv(comm)
        close = await comm.receive_output(timeout=5)
        answers.append((error["type"], error["data"], close["type"], close["code"]))
    assert answers[0] == answers[1]
    assert answers[0][1] == {"code": "not_found", "message": "Conversation not found."}
    assert answers[0][3] == closecodes.NOT_FOUND


async def test_connection_established_lists_members_online_state_and_positions(direct):
    a, b, conversation = direct
    message, _ = await sync_to_async(message_create)(
        sender=a, conversation_id=conversation.pk, text="hi", client_id=None
    )
    comm_a = await chat_socket(a, conversation.pk)
    frame = await recv_type(comm_a, "connection_established")
    assert frame["data"]["conversation"] == {"id": conversation.pk, "kind": "direct", "title": ""}
    members = {m["id"]: m for m in frame["data"]["members"]}
    assert members[a.pk] == {"id": a.pk, "username": a.username, "online": True}
    assert members[b.pk]["online"] is False
    positions = {p["user"]: p for p in frame["data"]["positions"]}
    assert positions[a.pk] == {"user": a.pk, "last_delivered": message.pk, "last_read": message.pk}
    assert positions[b.pk] == {"user": b.pk, "last_delivered": 0, "last_read": 0}
    # B comes online: A's chat socket hears it through the core's presence group
    comm_b = await joined(b, conversation.pk)
    assert (await recv_type(comm_a, "user_online"))["data"]["user_id"] == b.pk
    await comm_b.disconnect()
    assert (await recv_type(comm_a, "user_offline"))["data"]["user_id"] == b.pk
    await comm_a.disconnect()


async def test_message_reaches_both_sockets_and_resend_only_confirms_to_sender(direct):
    a, b, conversation = direct
    comm_a, comm_b = await joined(a, conversation.pk), await joined(b, conversation.pk)
    await comm_a.send_json_to({"type": "chat_message", "data": {"text": "hello B", "client_id": "k1"}})
    to_b = await recv_type(comm_b, "chat_message")
    to_a = await recv_type(comm_a, "chat_message")
    assert to_b == {**to_a, "timestamp": to_b["timestamp"]}
    assert to_b["id"] == to_b["data"]["id"]
    assert to_b["data"]["sender"] == {"id": a.pk, "username": a.username}
    assert (
        to_b["data"]["text"] == "hello B"
        and to_b["data"]["client_id"] == "k1"
        and to_b["data"]["conversation"] == conversation.pk
    )
    await comm_a.send_json_to({"type": "chat_message", "data": {"text": "hello B", "client_id": "k1"}})
    assert (await recv_type(comm_a, "chat_message"))["id"] == to_a["id"]
    assert await comm_b.receive_nothing(timeout=0.5)
    assert await sync_to_async(Message.objects.filter(conversation=conversation).count)() == 1
    await comm_a.disconnect()
    await comm_b.disconnect()


async def test_a_resend_after_a_reconnect_never_overtakes_older_messages(direct, monkeypatch):
    """A deploy: the stopped process stored B's message, then A's, and never published them. A, resumed on
    another process, resends its own (no echo seen): it gets B's older message first, then its own."""
    from chat import services

    a, b, conversation = direct
    comm_a = await joined(a, conversation.pk, "&after=0")
    with monkeypatch.context() as patched:
        patched.setattr(services, "publish_messages", lambda pairs: None)  # the stopped process's publishes
        older, _ = await sync_to_async(message_create)(
            sender=b, conversation_id=conversation.pk, text="from B", client_id="b1"
        )
        mine, _ = await sync_to_async(message_create)(
            sender=a, conversation_id=conversation.pk, text="from A", client_id="a1"
        )
    await comm_a.send_json_to({"type": "chat_message", "data": {"text": "from A", "client_id": "a1"}})
    received = [(await recv_type(comm_a, "chat_message"))["id"] for _ in range(2)]
    assert received == [older.pk, mine.pk]
    assert await comm_a.receive_nothing(timeout=0.3)
    await comm_a.disconnect()


async def test_receipts_reach_the_sender(direct):
    a, b, conversation = direct
    comm_a, comm_b = await joined(a, conversation.pk), await joined(b, conversation.pk)
    await comm_a.send_json_to({"type": "chat_message", "data": {"text": "did you get it?", "client_id": "r1"}})
    message_id = (await recv_type(comm_b, "chat_message"))["id"]
    await comm_b.send_json_to({"type": "message_delivered", "data": {"message_id": message_id}})
    delivered = await recv_type(comm_a, "message_delivered")
    assert delivered["data"] == {"message_id": message_id, "user": b.pk, "conversation": conversation.pk}
    await comm_b.send_json_to({"type": "mark_read", "data": {"message_id": message_id}})
    read = await recv_type(comm_a, "messages_read")
    assert read["data"] == {
        "user": b.pk,
        "conversation": conversation.pk,
        "up_to": message_id,
        "readers": [{"user": b.pk, "up_to": message_id}],
    }
    await comm_a.disconnect()
    await comm_b.disconnect()


async def test_in_a_group_delivered_reaches_only_the_sender_and_read_reaches_every_member(make_user):
    a, b, c = await sync_to_async(make_user)(), await sync_to_async(make_user)(), await sync_to_async(make_user)()
    group = await sync_to_async(conversation_create_group)(creator=a, title="trio", members=[b, c])
    comm_a, comm_b, comm_c = [await joined(user, group.pk) for user in (a, b, c)]
    await comm_a.send_json_to({"type": "chat_message", "data": {"text": "all here?", "client_id": "g1"}})
    message_id = (await recv_type(comm_b, "chat_message"))["id"]
    await recv_type(comm_c, "chat_message")
    await comm_b.send_json_to({"type": "message_delivered", "data": {"message_id": message_id}})
    assert (await recv_type(comm_a, "message_delivered"))["data"]["user"] == b.pk
    await comm_b.send_json_to({"type": "mark_read", "data": {"message_id": message_id}})
    for comm in (comm_a, comm_c):  # "the others get messages_read"; c never saw b's delivered tick
        frames = [await recv(comm)]
        while frames[-1]["type"] != "messages_read":
            frames.append(await recv(comm))
        assert "message_delivered" not in [f["type"] for f in frames]
        assert frames[-1]["data"]["readers"] == [{"user": b.pk, "up_to": message_id}]
    for comm in (comm_a, comm_b, comm_c):
        await comm.disconnect()


@override_settings(CHAT_TYPING_TIMEOUT_SECONDS=0.4)
async def test_typing_reaches_others_only_and_expires_by_itself(direct):
    a, b, conversation = direct
    comm_a, comm_b = await joined(a, conversation.pk), await joined(b, conversation.pk)
    await recv_type(comm_a, "user_online")
    await comm_a.send_json_to({"type": "typing", "data": {"is_typing": True}})
    assert (await recv_type(comm_b, "typing"))["data"] == {
        "conversation": conversation.pk,
        "user": a.pk,
        "is_typing": True,
    }
    # nothing more from A, yet B is told A stopped
    assert (await recv_type(comm_b, "typing", timeout=5))["data"]["is_typing"] is False
    assert await comm_a.receive_nothing(timeout=0.3)  # never one's own typing
    await comm_a.disconnect()
    await comm_b.disconnect()


@override_settings(CHAT_MAX_MESSAGE_LENGTH=20)
async def test_bad_frames_get_errors_store_nothing_and_socket_keeps_working(direct, make_user):
    a, _b, conversation = direct
    elsewhere, _ = await sync_to_async(conversation_get_or_create_direct)(
        user=a, other=await sync_to_async(make_user)()
    )
    foreign, _ = await sync_to_async(message_create)(
        sender=a, conversation_id=elsewhere.pk, text="other chat", client_id=None
    )
    comm = await joined(a, conversation.pk)
    cases = [
        ("{oops", "invalid_json"),
        (json.dumps({"type": "shout", "data": {}}), "unknown_type"),
        (json.dumps({"type": "chat_message", "data": {"text": "x" * 21, "client_id": "long"}}), "too_long"),
        (json.dumps({"type": "chat_message", "data": {"text": "   ", "client_id": "blank"}}), "blank"),
        (json.dumps({"type": "chat_message", "data": {"text": 42}}), "invalid"),
        (json.dumps({"type": "chat_message", "data": {"text": "ok", "client_id": 7}}), "invalid"),
        (json.dumps({"type": "typing", "data": {"is_typing": "yes"}}), "invalid"),
        (json.dumps({"type": "mark_read", "data": {"message_id": "12"}}), "invalid"),
        (recursion_bomb('{"type": "mark_read", "data": {"message_id": ', "}}"), "frame_too_deep"),
        (
            json.dumps({"type": "chat_message", "data": {"text": "ok", "client_id": "deep", "x": nested(32)}}),
            "frame_too_deep",
        ),
    ]
    for raw, code in cases:
        await comm.send_to(text_data=raw)
        frame = await recv_type(comm, "error")
        assert frame["data"]["code"] == code, (raw[:100], frame)
    # A message of another conversation (the sender's own or a stranger's) and an unknown id: one answer.
    x, y = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    strangers, _ = await sync_to_async(conversation_get_or_create_direct)(user=x, other=y)
    hidden, _ = await sync_to_async(message_create)(
        sender=x, conversation_id=strangers.pk, text="secret", client_id=None
    )
    answers = set()
    for kind in ("mark_read", "message_delivered"):
        for message_id in (foreign.pk, hidden.pk, hidden.pk + 10_000):
            await comm.send_json_to({"type": kind, "data": {"message_id": message_id}})
            frame = await recv_type(comm, "error")
            answers.add((frame["data"]["code"], frame["data"]["message"], json.dumps(frame["data"].get("errors"))))
    assert answers == {("not_found", "Message not found.", json.dumps({"message_id": ["Message not found."]}))}
    assert await sync_to_async(Message.objects.filter(conversation=conversation).count)() == 0
    await comm.send_json_to({"type": "chat_message", "data": {"text": "still here", "client_id": "ok"}})
    assert (await recv_type(comm, "chat_message"))["data"]["text"] == "still here"
    await comm.disconnect()


async def test_resume_sends_backlog_in_order_then_live_without_gap_or_duplicate(direct, monkeypatch):
    a, b, conversation = direct

    def send(text: str) -> int:
        return message_create(sender=a, conversation_id=conversation.pk, text=text, client_id=text)[0].pk

    seen = await sync_to_async(send)("seen")
    missed = [await sync_to_async(send)(f"missed-{i}") for i in range(3)]
    real_messages_after = selectors.messages_after
    racing: list[int] = []

    def messages_after_with_a_race(**kwargs):
        # A message is committed and published while the backlog is being read: it is both in the
        # backlog and in the group (the socket already joined). It must arrive exactly once.
        if not racing:
            racing.append(send("during-fetch"))
        return real_messages_after(**kwargs)

    monkeypatch.setattr(selectors, "messages_after", messages_after_with_a_race)
    comm_b = await joined(b, conversation.pk, f"&after={seen}")
    live = await sync_to_async(send)("live")
    ids: list[int] = []
    while len(ids) < 5:
        ids.append((await recv_type(comm_b, "chat_message"))["id"])
    # Backlog reads run on a pool thread, so "live" may be committed before or after "during-fetch":
    # either way every id arrives once, in id order.
    assert ids == [*missed, *sorted([racing[0], live])]
    assert await comm_b.receive_nothing(timeout=0.5)
    await comm_b.disconnect()


async def test_removed_member_writing_is_closed_4403(direct):
    from chat.models import Membership

    a, _b, conversation = direct
    comm = await joined(a, conversation.pk)
    await sync_to_async(Membership.objects.filter(conversation=conversation, user=a).delete)()
    await comm.send_json_to({"type": "chat_message", "data": {"text": "still allowed?", "client_id": "x"}})
    assert (await recv_type(comm, "error"))["data"]["code"] == "not_a_member"
    assert (await comm.receive_output(timeout=5))["code"] == closecodes.FORBIDDEN
    assert not await sync_to_async(Message.objects.exists)()


async def test_malformed_after_gets_error_and_no_backlog(direct):
    a, _b, conversation = direct
    await sync_to_async(message_create)(sender=a, conversation_id=conversation.pk, text="old", client_id=None)
    comm = await chat_socket(a, conversation.pk, "&after=abc")
    assert (await recv(comm))["data"]["code"] == "invalid_after"
    assert (await recv(comm))["type"] == "connection_established"
    assert await comm.receive_nothing(timeout=0.3)
    await comm.disconnect()
    await asyncio.sleep(0)


@override_settings(WS_RATE_LIMIT_PER_SECOND=1000, WS_RATE_LIMIT_BURST=1000)
async def test_messages_written_in_parallel_reach_everyone_once_in_each_senders_order(make_user):
    """Writes run on pool threads, several at a time: two members and a REST-like writer send at once;
    every socket gets every message exactly once, each sender's messages in the order sent, and a
    socket resuming from 0 afterwards gets them in id order."""
    from chat.services import conversation_create_group
    from realtime.db import db

    a, b, c = [await sync_to_async(make_user)() for _ in range(3)]
    group = await sync_to_async(conversation_create_group)(creator=a, title="busy", members=[b, c])
    comm_a, comm_b, comm_c = [await joined(u, group.pk) for u in (a, b, c)]
    per_sender = 8

    async def burst(comm: WebsocketCommunicator, who: str) -> None:
        for i in range(per_sender):
            await comm.send_json_to({"type": "chat_message", "data": {"text": f"{who}-{i}", "client_id": f"{who}-{i}"}})

    def direct_writes() -> None:
        for i in range(per_sender):
            message_create(sender=c, conversation_id=group.pk, text=f"c-{i}", client_id=f"c-{i}")

    # db(): a pool thread, like the socket's own writes, that hands its connection back.
    await asyncio.gather(burst(comm_a, "a"), burst(comm_b, "b"), db(direct_writes)())
    total = 3 * per_sender
    for comm in (comm_a, comm_b, comm_c):
        texts = [(await recv_type(comm, "chat_message", timeout=15))["data"]["text"] for _ in range(total)]
        assert sorted(texts) == sorted(f"{w}-{i}" for w in "abc" for i in range(per_sender))
        for who in "abc":
            assert [t for t in texts if t.startswith(f"{who}-")] == [f"{who}-{i}" for i in range(per_sender)]
        while not await comm.receive_nothing(timeout=0.3):  # no duplicate left behind
            assert (await recv(comm))["type"] != "chat_message"
    ids = await sync_to_async(
        lambda: list(Message.objects.filter(conversation=group).order_by("id").values_list("text", flat=True))
    )()
    late = await joined(a, group.pk, "&after=0")
    assert [(await recv_type(late, "chat_message"))["data"]["text"] for _ in range(total)] == ids
    for comm in (comm_a, comm_b, comm_c, late):
        await comm.disconnect()
