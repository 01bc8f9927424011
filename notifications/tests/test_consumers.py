"""/ws/notifications/ with WebsocketCommunicator on the real channel layer."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from chat.events import ChatUpdate
from notifications import services
from notifications.models import Notification
from notifications.tests.sockets import app, connect, connected, handshake, make_comment, make_follow, make_likes
from realtime.groups import user_group
from realtime.publish import apublish
from realtime.testing import expect_close, open_socket, recv, recv_all
from social.models import Post

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(make_user, token_for):
    alice = make_user("alice_ws")
    others = [make_user(f"fan{i}_ws") for i in range(6)]
    post = Post.objects.create(author=alice, text="post")
    return alice, token_for(alice), others, post


async def test_connect_sends_established_then_unread_count(people):
    alice, token, others, post = people
    await sync_to_async(make_likes)(post, others[:2])
    comm = await connect(token)
    established = await recv(comm)
    assert established["type"] == "connection_established"
    assert established["data"]["user"] == {"id": alice.pk, "username": "alice_ws"}
    count = await recv(comm)
    assert (count["type"], count["data"]) == ("unread_count", {"count": 2})
    await comm.disconnect()


@override_settings(NOTIFICATIONS_BATCH_WINDOW_SECONDS=1.0)
async def test_low_priority_notifications_arrive_as_one_batch_then_one_count(people):
    _alice, token, others, post = people
    comm = await connected(token)
    await sync_to_async(make_likes)(post, others[:5])
    frames = await recv_all(comm, quiet=1.5)
    assert [f["type"] for f in frames] == ["notification_batch", "unread_count"]
    batch = frames[0]["data"]
    assert batch["count"] == 5
    assert [n["actor"]["username"] for n in batch["notifications"]] == [f"fan{i}_ws" for i in range(5)]
    assert {n["type"] for n in batch["notifications"]} == {"like"}
    assert frames[1]["data"] == {"count": 5}
    await comm.disconnect()


@override_settings(NOTIFICATIONS_BATCH_WINDOW_SECONDS=30.0)
async def test_high_priority_is_sent_at_once_after_the_held_ones_in_id_order(people):
    alice, token, others, post = people
    comm = await connected(token)
    await sync_to_async(make_follow)(others[0], alice)  # medium: held for 30 s
    assert await comm.receive_nothing(timeout=0.3)
    await sync_to_async(make_comment)(post, others[1])  # high: at once, the held follow (a lower id) first
    frames = [await recv(comm) for _ in range(4)]
    assert [(f["type"], f["data"].get("type")) for f in frames] == [
        ("new_notification", "follow"),
        ("unread_count", None),
        ("new_notification", "comment"),
        ("unread_count", None),
    ]
    assert frames[2]["data"]["priority"] == "high" and frames[0]["id"] < frames[2]["id"]
    assert (frames[1]["data"], frames[3]["data"]) == ({"count": 1}, {"count": 2})
    assert await comm.receive_nothing(timeout=0.5)  # the cancelled timer sends nothing later
    await comm.disconnect()


@override_settings(NOTIFICATIONS_BATCH_WINDOW_SECONDS=30.0)
async def test_resuming_after_the_highest_id_seen_skips_no_held_notification(people):
    """A socket that closes while a batch is held loses nothing: ids went out in order, so
    `?after=<highest id seen>` replays the held ones (a high-priority one overtaking them skipped them)."""
    alice, token, others, post = people
    comm = await connected(token)
    await sync_to_async(make_likes)(post, others[:2])  # low: held
    await sync_to_async(make_comment)(post, others[2])  # high
    await sync_to_async(make_follow)(others[3], alice)  # medium: held when the socket closes
    seen: list[int] = []
    for frame in await recv_all(comm, quiet=0.5):
        if frame["type"] == "notification_batch":
            seen += [n["id"] for n in frame["data"]["notifications"]]
        elif frame["type"] == "new_notification":
            seen.append(frame["id"])
    await comm.disconnect()
    assert seen == sorted(seen)
    comm = await connect(token, f"&after={max(seen)}")
    await handshake(comm)
    seen += [f["id"] for f in await recv_all(comm, quiet=0.5) if f["type"] == "new_notification"]
    stored = [n.pk async for n in Notification.objects.filter(recipient=alice).order_by("id")]
    assert len(stored) == 4 and seen == stored
    await comm.disconnect()


@override_settings(NOTIFICATIONS_BATCH_WINDOW_SECONDS=30.0)
async def test_a_read_frame_sends_the_held_batch_before_it(people):
    alice, token, others, post = people
    comm = await connected(token)
    await sync_to_async(make_likes)(post, others[:2])  # held for 30 s
    assert await comm.receive_nothing(timeout=0.5)
    ids = [n.pk async for n in Notification.objects.filter(recipient=alice).order_by("id")]
    first = await Notification.objects.aget(pk=ids[0])
    await comm.send_json_to({"type": "mark_read", "data": {"id": first.pk}})
    frames = [await recv(comm) for _ in range(4)]
    assert [f["type"] for f in frames] == ["notification_batch", "unread_count", "notification_read", "unread_count"]
    assert [n["id"] for n in frames[0]["data"]["notifications"]] == ids
    assert (frames[1]["data"], frames[2]["data"], frames[3]["data"]) == ({"count": 2}, {"id": first.pk}, {"count": 1})
    assert await comm.receive_nothing(timeout=0.5)  # the cancelled timer sends nothing later
    await comm.disconnect()


async def test_a_late_or_lost_notification_is_sent_from_the_database_before_the_next_one(people, monkeypatch):
    """Its process stored it and died before publishing (or its publish lost the race to the next
    one's): the next one names it (`prev_id`), so the socket reads it from the database first, in id
    order, and drops the late event when it comes."""
    alice, token, others, post = people
    comm = await connected(token)
    real_publish = services.publish_messages
    held: list[Any] = []

    def lose_the_first_notification(pairs: list[Any]) -> None:
        if not held and pairs[0][1].get("event") == "new_notification":
            held.append(pairs)  # published below, after the next one: late
            return
        real_publish(pairs)

    monkeypatch.setattr(services, "publish_messages", lose_the_first_notification)
    await sync_to_async(make_comment)(post, others[0])
    await sync_to_async(make_comment)(post, others[1])
    stored = [n.pk async for n in Notification.objects.filter(recipient=alice).order_by("id")]
    await sync_to_async(real_publish)(held[0])  # outside a transaction: sent at once
    frames = await recv_all(comm)
    assert [f["id"] for f in frames if f["type"] == "new_notification"] == stored
    assert [f["data"]["count"] for f in frames if f["type"] == "unread_count"][-1] == 2
    await comm.disconnect()


async def test_mark_read_in_one_socket_updates_the_other(people, make_user, token_for):
    alice, token, others, post = people
    comment = await sync_to_async(make_comment)(post, others[0])
    assert comment
    notification = await Notification.objects.aget(recipient=alice)
    tab1, tab2 = await connect(token), await connect(token)
    assert await handshake(tab1) == 1 and await handshake(tab2) == 1
    await tab1.send_json_to({"type": "mark_read", "data": {"id": notification.pk}})
    for tab in (tab1, tab2):
        frames = [await recv(tab), await recv(tab)]
        assert [(f["type"], f["data"]) for f in frames] == [
            ("notification_read", {"id": notification.pk}),
            ("unread_count", {"count": 0}),
        ]
    await tab2.send_json_to({"type": "mark_all_read", "data": {}})
    assert await recv_all(tab2) == []  # nothing unread: nothing changes, nothing sent
    await tab1.disconnect()
    await tab2.disconnect()


async def test_someone_elses_id_gets_an_error_frame_and_changes_nothing(people, make_user, token_for):
    alice, _token, others, post = people
    await sync_to_async(make_comment)(post, others[0])
    notification = await Notification.objects.aget(recipient=alice)
    mallory_token = await sync_to_async(token_for)(others[1])
    comm = await connected(mallory_token)
    for bad in (notification.pk, 10**12, "x", None):
        await comm.send_json_to({"type": "mark_read", "data": {"id": bad}})
        frame = await recv(comm)
        assert frame["type"] == "error" and frame["data"]["code"] in {"notification_not_found", "invalid"}, bad
    await comm.send_json_to({"type": "ping", "data": {}})
    assert (await recv(comm))["type"] == "pong"
    await notification.arefresh_from_db()
    assert notification.read_at is None
    await comm.disconnect()


async def test_resume_with_after_sends_missed_in_order_then_live_without_duplicates(people):
    alice, token, others, post = people
    await sync_to_async(make_comment)(post, others[0])
    seen = await Notification.objects.filter(recipient=alice).alatest("id")
    for user in others[1:4]:
        await sync_to_async(make_comment)(post, user)
    missed = [n.pk async for n in Notification.objects.filter(recipient=alice, pk__gt=seen.pk).order_by("id")]
    comm = await connect(token, f"&after={seen.pk}")
    assert await handshake(comm) == 4
    resumed = [await recv(comm) for _ in missed]
    assert [f["id"] for f in resumed] == missed
    assert all(f["type"] == "new_notification" for f in resumed)
    await sync_to_async(make_comment)(post, others[4])
    live = [f for f in await recv_all(comm) if f["type"] == "new_notification"]
    assert len(live) == 1 and live[0]["id"] > missed[-1]
    await comm.disconnect()


@pytest.mark.parametrize("after", ["abc", "-1", "1.5", str(2**63)])
async def test_malformed_after_gets_invalid_after_and_no_backlog_like_the_chat_socket(people, after):
    _alice, token, others, post = people
    await sync_to_async(make_comment)(post, others[0])
    comm = await connect(token, f"&after={after}")
    assert await handshake(comm) == 1
    frame = await recv(comm)
    assert frame["type"] == "error" and frame["data"]["code"] == "invalid_after"
    assert await comm.receive_nothing(timeout=0.3)  # no backlog
    await comm.send_json_to({"type": "ping", "data": {}})
    assert (await recv(comm))["type"] == "pong"
    await comm.disconnect()


async def test_other_apps_events_on_the_personal_group_are_forwarded(people):
    alice, token, _others, _post = people
    comm = await connected(token)
    await apublish(user_group(alice.pk), ChatUpdate(conversation=1, last_message=None, unread_count=3))
    frame = await recv(comm)
    assert frame["type"] == "chat_update" and frame["data"] == {
        "conversation": 1,
        "last_message": None,
        "unread_count": 3,
    }
    await comm.disconnect()


async def test_anonymous_socket_is_refused_4401():
    comm = await open_socket(app, "/ws/notifications/")
    assert (await recv(comm))["data"]["code"] == "unauthenticated"
    assert await expect_close(comm) == 4401
