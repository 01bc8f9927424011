"""Reads of chat state. All scoped to a member; none of them writes."""

from __future__ import annotations

from typing import Any

from django.db.models import BigIntegerField, Count, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from chat.models import Conversation, Membership, Message
from realtime.errors import NotFound
from realtime.fields import MAX_DB_ID


def conversation_for_member(*, conversation_id: int, user: User) -> Conversation:
    """The conversation if `user` is a member.

    Unknown, or exists but `user` is not a member -> the same NotFound: REST (404) and the
    socket (4404) answer a stranger alike, so ids of other people's chats don't leak.
    """
    if not 0 < int(conversation_id) <= MAX_DB_ID:
        raise NotFound("Conversation not found.")
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFound("Conversation not found.")
    if not Membership.objects.filter(conversation_id=conversation_id, user_id=user.pk).exists():
        raise NotFound("Conversation not found.")
    return conversation


def conversation_state_for_member(*, conversation_id: int, user: User) -> tuple[Conversation, list[Membership]]:
    """What a socket needs on connect: the conversation and every membership (with users, positions)."""
    conversation = conversation_for_member(conversation_id=conversation_id, user=user)
    memberships = list(
        Membership.objects.filter(conversation_id=conversation_id).select_related("user").order_by("joined_at", "id")
    )
    return conversation, memberships


def messages_after(*, conversation_id: int, after_id: int, limit: int) -> list[Message]:
    """Up to `limit` messages with id > after_id, oldest first (resume backlog, `?after=` pages)."""
    return list(
        Message.objects.filter(conversation_id=conversation_id, id__gt=after_id)
        .select_related("sender")
        .order_by("id")[:limit]
    )


def message_page(
    *, conversation_id: int, before: int | None, after: int | None, limit: int
) -> tuple[list[Message], bool]:
    """A page of messages, always oldest first, and whether more exist in the paging direction.

    `after`: the `limit` messages right after it (paging forward). Otherwise the `limit`
    newest messages, older than `before` when given (paging back through history).
    """
    base = Message.objects.filter(conversation_id=conversation_id).select_related("sender")
    if after is not None:
        rows = list(base.filter(id__gt=after).order_by("id")[: limit + 1])
        return rows[:limit], len(rows) > limit
    if before is not None:
        base = base.filter(id__lt=before)
    rows = list(base.order_by("-id")[: limit + 1])
    page = rows[:limit]
    page.reverse()
    return page, len(rows) > limit


def unread_counts(*, conversation_id: int) -> dict[int, int]:
    """Every member's unread count in one aggregated query (messages after their read position, not their own)."""
    rows = (
        Membership.objects.filter(conversation_id=conversation_id)
        .annotate(
            unread=Count(
                "conversation__messages",
                filter=Q(conversation__messages__id__gt=F("last_read_message_id"))
                & ~Q(conversation__messages__sender_id=F("user_id")),
            )
        )
        .values_list("user_id", "unread")
    )
    return dict(rows)


def members_for_new_message(*, conversation_id: int, sender_id: int, client_id: str | None) -> list[dict[str, Any]]:
    """One query for everything a new message needs to know about the members, before it is inserted:
    [{"user_id", "unread" (messages after their read position, not their own), "existing_id", "is_active"}].

    `existing_id` is the id of the sender's message already stored under `client_id` (the same on
    every row; None if there is none or no client_id): the idempotency check rides along.
    """
    unread = (
        Message.objects.filter(conversation_id=conversation_id, id__gt=OuterRef("last_read_message_id"))
        .exclude(sender_id=OuterRef("user_id"))
        .order_by()
        .values("conversation_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    if client_id is None:
        existing: Any = Value(None, output_field=BigIntegerField())
    else:
        existing = Subquery(
            Message.objects.filter(conversation_id=conversation_id, sender_id=sender_id, client_id=client_id).values(
                "id"
            )[:1]
        )
    rows = (
        Membership.objects.filter(conversation_id=conversation_id)
        .annotate(unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)), existing_id=existing)
        .values("user_id", "unread", "existing_id", is_active=F("user__is_active"))
    )
    return [row for row in rows]  # type: ignore[misc]  # TypedDict rows are the documented plain dicts


def members_for_new_messages(*, conversation_ids: list[int]) -> list[dict[str, Any]]:
    """`members_for_new_message` for a group commit: every member of these conversations in one query,
    [{"id" (the membership), "conversation_id", "user_id", "unread", "is_active"}], without the
    idempotency check (`messages_by_client_id` does it for the whole batch)."""
    unread = (
        Message.objects.filter(conversation_id=OuterRef("conversation_id"), id__gt=OuterRef("last_read_message_id"))
        .exclude(sender_id=OuterRef("user_id"))
        .order_by()
        .values("conversation_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    rows = (
        Membership.objects.filter(conversation_id__in=conversation_ids)
        .annotate(unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)))
        .values("id", "conversation_id", "user_id", "unread", is_active=F("user__is_active"))
        .order_by("conversation_id", "joined_at", "id")
    )
    return [row for row in rows]  # type: ignore[misc]  # TypedDict rows are the documented plain dicts


def messages_by_client_id(*, keys: set[tuple[int, int, str]]) -> dict[tuple[int, int, str], Message]:
    """The stored messages of (conversation_id, sender_id, client_id) triples, in one query (sender loaded)."""
    if not keys:
        return {}
    lookup = Q()
    for conversation_id, sender_id, client_id in keys:
        lookup |= Q(conversation_id=conversation_id, sender_id=sender_id, client_id=client_id)
    found = Message.objects.filter(lookup).select_related("sender")
    return {(m.conversation_id, m.sender_id, m.client_id): m for m in found if m.client_id is not None}


def unread_count(*, conversation_id: int, user: User) -> int:
    last_read = (
        Membership.objects.filter(conversation_id=conversation_id, user_id=user.pk)
        .values_list("last_read_message_id", flat=True)
        .first()
    )
    if last_read is None:
        return 0
    return Message.objects.filter(conversation_id=conversation_id, id__gt=last_read).exclude(sender_id=user.pk).count()


def conversation_list_for_user(*, user: User) -> QuerySet[Conversation]:
    """The user's conversations, most recent activity first, each with last message, unread count and
    the user's own positions; members prefetched. A constant number of queries for any page size."""
    mine = Membership.objects.filter(conversation=OuterRef("pk"), user_id=user.pk)
    unread = (
        Message.objects.filter(conversation=OuterRef("pk"), id__gt=OuterRef("my_last_read"))
        .exclude(sender_id=user.pk)
        .order_by()
        .values("conversation")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        Conversation.objects.filter(memberships__user_id=user.pk)
        .annotate(
            my_last_read=Subquery(mine.values("last_read_message_id")[:1]),
            my_last_delivered=Subquery(mine.values("last_delivered_message_id")[:1]),
        )
        .annotate(unread_count=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)))
        .select_related("last_message__sender")
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("user").order_by("joined_at", "id"))
        )
        .order_by(F("last_message_at").desc(nulls_last=True), "-id")
    )
