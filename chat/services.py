"""Every chat write. One transaction each; events are published after commit.

The socket consumer and the REST API call the same functions, so a message sent
either way passes the same checks and produces the same events.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any, Literal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from chat import events, selectors
from chat.models import Conversation, Membership, Message
from chat.selectors import unread_count
from chat.signals import message_created
from realtime import metrics
from realtime.errors import Forbidden, InvalidInput, NotFound, ServiceError
from realtime.fields import MAX_DB_ID
from realtime.groups import conversation_group, conversation_member_group, user_group
from realtime.publish import build_message, publish_messages

logger = logging.getLogger(__name__)


# --- conversations ---------------------------------------------------------------


def conversation_get_or_create_direct(*, user: User, other: User) -> tuple[Conversation, bool]:
    """The one direct conversation between `user` and `other`, created if missing.

    Returns (conversation, created). Unique per pair (the database enforces it through
    `direct_key`), so two concurrent calls end with the same row.
    """
    if other is None or not getattr(other, "is_active", False):
        raise NotFound("No such user.", field="user")
    if other.pk == user.pk:
        raise InvalidInput("You cannot start a conversation with yourself.", field="user")
    key = Conversation.direct_key_for(user.pk, other.pk)
    existing = Conversation.objects.filter(direct_key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                kind=Conversation.Kind.DIRECT, direct_key=key, last_message_at=timezone.now()
            )
            Membership.objects.bulk_create(
                [Membership(conversation=conversation, user=user), Membership(conversation=conversation, user=other)]
            )
    except IntegrityError:  # lost a race with the other side: theirs is the conversation
        return Conversation.objects.get(direct_key=key), False
    return conversation, True


def conversation_create_group(*, creator: User, title: str, members: list[User]) -> Conversation:
    """A group conversation of `creator` plus `members` (deduplicated), at most CHAT_GROUP_MAX_MEMBERS in all."""
    title = (title or "").strip()
    if not title:  # ConversationCreateInput bounds its length
        raise InvalidInput("A group needs a title.", field="title")
    people: dict[int, Any] = {creator.pk: creator}
    for member in members:
        if not getattr(member, "is_active", False):
            raise InvalidInput("Every member must be an active user.", field="members")
        people.setdefault(member.pk, member)
    if len(people) < 2:
        raise InvalidInput("A group needs at least one member besides you.", field="members")
    limit = settings.CHAT_GROUP_MAX_MEMBERS
    if len(people) > limit:
        raise InvalidInput(f"A group has at most {limit} members (you included).", field="members")
    with transaction.atomic():
        conversation = Conversation.objects.create(
            kind=Conversation.Kind.GROUP, title=title, last_message_at=timezone.now()
        )
        Membership.objects.bulk_create([Membership(conversation=conversation, user=u) for u in people.values()])
    return conversation


# --- messages -----------------------------------------------------------------


def _validate_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("Message text must not be blank.", field="text", code="blank")
    limit = settings.CHAT_MAX_MESSAGE_LENGTH
    if len(text) > limit:
        raise InvalidInput(f"Message text is longer than {limit} characters.", field="text", code="too_long")
    return text


def _existing_message(*, sender: User, conversation_id: int, message_id: int) -> Message:
    existing = Message.objects.get(pk=message_id, conversation_id=conversation_id)
    existing.sender = sender
    return existing


@metrics.MESSAGE_CREATE_SECONDS.time()
def message_create(
    *,
    sender: User,
    conversation_id: int,
    text: str,
    client_id: str | None = None,
    viewing: Collection[int] = frozenset(),
) -> tuple[Message, bool]:
    """Store a message from a member and announce it. Returns (message, created).

    - Membership is checked here, on every write (NotFound / Forbidden).
    - Idempotent per (conversation, sender, client_id): resending a known client_id returns
      the stored message with created=False and publishes nothing; the caller acknowledges it
      to its own client (REST: 200 instead of 201; socket: the frame goes to that socket only).
    - The conversation row is locked while the message is inserted, so within a conversation
      ids commit in increasing order: a reader that sees id N sees every id below it
      (what makes `?after=` resume gap-free).
    - After commit: `chat_message` to the conversation group, `chat_update` with each member's
      own unread count to each member's personal group.
    - Sends `chat.signals.message_created` in the transaction, with the other members and `viewing`:
      the ids of the users with a chat socket open on the conversation, which the caller looked up
      (`chat.presence`) before calling, so the row lock is never held while Redis answers. What
      follows from it (who gets a notification) is the receivers' business.
    - Five queries in all, whatever the group size: lock, members + unread counts + idempotency
      check, insert, conversation's last message, sender's positions. None of them per member.
    """
    text = _validate_text(text)
    client_id = client_id or None  # MessageCreateInput checked it (a string of at most 64 characters)
    if not 0 < int(conversation_id) <= MAX_DB_ID:
        raise NotFound("Conversation not found.")
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().filter(pk=conversation_id).first()
        if conversation is None:
            raise NotFound("Conversation not found.")
        # Read after the lock is held, so this statement sees every message committed before ours.
        members = selectors.members_for_new_message(
            conversation_id=conversation_id, sender_id=sender.pk, client_id=client_id
        )
        me = next((m for m in members if m["user_id"] == sender.pk), None)
        if me is None:
            raise Forbidden("You are not a member of this conversation.", code="not_a_member")
        # Read in the same statement: once a deactivation has committed, its sockets can store nothing
        # more, even a frame they were handling while the close was on its way.
        if not me["is_active"]:
            raise Forbidden("Your account is deactivated.", code="account_inactive")
        if me["existing_id"] is not None:
            return _existing_message(
                sender=sender, conversation_id=conversation_id, message_id=me["existing_id"]
            ), False
        message = Message.objects.create(conversation=conversation, sender=sender, text=text, client_id=client_id)
        # The message before it, under the same lock: sockets detect a missing or late event by it.
        previous_id = conversation.last_message_id or 0
        conversation.last_message = message
        conversation.last_message_at = message.created_at
        Conversation.objects.filter(pk=conversation_id).update(last_message=message, last_message_at=message.created_at)
        # The sender has seen their own message: their positions move with it.
        Membership.objects.filter(conversation_id=conversation_id, user_id=sender.pk).update(
            last_read_message_id=message.pk, last_delivered_message_id=message.pk
        )
        # Counts read before the insert: the new message adds one for everybody else; the
        # sender's read position is now the newest message, so nothing is unread for them.
        counts = {m["user_id"]: 0 if m["user_id"] == sender.pk else m["unread"] + 1 for m in members}
        fields = events.MessageData.fields_of(message)
        last_message = events.MessageData(**fields)
        pairs = [
            (
                conversation_group(conversation_id),
                build_message(
                    events.ChatMessage(**fields),
                    event_id=message.pk,
                    meta={"message_id": message.pk, "prev_id": previous_id},
                ),
            )
        ]
        pairs += [
            (
                user_group(uid),
                build_message(
                    events.ChatUpdate(conversation=conversation_id, last_message=last_message, unread_count=unread)
                ),
            )
            for uid, unread in counts.items()
        ]
        publish_messages(pairs)
        transaction.on_commit(metrics.message_created)
        message_created.send(
            sender=Message,
            message=message,
            conversation=conversation,
            recipients=[uid for uid in counts if uid != sender.pk],
            viewing=viewing,
        )
    return message, True


@dataclass(frozen=True)
class MessageDraft:
    """One socket's `chat_message`, for `messages_create_batch` (the arguments of `message_create`)."""

    sender: User
    conversation_id: int
    text: str
    client_id: str | None = None
    viewing: Collection[int] = frozenset()


