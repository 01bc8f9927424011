"""`/ws/chat/<conversation_id>/`: one conversation's live socket."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace
from typing import Any, cast

from django.conf import settings

from chat import events, receipts, selectors, services
from chat.models import Message
from chat.presence import conversation_viewers
from chat.serializers import MessageCreateInput, MessageRefInput, TypingInput
from realtime import closecodes, metrics
from realtime.batching import Batcher, per_loop
from realtime.consumers import BaseConsumer, Reject, handles
from realtime.db import db
from realtime.errors import Forbidden, ServiceError
from realtime.groups import (
    USER_SCOPE,
    conversation_group,
    conversation_member_group,
    conversation_scope,
    presence_group,
)
from realtime.presence import get_presence_store
from realtime.publish import apublish

logger = logging.getLogger(__name__)

BACKLOG_CHUNK = 200


async def _apply_receipts(batch: list[services.Receipt]) -> list[ServiceError | None]:
    return await db(services.receipts_apply)(receipts=batch)


def _receipts() -> receipts.ReceiptBatcher:
    return receipts.batcher(_apply_receipts)


async def _create_messages(drafts: list[services.MessageDraft]) -> list[services.MessageResult]:
    # Presence is read here, on the event loop, once per conversation of the batch, so the write
    # never waits for Redis under the lock.
    conversation_ids = list({draft.conversation_id for draft in drafts})
    found = await asyncio.gather(*(conversation_viewers(c) for c in conversation_ids))
    viewers = dict(zip(conversation_ids, found, strict=True))
    drafts = [replace(draft, viewing=viewers[draft.conversation_id]) for draft in drafts]
    return await db(services.messages_create_batch)(drafts=drafts)


def _messages() -> Batcher[services.MessageDraft, tuple[Message, bool]]:
    """This process's group commit of chat messages (`services.messages_create_batch`)."""
    return cast(
        Batcher[services.MessageDraft, tuple[Message, bool]],
        per_loop(
            "chat.messages",
            lambda: Batcher(
                _create_messages,
                window=settings.CHAT_GROUP_COMMIT_WINDOW_MS / 1000,
                on_batch=metrics.messages_batched,
            ),
        ),
    )


