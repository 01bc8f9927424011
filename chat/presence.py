"""Who has a conversation open: looked up at the edge (socket or view) and passed to `message_create`."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync

from realtime.groups import conversation_scope
from realtime.presence import get_presence_store

logger = logging.getLogger(__name__)


async def conversation_viewers(conversation_id: int) -> set[int]:
    """Ids of the users with a chat socket open on the conversation (any process).

    Advisory: if presence is unavailable everybody counts as "not viewing" (they get a
    notification rather than nothing). The socket calls this on its own event loop before
    writing, so the write itself never waits for Redis under the conversation's row lock.
    """
    try:
        present = await get_presence_store().members(conversation_scope(conversation_id))
    except Exception:
        logger.warning("chat_presence_lookup_failed", extra={"conversation": conversation_id}, exc_info=True)
        return set()
    return {int(m) for m in present if str(m).isdigit()}


def conversation_viewers_blocking(conversation_id: int) -> set[int]:
    """`conversation_viewers` for synchronous callers (the REST view)."""
    try:
        return async_to_sync(conversation_viewers)(conversation_id)
    except Exception:  # advisory, as above (e.g. no event loop bridge available)
        logger.warning("chat_presence_lookup_failed", extra={"conversation": conversation_id}, exc_info=True)
        return set()