MessageResult = tuple[Message, bool] | Exception


class _GroupCommitRefused(Exception):
    """The batch cannot be written as one (ids out of order): it is written message by message instead."""


@metrics.MESSAGE_BATCH_SECONDS.time()
def messages_create_batch(*, drafts: list[MessageDraft]) -> list[MessageResult]:
    """Group commit: `message_create` for many messages in ONE transaction; per draft, (message, created) or the error.

    Everything `message_create` promises, for each draft: membership and text checks (one bad
    draft gets its own error, the others are stored), idempotency by `client_id` (a resend of a
    stored message, or a second draft with a client_id already in this batch, answers the stored
    message with created=False and publishes nothing), and per-conversation id order: every
    conversation of the batch is locked (in id order, so two batches cannot deadlock) before the
    insert, so ids of one conversation commit in increasing order across processes and `?after=`
    stays gap-free. Publishing after commit: `chat_message` per message, and ONE `chat_update` per
    member and conversation carrying the batch's last message and the member's final unread count.

    A constant number of statements for the batch, however many conversations it spans: lock, members
    with unread counts, stored client_ids, one multi-row INSERT, the conversations' last messages (one
    UPDATE), the senders' positions. Checks run before anything is written; if the batch still fails in
    the database, it is rolled back (nothing published) and each draft goes through `message_create`
    alone, so one bad message never fails the others.
    """
    results: list[MessageResult | None] = [None] * len(drafts)
    valid: list[tuple[int, MessageDraft]] = []
    for index, draft in enumerate(drafts):
        try:
            text = _validate_text(draft.text)
            client_id = draft.client_id or None  # MessageCreateInput checked it
            if not 0 < int(draft.conversation_id) <= MAX_DB_ID:
                raise NotFound("Conversation not found.")
        except ServiceError as exc:
            results[index] = exc
            continue
        conversation_id = int(draft.conversation_id)
        valid.append((index, replace(draft, text=text, client_id=client_id, conversation_id=conversation_id)))
    if valid:
        try:
            with transaction.atomic():
                _write_batch(valid, results)
        except Exception:
            logger.warning("chat_group_commit_fallback", extra={"messages": len(valid)}, exc_info=True)
            for index, draft in valid:
                try:
                    results[index] = message_create(
                        sender=draft.sender,
                        conversation_id=draft.conversation_id,
                        text=draft.text,
                        client_id=draft.client_id,
                        viewing=draft.viewing,
                    )
                except Exception as exc:
                    results[index] = exc
    assert all(result is not None for result in results)
    return results  # type: ignore[return-value]  # every slot is filled above


