"""Who is watching / streaming, across processes, and what happens when they go.

Presence scopes (realtime.presence, heartbeat TTL):
* `stream:<id>`       member = viewer user id: the viewer count (a user with 3 tabs counts once);
* `streamer:<id>`     member = streamer user id: is the streamer connected at all (grace timer);
* `stream_peer:<id>`  member = a viewer *socket* (connection id): valid signaling targets;
* `stream_host:<id>`  member = a streamer socket: where viewers' answers/candidates go.

Announcements happen only when a member's presence flips (first socket in, last
socket out), so counts never go negative and every `user_left` follows a
`user_joined`. A process that crashes runs no disconnect code: the sweeper
(realtime.heartbeat) reports its members once their TTL lapses, and the
handlers below announce them as gone.
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from django.conf import settings

from livestream import events
from livestream.models import Stream
from livestream.services import GraceState, stream_streamer_absent, stream_viewers_set
from realtime.events import Event
from realtime.groups import (
    connection_group,
    stream_group,
    stream_host_scope,
    streamer_scope,
)
from realtime.heartbeat import on_presence_expired
from realtime.presence import get_presence_store
from realtime.publish import apublish

logger = logging.getLogger(__name__)

_grace_tasks: set[asyncio.Task] = set()


async def publish_to_streamer(stream_id: int, event: Event) -> int:
    """Send to every socket of the streamer in this stream, by connection group (any process)."""
    hosts = await get_presence_store().members(stream_host_scope(stream_id))
    for conn in hosts:
        await apublish(connection_group(conn), event)
    return len(hosts)


async def announce_viewer_joined(*, stream_id: int, user: events.UserBrief, peer: str, role: str, count: int) -> None:
    await _announce(stream_id, events.UserJoined(user=user, peer=peer, role=role, viewers=count), count)


async def announce_viewer_left(*, stream_id: int, user: events.UserBrief, count: int, peer: str | None = None) -> None:
    count = max(0, count)
    await _announce(stream_id, events.UserLeft(user=user, peer=peer, viewers=count), count)


async def _announce(stream_id: int, event: Event, count: int) -> None:
    """A viewer came or went: the streamer hears who, everyone the head count, and the row keeps it."""
    await publish_to_streamer(stream_id, event)
    await apublish(stream_group(stream_id), events.ViewersUpdate(count=count))
    await database_sync_to_async(stream_viewers_set)(stream_id=stream_id, count=count)


async def check_streamer_absent(stream_id: int) -> GraceState:
    """End the stream if its streamer has been away longer than the grace period (any process may call)."""
    streamer_id = await database_sync_to_async(_streamer_id)(stream_id)
    if streamer_id is None:
        return GraceState.NOOP
    if await get_presence_store().is_present(streamer_scope(stream_id), str(streamer_id)):
        return GraceState.PRESENT
    return await database_sync_to_async(stream_streamer_absent)(stream_id=stream_id)


def schedule_grace_check(stream_id: int) -> None:
    """Re-check after the grace period. If this process dies first, viewers' heartbeats
    (LiveConsumer.on_heartbeat) notice the absent streamer and finish the job."""

    async def run() -> None:
        try:
            await asyncio.sleep(float(settings.LIVE_STREAMER_GRACE_SECONDS) + 0.25)
            result = await check_streamer_absent(stream_id)
            if result == GraceState.WAITING:  # the streamer came back and left again: that departure's timer decides
                return
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("live_grace_check_failed", extra={"stream": stream_id})

    task = asyncio.ensure_future(run())
    _grace_tasks.add(task)
    task.add_done_callback(_grace_tasks.discard)


def _streamer_id(stream_id: int) -> int | None:
    return Stream.objects.filter(pk=stream_id).values_list("streamer_id", flat=True).first()


def _username(user_id: int) -> str | None:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=user_id).values_list("username", flat=True).first()


@on_presence_expired("stream")
async def _viewer_expired(scope: str, member: str, remaining: int) -> None:
    stream_id, user_id = int(scope.split(":", 1)[1]), int(member)
    username = await database_sync_to_async(_username)(user_id)
    await announce_viewer_left(
        stream_id=stream_id, user=events.UserBrief(id=user_id, username=username), count=remaining
    )


@on_presence_expired("streamer")
async def _streamer_expired(scope: str, member: str, remaining: int) -> None:
    stream_id = int(scope.split(":", 1)[1])
    if await check_streamer_absent(stream_id) == GraceState.MARKED:
        schedule_grace_check(stream_id)


async def streamer_gone(stream_id: int) -> None:
    """The streamer's last socket on a live stream closed: mark the stream and start the grace period."""
    if await database_sync_to_async(stream_streamer_absent)(stream_id=stream_id) == GraceState.MARKED:
        schedule_grace_check(stream_id)


async def grace_backstop(stream_id: int, streamer_id: int) -> None:
    """Backstop for the grace timer, run by viewers' heartbeats: if the process that scheduled it
    died, any socket of the stream notices the absent streamer; a short lock keeps it to one
    check per interval across processes."""
    store = get_presence_store()
    if await store.is_present(streamer_scope(stream_id), str(streamer_id)):
        return
    try_lock = getattr(store, "try_lock", None)
    if try_lock is not None and not await try_lock(f"live-grace:{stream_id}", 1000):
        return
    await check_streamer_absent(stream_id)
