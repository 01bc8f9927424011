"""Where a socket is: presence entries (the user's own and app scopes), capacity, the heartbeat."""

from __future__ import annotations

import asyncio
import logging
import time

from channels.exceptions import StopConsumer
from django.conf import settings

from realtime import closecodes
from realtime.events import UserOffline, UserOnline
from realtime.groups import USER_SCOPE, presence_group
from realtime.layers import LAYER_UNAVAILABLE
from realtime.presence import Change, PresenceStore, get_presence_store
from realtime.publish import apublish

logger = logging.getLogger("realtime")


class PresenceMixin:
    """Needs from the consumer: `user`, `connection_id`, `closed`, `last_client_frame`, `send_error`, `close_with`."""

    def start_presence(self) -> None:
        self.presence_entries: list[tuple[str, str]] = []
        self.heartbeat_task: asyncio.Task | None = None

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
        self.heartbeat_task = asyncio.ensure_future(self._heartbeat())

    async def _heartbeat(self) -> None:
        interval = max(0.5, min(settings.PRESENCE_TTL_SECONDS / 3, settings.WS_IDLE_TIMEOUT_SECONDS / 2))
        store = get_presence_store()
        try:
            while not self.closed:
                await asyncio.sleep(interval)
                if time.monotonic() - self.last_client_frame > settings.WS_IDLE_TIMEOUT_SECONDS:
                    await self.send_error("idle_timeout", "No frame received in time; send ping to stay connected.")
                    await self.close_with(closecodes.IDLE_TIMEOUT, "idle timeout")
                    return
                if not await self._refresh_presence(store):
                    return
                await self.on_heartbeat()
        except (asyncio.CancelledError, StopConsumer):  # StopConsumer: a send timed out, the socket is released
            pass
        except Exception:
            logger.exception("ws_heartbeat_failed", extra={"consumer": type(self).__name__})

    async def _refresh_presence(self, store: PresenceStore) -> bool:
        """Keep this socket's entries alive; False, after closing with 4503, when Redis lost them.

        Redis down, or back but empty (restarted, flushed), or the entries swept because this
        process stalled past the TTL: the socket's presence and, with Redis, its group
        memberships are gone, and events published meanwhile never reached it. It cannot tell
        what else was lost, so it closes with RESYNC: the client reconnects, joins again and
        resumes with `?after=`, which replays what it missed.
        """
        try:
            lost = [e for e in list(self.presence_entries) if not await store.refresh(*e, self.connection_id)]
        except Exception as exc:  # Redis unreachable: the channel layer is down with it
            logger.warning("ws_presence_unavailable", extra={"error": type(exc).__name__})
            await self.close_with(closecodes.RESYNC, "presence unavailable")
            return False
        if lost and not self.closed:
            logger.warning("ws_presence_lost", extra={"scopes": [scope for scope, _ in lost][:8]})
            await self.close_with(closecodes.RESYNC, "presence lost")
            return False
        return True

    async def on_heartbeat(self) -> None:
        """Subclasses: periodic work while connected (e.g. grace-period checks)."""