def _write_batch(valid: list[tuple[int, MessageDraft]], results: list[MessageResult | None]) -> None:
    """The transaction of `messages_create_batch`: fills `results` for `valid` (index, draft) pairs."""
    conversations = {
        c.pk: c
        for c in Conversation.objects.select_for_update()
        .filter(pk__in={d.conversation_id for _, d in valid})
        .order_by("pk")
    }
    # Read after the locks are held, so these statements see every message committed before ours.
    members: dict[int, dict[int, dict[str, Any]]] = {}
    for row in selectors.members_for_new_messages(conversation_ids=list(conversations)):
        members.setdefault(row["conversation_id"], {})[row["user_id"]] = row
    stored = selectors.messages_by_client_id(
        keys={(d.conversation_id, d.sender.pk, d.client_id) for _, d in valid if d.client_id is not None}
    )
    new, resends = _sort_drafts(valid, results, conversations, members, stored)
    if not new:
        return
    Message.objects.bulk_create([message for _, _, message in new])
    ids = [message.pk for _, _, message in new]
    if ids != sorted(ids):  # ids must follow arrival order for each conversation's commit order to hold
        raise _GroupCommitRefused(f"bulk insert returned ids out of order: {ids}")
    for index, _, message in new:
        results[index] = (message, True)
    for index, first in resends:
        first_result = results[first]
        assert isinstance(first_result, tuple)
        results[index] = (first_result[0], False)
    _after_insert(new, conversations, members)