class ChatConsumer(BaseConsumer):
    """A member's socket on one conversation.

    Connect: unknown conversation or not a member -> the same `not_found` error and 4404 (existence
    is not revealed, as over REST). Then `connection_established`,
    then (with `?after=<id>`) every stored message after that id, oldest first, then live ones.

    Resume without gap or duplicate: the socket joins the conversation group *before* reading
    the backlog. Channels dispatches one event at a time, so group events that arrive while
    `on_connect` runs wait in the channel layer (the buffer) and are handled after it. Live
    `chat_message`s whose id is <= the last id sent were already sent and are dropped.

    In order, and nothing missing: each live `chat_message` names the message before it in the
    conversation (`prev_id`, read under the conversation lock). When that is newer than the last
    one this socket sent, an event is missing: late (two senders' publishes raced after their
    commits) or lost (the process that stored it died before publishing). The socket then sends
    what it lacks from the database, in id order, and drops the late event when it comes.

    Client events: chat_message, typing, message_delivered, mark_read (see chat/events.py).
    Fan-out: group events are forwarded as pre-encoded text; no query per delivery.
    """

    async def on_connect(self) -> None:
        self.conversation_id = int(self.scope["url_route"]["kwargs"]["conversation_id"])
        self.backlog_high_water = 0
        self.typing_timer: asyncio.Task | None = None
        after = await self.after_param()
        conversation, memberships = await db(selectors.conversation_state_for_member)(
            conversation_id=self.conversation_id, user=self.user
        )
        others = [m.user_id for m in memberships if m.user_id != self.user.pk]
        # Join first, read second: nothing published from here on can be missed.
        await self.join_groups(
            [
                conversation_group(self.conversation_id),
                conversation_member_group(self.conversation_id, self.user.pk),
                *(presence_group(uid) for uid in others),
            ]
        )
        await self.join_presence(conversation_scope(self.conversation_id), str(self.user.pk))
        present = await get_presence_store().present_many(USER_SCOPE, [str(m.user_id) for m in memberships])
        online = {m.user_id: p for m, p in zip(memberships, present, strict=True)}
        online[self.user.pk] = True
        await self.send_event(
            events.ConnectionEstablished.of(conversation=conversation, memberships=memberships, online=online)
        )
        if after is not None:
            await self._send_backlog(after)
        else:  # live only: from the newest message as of joining
            self.backlog_high_water = conversation.last_message_id or 0

    async def _send_backlog(self, after: int) -> None:
        cursor = after
        while True:
            chunk = await db(selectors.messages_after)(
                conversation_id=self.conversation_id, after_id=cursor, limit=BACKLOG_CHUNK
            )
            for message in chunk:
                await self.send_event(events.ChatMessage.of(message), event_id=message.pk)
            if chunk:
                cursor = chunk[-1].pk
            if len(chunk) < BACKLOG_CHUNK:
                break
        self.backlog_high_water = cursor

    async def deliver(self, message: dict[str, Any]) -> None:
        meta = message.get("meta") or {}
        message_id = meta.get("message_id")
        if message_id is None:
            await self.send(text_data=message["text"])
            return
        if message_id <= self.backlog_high_water:
            return  # already sent (backlog, or a repair)
        if (meta.get("prev_id") or 0) > self.backlog_high_water:
            await self._send_backlog(self.backlog_high_water)  # the missing ones and this one, from the database
            return
        await self.send(text_data=message["text"])
        self.backlog_high_water = message_id

    async def on_disconnect(self, code: int) -> None:
        if getattr(self, "typing_timer", None) is not None:
            await self._stop_typing()

    # --- client events -------------------------------------------------------------

    @handles("chat_message", MessageCreateInput)
    async def on_chat_message(self, data: dict[str, Any]) -> None:
        draft = services.MessageDraft(self.user, self.conversation_id, data["text"], data.get("client_id"))
        try:
            message, created = await _messages().submit(draft)
        except Forbidden as exc:  # removed from the conversation, or deactivated, since connecting
            await self.send_error(exc.code, exc.message, type="chat_message")
            if exc.code == "account_inactive":  # the revocation's own close may still be on its way
                raise Reject(closecodes.UNAUTHENTICATED, "account deactivated")
            raise Reject(closecodes.FORBIDDEN, "not a member")
        if not created:
            # A resend: this client missed the echo; confirm to it alone, tell nobody else again.
            # After a reconnect the stored message can be newer than what this socket has sent so far
            # (the process that stored it was stopped before its publish reached us): send the gap and
            # it from the database, in id order, so the confirmation never overtakes older messages.
            if message.pk > self.backlog_high_water:
                await self._send_backlog(self.backlog_high_water)
            else:
                await self.send_event(events.ChatMessage.of(message), event_id=message.pk)
        if self.typing_timer is not None:
            await self._stop_typing()

    @handles("typing", TypingInput)
    async def on_typing(self, data: dict[str, Any]) -> None:
        if data["is_typing"]:
            if self.typing_timer is not None:
                self.typing_timer.cancel()
            # The receiving side can't be trusted to time out, so this socket sends the "stopped".
            self.typing_timer = asyncio.ensure_future(self._typing_expires())
            await self._publish_typing(True)
        elif self.typing_timer is not None:
            await self._stop_typing()

    @handles("message_delivered", MessageRefInput)
    async def on_message_delivered(self, data: dict[str, Any]) -> None:
        await _receipts().submit(services.Receipt("delivered", self.user.pk, self.conversation_id, data["message_id"]))

    @handles("mark_read", MessageRefInput)
    async def on_mark_read(self, data: dict[str, Any]) -> None:
        await _receipts().submit(services.Receipt("read", self.user.pk, self.conversation_id, data["message_id"]))

    # --- typing --------------------------------------------------------------------

    async def _publish_typing(self, is_typing: bool) -> None:
        await apublish(
            conversation_group(self.conversation_id),
            events.Typing(conversation=self.conversation_id, user=self.user.pk, is_typing=is_typing),
            exclude_user=self.user.pk,
        )

    async def _typing_expires(self) -> None:
        try:
            await asyncio.sleep(settings.CHAT_TYPING_TIMEOUT_SECONDS)
        except asyncio.CancelledError:
            return
        self.typing_timer = None
        try:
            await self._publish_typing(False)
        except Exception:
            logger.exception("chat_typing_expiry_failed", extra={"conversation": self.conversation_id})

    async def _stop_typing(self) -> None:
        timer, self.typing_timer = self.typing_timer, None
        if timer is not None:
            timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timer
        await self._publish_typing(False)
