"""A server process dies (SIGKILL) or is deployed away (SIGTERM) under load (issue 12, scenarios 1-2).

Two uvicorn processes behind the shipped nginx.conf. Clients chat in group conversations (with
read receipts) and receive notifications over wss through nginx; the `ResumingClient`s reconnect
and resume with `?after=` as static/js/socket.js does. One process is killed (or terminated)
mid-traffic. Every client must end with every stored event of its stream: 0 lost, 0 duplicated,
in id order. Users whose only socket was on the dead process go `user_offline` within the
presence TTL (SIGKILL) or at once (SIGTERM). CI runs a reduced scale (25 chat clients in 5
conversations, 200 messages, 5 notified users, 50 notifications); FAULTS_SCALE=full runs the issue's:
100 chat clients in 10 conversations, 20 notified users, 2,000 messages, 500 notifications
(docs/operations.md has the figures of a run).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import ssl
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chat.models import Message
from chat.services import conversation_create_group
from conftest import access_token
from notifications.models import Notification
from realtime.groups import presence_group
from realtime.presence import get_presence_store
from realtime.testing import recv_type
from scripts.cluster import BASE_DIR, GRACEFUL_SHUTDOWN_SECONDS
from social.services import comment_create, post_create
from tests.faults.harness import ResumingClient, check_stream

FULL_SCALE = os.environ.get("FAULTS_SCALE", "") == "full"
GROUPS, MEMBERS, MESSAGES_PER_CLIENT = (10, 10, 20) if FULL_SCALE else (5, 5, 8)
NOTIFIED_USERS, NOTIFICATIONS_PER_USER = (20, 25) if FULL_SCALE else (5, 10)
BYSTANDERS = 3
PRESENCE_TTL = 3.0
WAIT = 240.0 if FULL_SCALE else 60.0

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(1500 if FULL_SCALE else 300)]


def _stored(conversation_ids: list[int], user_ids: list[int]) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    messages: dict[int, list[int]] = {cid: [] for cid in conversation_ids}
    for pk, cid in (
        Message.objects.filter(conversation_id__in=conversation_ids).order_by("pk").values_list("pk", "conversation_id")
    ):
        messages[cid].append(pk)
    notifications: dict[int, list[int]] = {uid: [] for uid in user_ids}
    for pk, uid in (
        Notification.objects.filter(recipient_id__in=user_ids).order_by("pk").values_list("pk", "recipient_id")
    ):
        notifications[uid].append(pk)
    return messages, notifications


def _setup(make_user: Any) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    users = [make_user() for _ in range(GROUPS * MEMBERS)]
    conversations = [
        conversation_create_group(
            creator=users[g * MEMBERS], title=f"g{g}", members=users[g * MEMBERS + 1 : (g + 1) * MEMBERS]
        )
        for g in range(GROUPS)
    ]
    posts = [post_create(author=users[i], text=f"post {i}") for i in range(NOTIFIED_USERS)]
    bystanders = [make_user() for _ in range(BYSTANDERS)]
    return users, conversations, posts, bystanders


class Load:
    """The chat, receipts and notifications traffic of one scenario, and its verdict."""

    def __init__(self, nginx: Any, users: list[Any], conversations: list[Any], posts: list[Any]) -> None:
        self.tls = ssl.create_default_context(cafile=nginx.cafile)
        base = f"wss://localhost:{nginx.https_port}"
        self.users, self.conversations, self.posts = users, conversations, posts
        self.chat = [
            (
                conversations[i // MEMBERS].pk,
                ResumingClient(
                    f"{base}/ws/chat/{conversations[i // MEMBERS].pk}/?token={access_token(u)}", ssl=self.tls
                ),
            )
            for i, u in enumerate(users)
        ]
        self.notified = [
            (
                posts[i].author_id,
                ResumingClient(
                    f"{base}/ws/notifications/?token={access_token(posts[i].author)}",
                    ssl=self.tls,
                    kinds=("new_notification", "notification_batch"),
                ),
            )
            for i in range(len(posts))
        ]
        self.clients = [c for _, c in self.chat] + [c for _, c in self.notified]
        self.tasks = [asyncio.ensure_future(c.run()) for c in self.clients]
        self.sent = 0

    async def online(self) -> None:
        async with asyncio.timeout(WAIT):
            await asyncio.gather(*(c.online.wait() for c in self.clients))

    async def _talk(self, index: int, client: ResumingClient) -> None:
        for n in range(MESSAGES_PER_CLIENT):
            await client.say(f"u{index}-{n}", f"message {n} from client {index}")
            self.sent += 1
            if client.ws is not None and client.ids:  # read receipts, as the page sends them
                with contextlib.suppress(ConnectionClosed):
                    await client.ws.send(json.dumps({"type": "mark_read", "data": {"message_id": client.ids[-1]}}))
            await asyncio.sleep(0.15)

    def _notify(self) -> None:
        for n in range(NOTIFICATIONS_PER_USER):
            for i, post in enumerate(self.posts):
                comment_create(author=self.users[(i + 1 + n) % len(self.users)], post=post, text=f"comment {n}")

    async def run(self, fault_when_half_sent: Any) -> None:
        talking = [asyncio.ensure_future(self._talk(i, c)) for i, (_, c) in enumerate(self.chat)]
        notifying = asyncio.ensure_future(sync_to_async(self._notify, thread_sensitive=False)())
        total = len(self.chat) * MESSAGES_PER_CLIENT
        async with asyncio.timeout(WAIT):
            while self.sent < total // 2:
                await asyncio.sleep(0.05)
        await fault_when_half_sent()
        await asyncio.gather(*talking, notifying)

    async def settle(self) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
        """Wait until every message is stored and every client has caught up (or WAIT runs out)."""
        async with asyncio.timeout(WAIT):
            while any(c.pending for _, c in self.chat):
                await asyncio.sleep(0.1)
        stored = await sync_to_async(_stored)([c.pk for c in self.conversations], [p.author_id for p in self.posts])
        messages, notifications = stored
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and not (
            all(set(messages[cid]) <= c.seen for cid, c in self.chat)
            and all(set(notifications[uid]) <= c.seen for uid, c in self.notified)
        ):
            await asyncio.sleep(0.1)
        return messages, notifications

    async def stop(self) -> None:
        # A client whose loop died (an exception it does not retry on) stops receiving: a loss that is the
        # harness's, not the server's. Count them before the tasks are cancelled.
        self.crashed = [repr(t.exception()) for t in self.tasks if t.done() and not t.cancelled() and t.exception()]
        for client in self.clients:
            await client.stop()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def verdict(self, messages: dict[int, list[int]], notifications: dict[int, list[int]]) -> dict[str, int]:
        figures: dict[str, Any] = {"lost": 0, "duplicated": 0, "chat_out_of_order": 0, "notifications_out_of_order": 0}
        figures |= {"chat_lost": 0, "notifications_lost": 0, "crashed_clients": len(self.crashed)}
        gaps: list[str] = []  # which streams lost what: enough to tell a tail never published from a dead socket
        streams = [(c, messages[cid], "chat") for cid, c in self.chat]
        streams += [(c, notifications[uid], "notifications") for uid, c in self.notified]
        for stream, expected, kind in streams:
            lost, duplicated, ordered = check_stream(stream.ids, expected)
            figures["lost"] += lost
            figures[f"{kind}_lost"] += lost
            figures["duplicated"] += duplicated
            figures[f"{kind}_out_of_order"] += not ordered
            if lost and len(gaps) < 10:
                missing = sorted(set(expected) - set(stream.ids))
                tail = sum(1 for i in missing if i > max(stream.ids, default=0))
                gaps.append(f"{kind}: {lost} lost ({tail} past its highest), first {missing[:3]}")
                gaps[-1] += f", closes {stream.closes}"
        if gaps or self.crashed:
            print("\n".join(["", *gaps, *self.crashed[:3]]))
        return {
            "clients": len(self.clients),
            "messages": sum(len(v) for v in messages.values()),
            "notifications": sum(len(v) for v in notifications.values()),
            "reconnects": sum(len(c.closes) for c in self.clients),
            **figures,
        }


async def _offline_watch(user_ids: list[int]) -> tuple[Any, str]:
    layer = get_channel_layer()
    channel = await layer.new_channel("faults.")
    for uid in user_ids:
        await layer.group_add(presence_group(uid), channel)
    return layer, channel


async def _offline_times(
    layer: Any, channel: str, user_ids: list[int], since: float, within: float
) -> dict[int, float]:
    offline: dict[int, float] = {}
    async with asyncio.timeout(within):
        while set(offline) != set(user_ids):
            message = await layer.receive(channel)
            if message.get("event") == "user_offline":
                offline[json.loads(message["text"])["data"]["user_id"]] = time.monotonic() - since
    return offline


async def _run_scenario(cluster: Any, nginx: Any, make_user: Any, fault: str) -> dict[str, Any]:
    users, conversations, posts, bystanders = await sync_to_async(_setup)(make_user)
    load = Load(nginx, users, conversations, posts)
    victim = cluster.servers[0]
    # Bystanders hold one socket each on the victim only (no nginx, no reconnect): their presence must end.
    layer, channel = await _offline_watch([b.pk for b in bystanders])
    stay = [await connect(f"{victim.ws_url}/ws/notifications/?token={access_token(b)}") for b in bystanders]
    for ws in stay:
        await recv_type(ws, "unread_count", timeout=WAIT)
    figures: dict[str, Any] = {}
    watching: list[asyncio.Future] = []
    try:
        await load.online()

        async def strike() -> None:
            figures["fault_at"] = time.monotonic()
            # Read user_offline while the load goes on: at full scale the load outlasts the channel
            # layer's message expiry (60 s), and an event read only afterwards would be gone.
            ids = [b.pk for b in bystanders]
            watching.append(asyncio.ensure_future(_offline_times(layer, channel, ids, figures["fault_at"], WAIT)))
            if fault == "kill":
                await sync_to_async(cluster.kill)(0)
            else:
                figures["exit_code"] = await sync_to_async(cluster.terminate)(0)
                figures["exit_seconds"] = time.monotonic() - figures["fault_at"]

        started = time.monotonic()
        await load.run(strike)
        offline = await watching[0]
        messages, notifications = await load.settle()
        figures["seconds"] = time.monotonic() - started
        figures["offline_after_max"] = max(offline.values())
    finally:
        for task in watching:
            task.cancel()
        await load.stop()
        for ws in stay:
            await ws.close()
    figures.update(load.verdict(messages, notifications))
    store = get_presence_store()
    figures["ghosts"] = sum([await store.is_present("user", str(b.pk)) for b in bystanders])
    return figures


def _print(name: str, figures: dict[str, Any]) -> None:
    shown = ", ".join(
        f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items() if k != "fault_at"
    )
    print(f"\n{name}: {shown}")


async def test_sigkill_of_one_process_loses_nothing(
    live_db: None, cluster_factory: Any, make_user: Any, front: Any
) -> None:
    cluster = await sync_to_async(cluster_factory)(2, PRESENCE_TTL_SECONDS=str(PRESENCE_TTL))
    nginx = front(cluster)
    figures = await _run_scenario(cluster, nginx, make_user, "kill")
    _print("sigkill", figures)
    assert figures["crashed_clients"] == 0, figures
    assert (figures["lost"], figures["duplicated"]) == (0, 0), figures
    assert (figures["chat_out_of_order"], figures["notifications_out_of_order"]) == (0, 0), figures
    assert figures["ghosts"] == 0
    # Swept by the survivor: the TTL, one sweep interval (TTL / 3), and slack for a loaded 2-core CI box.
    # Alone this measures ~3.3 s (TTL 3 s + one sweep). Inside the full suite on 2 cores the sweeper's loop is
    # starved and it measured 9.6-11 s: the bound keeps "offline, never forever" without timing the CPU.
    assert figures["offline_after_max"] <= 4 * PRESENCE_TTL, figures


async def test_sigterm_deploy_closes_1012_releases_presence_at_once_and_loses_nothing(
    live_db: None, cluster_factory: Any, make_user: Any, front: Any
) -> None:
    # A TTL far beyond the test: only the consumers' disconnect can release presence in time.
    cluster = await sync_to_async(cluster_factory)(2, PRESENCE_TTL_SECONDS="600")
    nginx = front(cluster)
    figures = await _run_scenario(cluster, nginx, make_user, "term")
    _print("sigterm", figures)
    assert figures["crashed_clients"] == 0, figures
    assert (figures["lost"], figures["duplicated"]) == (0, 0), figures
    assert (figures["chat_out_of_order"], figures["notifications_out_of_order"]) == (0, 0), figures
    assert figures["ghosts"] == 0 and figures["offline_after_max"] < GRACEFUL_SHUTDOWN_SECONDS, figures
    assert figures["exit_seconds"] < GRACEFUL_SHUTDOWN_SECONDS + 1, figures
    log = cluster.servers[0].log()
    assert '"code": 1012' in log and "Finished server process" in log and "ws_handler_failed" not in log


def test_compose_and_nginx_give_a_deploy_time_to_finish() -> None:
    """compose waits longer than uvicorn's graceful shutdown before SIGKILL; nginx retries a dead upstream elsewhere."""
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    grace = compose["services"]["web"]["stop_grace_period"]
    assert re.fullmatch(r"\d+s", grace) and int(grace[:-1]) >= GRACEFUL_SHUTDOWN_SECONDS + 5, grace
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert f'"--timeout-graceful-shutdown", "{GRACEFUL_SHUTDOWN_SECONDS}"' in dockerfile, (
        "the image uses the same grace"
    )
    nginx = Path(BASE_DIR / "nginx.conf").read_text()
    # A process that died is skipped for fail_timeout after max_fails errors; the socket timeouts
    # outlast the app's idle timeout so nginx never cuts a live socket first.
    assert re.search(r"server web:8000 resolve max_fails=\d+ fail_timeout=\d+s;", nginx)
    read_timeout = int(re.search(r"proxy_read_timeout (\d+)s;", nginx).group(1))
    assert read_timeout >= 300, read_timeout