def _sort_drafts(
    valid: list[tuple[int, MessageDraft]],
    results: list[MessageResult | None],
    conversations: dict[int, Conversation],
    members: dict[int, dict[int, dict[str, Any]]],
    stored: dict[tuple[int, int, str], Message],
) -> tuple[list[tuple[int, MessageDraft, Message]], list[tuple[int, int]]]:
    """Refused drafts and resends of stored messages get their result now; returns the messages to insert,
    and the (index, index of the first) of drafts that resend a client_id first used in this batch."""
    new: list[tuple[int, MessageDraft, Message]] = []
    first_of: dict[tuple[int, int, str], int] = {}
    resends: list[tuple[int, int]] = []
    for index, draft in valid:
        refused = _draft_refused(draft, conversations, members)
        if refused is not None:
            results[index] = refused
            continue
        if draft.client_id is not None:
            key = (draft.conversation_id, draft.sender.pk, draft.client_id)
            if key in stored:
                results[index] = (_as_sent_by(stored[key], draft.sender), False)
                continue
            if key in first_of:  # resent inside this batch: the first one is stored, this one answers it
                resends.append((index, first_of[key]))
                continue
            first_of[key] = index
        message = Message(
            conversation_id=draft.conversation_id, sender=draft.sender, text=draft.text, client_id=draft.client_id
        )
        new.append((index, draft, message))
    return new, resends


def _draft_refused(
    draft: MessageDraft, conversations: dict[int, Conversation], members: dict[int, dict[int, dict[str, Any]]]
) -> ServiceError | None:
    if draft.conversation_id not in conversations:
        return NotFound("Conversation not found.")
    me = members.get(draft.conversation_id, {}).get(draft.sender.pk)
    if me is None:
        return Forbidden("You are not a member of this conversation.", code="not_a_member")
    # Read in the same statement: once a deactivation has committed, its sockets can store nothing more.
    if not me["is_active"]:
        return Forbidden("Your account is deactivated.", code="account_inactive")
    return None


def _as_sent_by(message: Message, sender: User) -> Message:
    message.sender = sender
    return message


def _after_insert(
    new: list[tuple[int, MessageDraft, Message]],
    conversations: dict[int, Conversation],
    members: dict[int, dict[int, dict[str, Any]]],
) -> None:
    """Last messages, senders' positions, unread counts, events and signals of the inserted messages."""
    by_conversation: dict[int, list[tuple[MessageDraft, Message]]] = {}
    for _, draft, message in new:
        by_conversation.setdefault(draft.conversation_id, []).append((draft, message))
    positions: dict[int, int] = {}  # membership id -> the sender's newest message
    pairs: list[tuple[str, dict[str, Any]]] = []
    updates: list[tuple[str, dict[str, Any]]] = []
    for conversation_id, sent in by_conversation.items():
        conversation = conversations[conversation_id]
        # The message before each, under the conversation's lock: sockets detect a missing or late event by it.
        previous_id = conversation.last_message_id or 0
        last = sent[-1][1]
        conversation.last_message, conversation.last_message_at = last, last.created_at  # written below, in one
        people = members[conversation_id]
        # Counts read before the insert; each message adds one for everybody but its sender, whose
        # read position moves to it (nothing unread for them at that point).
        unread = {uid: row["unread"] for uid, row in people.items()}
        for draft, message in sent:
            for uid in unread:
                unread[uid] = 0 if uid == draft.sender.pk else unread[uid] + 1
            positions[people[draft.sender.pk]["id"]] = message.pk
            fields = events.MessageData.fields_of(message)
            pairs.append(
                (
                    conversation_group(conversation_id),
                    build_message(
                        events.ChatMessage(**fields),
                        event_id=message.pk,
                        meta={"message_id": message.pk, "prev_id": previous_id},
                    ),
                )
            )
            previous_id = message.pk
            transaction.on_commit(metrics.message_created)
            message_created.send(
                sender=Message,
                message=message,
                conversation=conversation,
                recipients=[uid for uid in people if uid != draft.sender.pk],
                viewing=draft.viewing,
            )
        last_message = events.MessageData.of(last)
        updates += [
            (
                user_group(uid),
                build_message(
                    events.ChatUpdate(conversation=conversation_id, last_message=last_message, unread_count=count)
                ),
            )
            for uid, count in unread.items()
        ]
    # One UPDATE for every conversation of the batch (a statement each was most of the batch's time
    # in bench/chat_fanout with 50 busy conversations per process).
    Conversation.objects.bulk_update(
        [conversations[conversation_id] for conversation_id in sorted(by_conversation)],
        ["last_message", "last_message_at"],
    )
    Membership.objects.bulk_update(
        [
            Membership(pk=pk, last_read_message_id=message_id, last_delivered_message_id=message_id)
            for pk, message_id in sorted(positions.items())
        ],
        ["last_read_message_id", "last_delivered_message_id"],
    )
    publish_messages(pairs + updates)


