"""Where a socket is: presence entries (the user's own and app scopes), capacity, the heartbeat."""

from __future__ import annotations

import logging

from channels.exceptions import StopConsumer
from django.conf import settings

from realtime import closecodes, heartbeat
from realtime.events import UserOffline, UserOnline
from realtime.groups import USER_SCOPE, presence_group
from realtime.layers import LAYER_UNAVAILABLE
from realtime.presence import Change, get_presence_store
from realtime.publish import apublish

logger = logging.getLogger("realtime")


class PresenceMixin:
    """Needs from the consumer: `user`, `connection_id`, `closed`, `last_client_frame`, `send_error`, `close_with`."""

    def start_presence(self) -> None:
        self.presence_entries: list[tuple[str, str]] = []

    async def join_user_presence(self) -> Change | None:
        """Count this socket as one of the user's; None when the user has too many open already."""
        return await get_presence_store().join(
            USER_SCOPE, str(self.user.pk), self.connection_id, max_connections=settings.WS_MAX_CONNECTIONS_PER_USER
        )

    async def join_presence(
        self, scope: str, member: str, *, info: dict | None = None, max_members: int | None = None
    ) -> Change | None:
        """Register this socket in a presence scope; refreshed by the heartbeat, left on disconnect.

        With `max_members`, a member that would be new beyond that many is refused: the entry is
        taken back and None returned. Joining and counting are one atomic step in the store, so two
        sockets racing for the last place cannot both get it.
        """
        change = await get_presence_store().join(scope, member, self.connection_id, info=info)
        if change is None:
            return None
        self.presence_entries.append((scope, member))
        if max_members is not None and change.flipped and change.members > max_members:
            await self.leave_presence(scope, member)
            return None
        return change

    async def leave_presence(self, scope: str, member: str) -> Change:
        if (scope, member) in self.presence_entries:
            self.presence_entries.remove((scope, member))
        return await get_presence_store().leave(scope, member, self.connection_id)

    async def announce_online(self, change: Change) -> None:
        if change.flipped:
            await apublish(presence_group(self.user.pk), UserOnline(user_id=self.user.pk, username=self.user.username))

    async def release_presence(self) -> None:
        """Leave every presence entry; the user's last socket announces `user_offline`."""
        store = get_presence_store()
        for scope, member in list(getattr(self, "presence_entries", [])):
            try:
                change = await store.leave(scope, member, self.connection_id)
            except LAYER_UNAVAILABLE:  # Redis down: the entries expire with their TTL, or went with Redis
                logger.warning("presence_leave_unavailable", extra={"scope": scope})
                return
            except Exception:
                logger.exception("presence_leave_failed", extra={"scope": scope})
                continue
            if scope == USER_SCOPE and change.flipped:
                try:
                    await apublish(
                        presence_group(self.user.pk), UserOffline(user_id=self.user.pk, username=self.user.username)
                    )
                except Exception:
                    logger.exception("presence_publish_failed", extra={"scope": scope})

    def start_heartbeat(self) -> None:
        """Hand the socket to the process's one heartbeat (realtime.heartbeat): no task per socket."""
        heartbeat.beat_for(self)

    def stop_heartbeat(self) -> None:
        heartbeat.stop_beat_for(self)

    async def idle_close(self) -> None:
        """Nothing received for WS_IDLE_TIMEOUT_SECONDS: tell the client and close 4408 (the heartbeat calls it)."""
        await self.send_error("idle_timeout", "No frame received in time; send ping to stay connected.")
        await self.close_with(closecodes.IDLE_TIMEOUT, "idle timeout")

    async def presence_lost(self, reason: str) -> None:
        """Close with RESYNC (4503): the heartbeat found this socket's presence gone, or Redis unreachable.

        Redis down, or back but empty (restarted, flushed), or the entries swept because this
        process stalled past the TTL: the socket's presence and, with Redis, its group
        memberships are gone, and events published meanwhile never reached it. It cannot tell
        what else was lost, so it closes with RESYNC: the client reconnects, joins again and
        resumes with `?after=`, which replays what it missed.
        """
        if self.closed:
            return
        logger.warning("ws_presence_lost", extra={"reason": reason})
        try:
            await self.close_with(closecodes.RESYNC, reason)
        except StopConsumer:  # a send timed out: the socket is released already
            pass

    async def on_heartbeat(self) -> None:
        """Subclasses: periodic work while connected (e.g. grace-period checks)."""
