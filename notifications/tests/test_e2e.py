"""End to end: real `websockets` clients on /ws/notifications/ against two uvicorn processes
on Redis and PostgreSQL; the notifications are caused through the other apps' REST endpoints."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from websockets.asyncio.client import ClientConnection, connect

from accounts.models import User
from conftest import access_token
from notifications.models import Notification
from realtime.testing import recv, recv_type

pytestmark = [pytest.mark.e2e]

WAIT = 15.0
# Batched (medium/low) notifications wait for the window on the server: allow it on top.
BATCH_WAIT = settings.NOTIFICATIONS_BATCH_WINDOW_SECONDS + WAIT
NOTIFICATION_FRAMES = ("new_notification", "notification_batch")


def notifications_in(frame: dict[str, Any]) -> list[dict[str, Any]]:
    if frame["type"] == "notification_batch":
        return frame["data"]["notifications"]
    return [frame["data"]] if frame["type"] == "new_notification" else []


async def wait_notification(ws: ClientConnection, kind: str, timeout: float = BATCH_WAIT) -> dict[str, Any]:
    """The next notification of type `kind`, whether it came alone or in a batch."""
    frame = await recv_type(
        ws, NOTIFICATION_FRAMES, timeout=timeout, where=lambda f: any(n["type"] == kind for n in notifications_in(f))
    )
    return next(n for n in notifications_in(frame) if n["type"] == kind)


async def open_socket(server: Any, user: User, after: int | None = None) -> tuple[ClientConnection, int]:
    """Connect and consume the handshake; returns the socket and the unread count it announced."""
    url = f"{server.ws_url}/ws/notifications/?token={access_token(user)}" + (
        f"&after={after}" if after is not None else ""
    )
    ws = await connect(url, open_timeout=WAIT)
    established = await recv(ws, WAIT)
    assert established["type"] == "connection_established" and established["data"]["user"]["id"] == user.pk
    count = await recv(ws, WAIT)
    assert count["type"] == "unread_count"
    return ws, count["data"]["count"]


def rest(server: Any, user: User) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.http_url, headers={"Authorization": f"Bearer {access_token(user)}"}, timeout=WAIT
    )


def users(*prefixes: str) -> list[User]:
    """Fresh users per test (Redis state outlives a test). No password: they authenticate with JWTs."""
    tag = uuid.uuid4().hex[:6]
    return User.objects.bulk_create([User(username=f"{p}_{tag}") for p in prefixes])


async def create_post(server: Any, author: User, text: str) -> int:
    async with rest(server, author) as client:
        response = await client.post("/api/posts/", json={"text": text})
        assert response.status_code == 201, response.text
        return response.json()["id"]


async def test_follow_over_rest_reaches_the_followee_on_the_other_server(live_db, cluster):
    alice, bob = await sync_to_async(users)("alice", "bob")
    ws, unread = await open_socket(cluster.servers[1], alice)
    assert unread == 0
    async with rest(cluster.servers[0], bob) as client:
        response = await client.post(f"/api/users/{alice.username}/follow/")
        assert response.status_code in (200, 201), response.text
    notification = await wait_notification(ws, "follow")
    assert notification["actor"]["username"] == bob.username
    assert notification["text"] == f"{bob.username} started following you"
    assert notification["priority"] == "medium"
    count = await recv_type(ws, "unread_count", timeout=WAIT)
    assert count["data"] == {"count": 1}
    await ws.close()


async def test_comment_with_mention_notifies_post_author_and_mentioned_user(live_db, cluster):
    alice, bob, carol = await sync_to_async(users)("alice", "bob", "carol")
    alice_ws, _ = await open_socket(cluster.servers[1], alice)
    bob_ws, _ = await open_socket(cluster.servers[0], bob)
    post_id = await create_post(cluster.servers[0], alice, "What do you think?")
    async with rest(cluster.servers[0], carol) as client:
        response = await client.post(f"/api/posts/{post_id}/comments/", json={"text": f"@{bob.username} have a look"})
        assert response.status_code == 201, response.text
    # High priority: no batching window to wait for.
    comment = await wait_notification(alice_ws, "comment", timeout=WAIT)
    assert comment["actor"]["username"] == carol.username and comment["target"]["post_id"] == post_id
    mention = await wait_notification(bob_ws, "mention_comment", timeout=WAIT)
    assert mention["actor"]["username"] == carol.username and "have a look" in mention["target"]["excerpt"]
    assert (await recv_type(bob_ws, "unread_count", timeout=WAIT))["data"] == {"count": 1}
    await alice_ws.close()
    await bob_ws.close()


async def test_mark_read_in_one_socket_updates_the_other(live_db, cluster):
    alice, carol = await sync_to_async(users)("alice", "carol")
    tab1, _ = await open_socket(cluster.servers[0], alice)
    tab2, _ = await open_socket(cluster.servers[1], alice)
    post_id = await create_post(cluster.servers[0], alice, "post")
    async with rest(cluster.servers[1], carol) as client:
        assert (await client.post(f"/api/posts/{post_id}/comments/", json={"text": "first!"})).status_code == 201
    notification = await wait_notification(tab1, "comment", timeout=WAIT)
    await wait_notification(tab2, "comment", timeout=WAIT)
    await tab1.send(json.dumps({"type": "mark_read", "data": {"id": notification["id"]}}))
    for tab in (tab2, tab1):
        read = await recv_type(tab, "notification_read", timeout=WAIT)
        assert read["data"] == {"id": notification["id"]}
        assert (await recv_type(tab, "unread_count", timeout=WAIT, where=lambda f: f["data"]["count"] == 0))[
            "data"
        ] == {"count": 0}
    await tab1.close()
    await tab2.close()


async def test_twenty_likes_within_a_second_arrive_as_at_most_two_frames_and_one_group(live_db, cluster):
    names = ["alice"] + [f"fan{i}" for i in range(20)]
    alice, *fans = await sync_to_async(users)(*names)
    post_id = await create_post(cluster.servers[0], alice, "like me")
    ws, _ = await open_socket(cluster.servers[1], alice)

    async def like(index: int, fan: User) -> None:
        async with rest(cluster.servers[index % 2], fan) as client:
            response = await client.post(f"/api/posts/{post_id}/like/")
            assert response.status_code in (200, 201), response.text

    started = time.monotonic()
    await asyncio.gather(*(like(i, fan) for i, fan in enumerate(fans)))
    burst = time.monotonic() - started

    frames, received = [], 0
    while received < 20:
        frame = await recv_type(ws, NOTIFICATION_FRAMES, timeout=BATCH_WAIT)
        frames.append(frame)
        received += len(notifications_in(frame))
    assert received == 20
    assert len(frames) <= 2, f"{len(frames)} frames for 20 likes sent in {burst:.2f}s"
    assert {n["type"] for f in frames for n in notifications_in(f)} == {"like"}
    # The unread counts that arrived during the window were folded into the newest one.
    assert (await recv_type(ws, "unread_count", timeout=WAIT, where=lambda f: f["data"]["count"] == 20))["data"] == {
        "count": 20
    }

    async with rest(cluster.servers[0], alice) as client:
        body = (await client.get("/api/notifications/", params={"grouped": "true"})).json()
    assert body["count"] == 1
    group = body["results"][0]
    assert (group["type"], group["count"], group["actors_count"], group["unread"]) == ("like", 20, 20, 20)
    assert len(group["latest_actors"]) == 3
    assert group["text"] == f"{group['latest_actors'][0]} and 19 others liked your post"
    await ws.close()


async def test_alice_cannot_read_or_mark_bobs_notifications(live_db, cluster):
    alice, bob, carol = await sync_to_async(users)("alice", "bob", "carol")
    post_id = await create_post(cluster.servers[0], bob, "bob's post")
    async with rest(cluster.servers[0], carol) as client:
        assert (await client.post(f"/api/posts/{post_id}/comments/", json={"text": "hello bob"})).status_code == 201
    bobs = await Notification.objects.aget(recipient=bob)
    async with rest(cluster.servers[1], alice) as client:
        response = await client.post(f"/api/notifications/{bobs.pk}/read/")
        assert response.status_code == 404
        listing = (await client.get("/api/notifications/")).json()
        assert listing["count"] == 0
    ws, _ = await open_socket(cluster.servers[0], alice)
    await ws.send(json.dumps({"type": "mark_read", "data": {"id": bobs.pk}}))
    error = await recv_type(ws, "error", timeout=WAIT)
    assert error["data"]["code"] == "notification_not_found"
    await bobs.arefresh_from_db()
    assert bobs.read_at is None
    await ws.close()


async def test_missed_notifications_arrive_on_reconnect_with_after(live_db, cluster):
    alice, carol, dave, erin = await sync_to_async(users)("alice", "carol", "dave", "erin")
    post_id = await create_post(cluster.servers[0], alice, "post")
    ws, _ = await open_socket(cluster.servers[0], alice)

    async def comment(user: User, text: str) -> None:
        async with rest(cluster.servers[1], user) as client:
            assert (await client.post(f"/api/posts/{post_id}/comments/", json={"text": text})).status_code == 201

    await comment(carol, "one")
    last_seen = (await wait_notification(ws, "comment", timeout=WAIT))["id"]
    await ws.close()
    await comment(dave, "two")
    await comment(erin, "three")

    ws, unread = await open_socket(cluster.servers[1], alice, after=last_seen)
    assert unread == 3
    missed = [await recv_type(ws, "new_notification", timeout=WAIT) for _ in range(2)]
    assert [m["data"]["actor"]["username"] for m in missed] == [dave.username, erin.username]
    assert missed[0]["id"] < missed[1]["id"] and missed[0]["id"] > last_seen
    await comment(carol, "four (live)")
    live = await recv_type(ws, "new_notification", timeout=WAIT)
    assert live["id"] > missed[1]["id"] and live["data"]["target"]["excerpt"] == "four (live)"
    await ws.close()