@dataclass(frozen=True)
class Receipt:
    """One socket's `message_delivered` or `mark_read`, for `receipts_apply`."""

    kind: Literal["delivered", "read"]
    user_id: int
    conversation_id: int
    message_id: int


def receipts_apply(*, receipts: list[Receipt]) -> list[ServiceError | None]:
    """Apply many receipts in ONE transaction; returns, per receipt, None or the error it gets.

    Receipt by receipt, in order (positions only move forward; a read moves delivered too; a
    delivered receipt for your own message is a no-op), but a constant number of queries for the whole batch: the
    messages, the
    memberships (locked in id order), one UPDATE, the readers' unread counts and the
    conversations' last messages. A receipt is a transaction of its own otherwise, and with every
    member acknowledging every message that cost more than the messages themselves
    (bench/chat_fanout --receipts). Positions only move forward, so applying a batch in order equals
    applying its receipts one by one. Events, after commit: `message_delivered` to the sender's
    sockets when a delivered position moved past the reader's read position; `messages_read` to
    the conversation and `chat_update` to the reader's personal group when a read position moved.
    """
    results: list[ServiceError | None] = [None] * len(receipts)
    ids = {r.message_id for r in receipts if isinstance(r.message_id, int) and 0 < r.message_id <= MAX_DB_ID}
    messages = {m.pk: m for m in Message.objects.filter(pk__in=ids).only("id", "conversation_id", "sender_id")}
    pairs = {(r.conversation_id, r.user_id) for r in receipts}
    with transaction.atomic():
        lookup = Q()
        for conversation_id, user_id in pairs:
            lookup |= Q(conversation_id=conversation_id, user_id=user_id)
        memberships = {
            (m.conversation_id, m.user_id): m
            for m in Membership.objects.select_for_update().filter(lookup).order_by("pk")
        }
        delivered: dict[tuple[int, int], Message] = {}
        read: dict[tuple[int, int], int] = {}
        dirty: dict[int, Membership] = {}
        for index, receipt in enumerate(receipts):
            key = (receipt.conversation_id, receipt.user_id)
            membership = memberships.get(key)
            message = _receipt_target(receipt, membership, messages)
            if isinstance(message, ServiceError):
                results[index] = message
                continue
            assert membership is not None  # _receipt_target answers NotFound without one
            if receipt.kind == "read":
                if message.pk > membership.last_read_message_id:
                    membership.last_read_message_id = message.pk
                    membership.last_delivered_message_id = max(membership.last_delivered_message_id, message.pk)
                    read[key] = message.pk
                    dirty[membership.pk] = membership
            elif message.sender_id != receipt.user_id and message.pk > membership.last_delivered_message_id:
                membership.last_delivered_message_id = message.pk
                delivered[key] = message
                dirty[membership.pk] = membership
        if dirty:
            Membership.objects.bulk_update(list(dirty.values()), ["last_read_message_id", "last_delivered_message_id"])
        pairs_out = _delivered_events(delivered, read)
        if read:
            pairs_out.extend(_read_events(read))
        publish_messages(pairs_out)
    return results


def _delivered_events(
    delivered: dict[tuple[int, int], Message], read: dict[tuple[int, int], int]
) -> list[tuple[str, dict[str, Any]]]:
    pairs_out: list[tuple[str, dict[str, Any]]] = []
    for (conversation_id, user_id), message in delivered.items():
        if read.get((conversation_id, user_id), 0) >= message.pk:
            continue  # its messages_read says it (read implies delivered)
        pairs_out.append(
            (
                conversation_member_group(conversation_id, message.sender_id),
                build_message(
                    events.MessageDelivered(message_id=message.pk, user=user_id, conversation=conversation_id)
                ),
            )
        )
    return pairs_out


def _receipt_target(
    receipt: Receipt, membership: Membership | None, messages: dict[int, Message]
) -> Message | ServiceError:
    """The message a receipt acknowledges, or the error it gets."""
    if receipt.kind == "read" and membership is None:
        return Forbidden("You are not a member of this conversation.", code="not_a_member")
    if (
        not isinstance(receipt.message_id, int)
        or isinstance(receipt.message_id, bool)
        or not 0 < receipt.message_id <= MAX_DB_ID
    ):
        return InvalidInput("message_id must be a positive integer.", field="message_id")
    message = messages.get(receipt.message_id)
    # Unknown, in another conversation, or not this member's: one answer, so a receipt
    # cannot probe which message ids exist in other people's conversations.
    if message is None or message.conversation_id != receipt.conversation_id or membership is None:
        return NotFound("Message not found.", field="message_id")
    return message


def _read_events(read: dict[tuple[int, int], int]) -> list[tuple[str, dict[str, Any]]]:
    """One `messages_read` per conversation (every moved reader), and each reader's `chat_update` (2 queries)."""
    keys = list(read)
    counts = Message.objects.filter(conversation_id__in={c for c, _ in keys}, pk__gt=min(read.values())).aggregate(
        **{
            f"k{n}": Count("pk", filter=Q(conversation_id=c, pk__gt=read[(c, u)]) & ~Q(sender_id=u))
            for n, (c, u) in enumerate(keys)
        }
    )
    last = {
        conversation.pk: conversation.last_message
        for conversation in Conversation.objects.filter(pk__in={c for c, _ in keys}).select_related(
            "last_message__sender"
        )
    }
    # One messages_read per conversation, with every reader whose position moved in this batch.
    readers: dict[int, list[events.ReadPosition]] = {}
    for conversation_id, user_id in keys:
        readers.setdefault(conversation_id, []).append(
            events.ReadPosition(user=user_id, up_to=read[(conversation_id, user_id)])
        )
    out: list[tuple[str, dict[str, Any]]] = [
        (
            conversation_group(conversation_id),
            build_message(
                events.MessagesRead(
                    user=moved[0].user, conversation=conversation_id, up_to=moved[0].up_to, readers=moved
                )
            ),
        )
        for conversation_id, moved in readers.items()
    ]
    for n, (conversation_id, user_id) in enumerate(keys):
        last_message = last.get(conversation_id)
        out.append(
            (
                user_group(user_id),
                build_message(
                    events.ChatUpdate(
                        conversation=conversation_id,
                        last_message=events.MessageData.of(last_message) if last_message else None,
                        unread_count=counts[f"k{n}"] or 0,
                    ),
                ),
            )
        )
    return out


def message_mark_read(*, user: User, conversation_id: int, message_id: int) -> dict[str, int]:
    """Mark everything up to `message_id` in the conversation read by `user` (REST; sockets batch).

    One `read` receipt through `receipts_apply`: the same rules and events as a socket's
    `mark_read`. Returns the user's positions and unread count afterwards. Unknown conversation
    -> NotFound; not a member -> Forbidden (not_a_member); a message that is not in this conversation
    (unknown, or in another one) -> NotFound (not_found), the same answer whether it exists or not.
    """
    if not 0 < int(conversation_id) <= MAX_DB_ID or not Conversation.objects.filter(pk=conversation_id).exists():
        raise NotFound("Conversation not found.")
    (error,) = receipts_apply(receipts=[Receipt("read", user.pk, int(conversation_id), message_id)])
    if error is not None:
        raise error
    membership = Membership.objects.get(conversation_id=conversation_id, user_id=user.pk)
    return {
        "conversation": int(conversation_id),
        "user": user.pk,
        "last_read_message_id": membership.last_read_message_id,
        "last_delivered_message_id": membership.last_delivered_message_id,
        "unread_count": unread_count(conversation_id=conversation_id, user=user),
    }
