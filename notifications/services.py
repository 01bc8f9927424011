"""Every write to notifications.

Creation services are called by the one-line signal receivers (receivers.py) inside
the sender's transaction: the row commits or rolls back with the like/comment/follow
that caused it, and `new_notification` + `unread_count` are published to the
recipient's personal group only after commit.

Target models belong to other apps (social, chat, livestream, items); their fields
are read with `getattr` so this app depends on the signal contract only.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from notifications import events
from notifications.models import ONCE_PER_ACTOR_TYPES, PRIORITY_BY_TYPE, Notification, NotificationType
from notifications.selectors import unread_counts_for
from realtime.errors import NotFound
from realtime.fields import MAX_DB_ID
from realtime.groups import user_group
from realtime.publish import build_message, publish, publish_messages

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

EXCERPT_LENGTH = 80
# A comment notification and a mention in the same comment say the same thing twice.
COMMENT_FAMILY: tuple[str, ...] = (NotificationType.COMMENT, NotificationType.REPLY, NotificationType.MENTION_COMMENT)
FOLLOW_FAMILY: tuple[str, ...] = (NotificationType.FOLLOW, NotificationType.FOLLOW_BACK)
# First key of the transaction-level advisory locks that order each recipient's notifications.
RECIPIENT_LOCK_SPACE = 0x6E6F7469  # "noti"


# --- helpers -------------------------------------------------------------------


def _excerpt(text: Any, length: int = EXCERPT_LENGTH) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _fk_id(obj: Any, name: str) -> int | None:
    """`obj.<name>_id` without loading the related row, falling back to `obj.<name>.pk`."""
    value = getattr(obj, f"{name}_id", None)
    if value is None:
        related = getattr(obj, name, None)
        value = getattr(related, "pk", None)
    return value


def _user(obj: Any, *names: str) -> Any:
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return None


def _target(kind: str, obj: Any, url_name: str, url_arg: Any, **fields: Any) -> dict[str, Any]:
    """A notification target: a snapshot of the object, with the URL its own app routes (reverse)."""
    return {"type": kind, "id": obj.pk, **fields, "url": reverse(url_name, args=[url_arg])}


def post_summary(post: Any) -> dict[str, Any]:
    return _target("post", post, "post-detail", post.pk, excerpt=_excerpt(getattr(post, "text", "")))


def comment_summary(comment: Any, post: Any | None = None) -> dict[str, Any]:
    post_id = getattr(post, "pk", None) or _fk_id(comment, "post")
    return _target(
        "comment", comment, "post-comments", post_id, post_id=post_id, excerpt=_excerpt(getattr(comment, "text", ""))
    )


def user_summary(user: User) -> dict[str, Any]:
    return _target("user", user, "user-detail", user.username, username=user.username)


def message_summary(message: Any, conversation: Any) -> dict[str, Any]:
    return _target(
        "message",
        message,
        "chat:conversation-messages",
        conversation.pk,
        conversation_id=conversation.pk,
        excerpt=_excerpt(getattr(message, "text", "")),
    )


def stream_summary(stream: Any) -> dict[str, Any]:
    return _target("stream", stream, "live-stream-detail", stream.pk, title=_excerpt(getattr(stream, "title", "")))


def item_summary(item: Any) -> dict[str, Any]:
    title = _excerpt(getattr(item, "title", ""))
    return _target("item", item, "item-detail", item.pk, title=title, status=getattr(item, "status", ""))


def _post_context(post_id: Any) -> str:
    return f"post:{post_id}"


@dataclass
class Draft:
    """A notification about to be created (before dedupe and the self check)."""

    recipient_id: int | None  # None: the target has no owner to notify (skipped)
    actor: User | None
    type: str
    target: models.Model
    summary: dict[str, Any]
    group_key: str
    text: str
    context_key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def never_breaks_sender(func: Callable[P, R]) -> Callable[P, R | None]:
    """Run a creation service in a savepoint and log its failure instead of raising.

    Why: receivers run inside the sender's transaction; a bug in notifications must
    not lose the user's like, comment or chat message.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            with transaction.atomic():
                return func(*args, **kwargs)
        except Exception:
            logger.exception("notification_create_failed", extra={"service": func.__name__})
            return None

    return wrapper


def _create(drafts: Iterable[Draft]) -> list[Notification]:
    """Create the drafts that survive the rules, publish them after commit."""
    ct_cache: dict[type[models.Model], int] = {}
    rows: list[Notification] = []
    for draft in drafts:
        actor_id = getattr(draft.actor, "pk", None)
        if draft.recipient_id is None or actor_id == draft.recipient_id:
            continue  # nobody is notified about their own actions
        model = draft.target._meta.concrete_model  # not type(): the target may be a lazy request.user
        assert model is not None  # targets are concrete models
        if model not in ct_cache:
            ct_cache[model] = _content_type_id(model)
        rows.append(
            Notification(
                recipient_id=draft.recipient_id,
                actor=draft.actor,
                type=draft.type,
                priority=PRIORITY_BY_TYPE[draft.type],
                content_type_id=ct_cache[model],
                object_id=str(draft.target.pk),
                target_summary=draft.summary,
                group_key=draft.group_key[:128],
                context_key=draft.context_key[:64],
                text=_excerpt(draft.text, 300),
            )
        )
    if not rows:
        return []
    previous = _lock_recipients({row.recipient_id for row in rows})
    created = _create_one(rows[0]) if len(rows) == 1 else Notification.objects.bulk_create(rows)
    _publish_created(created, previous)
    return created


def _lock_recipients(recipient_ids: set[int]) -> dict[int, int]:
    """Lock each recipient's notifications until commit; their newest id (0: none), read under the lock.

    Why: a recipient's notifications then commit in id order (two transactions notifying the same
    user wait for each other), and each `new_notification` names the one before it (`prev_id`).
    A socket that sees a `prev_id` newer than what it has sent knows an event is late (publishes
    after commit race) or lost (the process died between commit and publish) and reads it from
    the database, as chat sockets do with the conversation lock. Locks are taken in id order (no
    deadlock between two notifiers); SQLite (`make run`) has one writer at a time anyway.
    """
    ids = sorted(recipient_ids)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                # Keys are int4: ids past 2^31 share a lock with a smaller one (a wait, never a wrong order).
                "SELECT pg_advisory_xact_lock(%s, (r %% 2147483647)::int)"
                " FROM (SELECT unnest(%s::bigint[]) AS r ORDER BY 1) AS ids",
                [RECIPIENT_LOCK_SPACE, ids],
            )
    latest = (
        Notification.objects.filter(recipient_id__in=ids)
        .order_by()
        .values("recipient_id")
        .annotate(latest=Max("id"))
        .values_list("recipient_id", "latest")
    )
    return {uid: 0 for uid in ids} | dict(latest)


def _content_type_id(model: type[models.Model]) -> int:
    """The content type id read from the table, not ContentType's process-wide cache.

    Why: the cache outlives a flush of the table (test servers shared across
    transactional tests), and a stale id fails the deferred FK at the sender's COMMIT,
    which would turn someone's like into a 500. One small indexed query per call.
    """
    concrete = model._meta.concrete_model
    assert concrete is not None
    meta = concrete._meta
    ct_id = (
        ContentType.objects.filter(app_label=meta.app_label, model=meta.model_name).values_list("id", flat=True).first()
    )
    if ct_id is None:
        ct_id = ContentType.objects.get_or_create(app_label=meta.app_label, model=meta.model_name)[0].pk
    return ct_id


def _create_one(row: Notification) -> list[Notification]:
    if row.type in ONCE_PER_ACTOR_TYPES or row.type in COMMENT_FAMILY:
        family = (
            FOLLOW_FAMILY
            if row.type in FOLLOW_FAMILY
            else COMMENT_FAMILY
            if row.type in COMMENT_FAMILY
            else (row.type,)
        )
        existing = Notification.objects.filter(recipient_id=row.recipient_id, type__in=family)
        if row.type in FOLLOW_FAMILY:
            existing = existing.filter(actor=row.actor)
        elif row.type == NotificationType.LIKE:
            existing = existing.filter(actor=row.actor, content_type_id=row.content_type_id, object_id=row.object_id)
        else:
            existing = existing.filter(content_type_id=row.content_type_id, object_id=row.object_id)
        if existing.exists():
            return []
    try:
        # The savepoint keeps the caller's transaction usable if a concurrent request won the race.
        with transaction.atomic():
            row.save()
    except IntegrityError:
        return []
    return [row]


def _publish_created(rows: list[Notification], previous: dict[int, int]) -> None:
    pairs = []
    for row in sorted(rows, key=lambda r: r.pk):
        prev_id, previous[row.recipient_id] = previous[row.recipient_id], row.pk
        message = build_message(
            events.NewNotification.of(row),
            event_id=row.pk,
            meta={"priority": row.priority, "notification_id": row.pk, "prev_id": prev_id},
        )
        pairs.append((user_group(row.recipient_id), message))
    publish_messages(pairs)
    _publish_unread_counts([row.recipient_id for row in rows])


def _publish_unread_counts(recipient_ids: Iterable[int]) -> None:
    """After commit, count and send `unread_count` to each recipient.

    Counted after commit (not inside the transaction) so concurrent writers never
    publish a count that misses each other's rows.
    """
    ids = sorted(set(recipient_ids))
    if not ids:
        return

    def send() -> None:
        counts = unread_counts_for(ids)
        publish_messages(
            [(user_group(uid), build_message(events.UnreadCount(count=counts.get(uid, 0)))) for uid in ids]
        )

    transaction.on_commit(send, robust=True)


# --- creation services (one per domain signal) ---------------------------------------


@never_breaks_sender
def notification_create_for_follow(*, follow: Any, follower: User, followee: User) -> list[Notification]:
    """`followee` learns that `follower` follows them; `follow_back` if the followee already follows the follower.

    Follow, unfollow, follow again: still one notification.
    """
    from accounts.models import Follow

    follows_back = Follow.objects.filter(follower_id=followee.pk, followee_id=follower.pk).exists()
    kind = NotificationType.FOLLOW_BACK if follows_back else NotificationType.FOLLOW
    text = f"{follower.username} followed you back" if follows_back else f"{follower.username} started following you"
    return _create([Draft(followee.pk, follower, kind, follower, user_summary(follower), kind, text)])


@never_breaks_sender
def notification_create_for_like(*, like: Any, post: Any, user: User) -> list[Notification]:
    """The post's author learns about the like; liking again after unliking adds nothing."""
    return _create(
        [
            Draft(
                _fk_id(post, "author"),
                user,
                NotificationType.LIKE,
                post,
                post_summary(post),
                f"like:post:{post.pk}",
                f"{user.username} liked your post “{_excerpt(getattr(post, 'text', ''), 60)}”",
                _post_context(post.pk),
            )
        ]
    )


@never_breaks_sender
def notification_create_for_comment(*, comment: Any, post: Any) -> list[Notification]:
    """The post's author learns about a top-level comment."""
    author = _user(comment, "author")
    return _create(
        [
            Draft(
                _fk_id(post, "author"),
                author,
                NotificationType.COMMENT,
                comment,
                comment_summary(comment, post),
                f"comment:post:{post.pk}",
                f"{author.username} commented on your post: {_excerpt(getattr(comment, 'text', ''), 60)}",
                _post_context(post.pk),
            )
        ]
    )


@never_breaks_sender
def notification_create_for_reply(*, comment: Any, parent: Any, post: Any) -> list[Notification]:
    """The parent comment's author learns about the reply."""
    author = _user(comment, "author")
    return _create(
        [
            Draft(
                _fk_id(parent, "author"),
                author,
                NotificationType.REPLY,
                comment,
                comment_summary(comment, post),
                f"reply:comment:{parent.pk}",
                f"{author.username} replied to your comment: {_excerpt(getattr(comment, 'text', ''), 60)}",
                _post_context(post.pk),
            )
        ]
    )


@never_breaks_sender
def notification_create_for_mention(
    *, mention: Any, mentioned: User, author: User, post: Any, comment: Any | None
) -> list[Notification]:
    """`mentioned` learns they were @-mentioned in a post (`mention_post`) or a comment (`mention_comment`)."""
    if comment is not None:
        draft = Draft(
            mentioned.pk,
            author,
            NotificationType.MENTION_COMMENT,
            comment,
            comment_summary(comment, post),
            f"mention_comment:comment:{comment.pk}",
            f"{author.username} mentioned you in a comment: {_excerpt(getattr(comment, 'text', ''), 60)}",
            _post_context(post.pk),
        )
    else:
        draft = Draft(
            mentioned.pk,
            author,
            NotificationType.MENTION_POST,
            post,
            post_summary(post),
            f"mention_post:post:{post.pk}",
            f"{author.username} mentioned you in a post: {_excerpt(getattr(post, 'text', ''), 60)}",
            _post_context(post.pk),
        )
    return _create([draft])


def notification_create_for_chat_message(
    *, message: Any, conversation: Any, recipients: Iterable[int], viewing: Collection[int] = frozenset()
) -> list[Notification] | None:
    """Of the `recipients`, those with no chat socket open on the conversation (not in `viewing`)
    learn about the message: who is looking needs no notification.

    Runs inside every chat send: with nobody to notify it returns before opening a savepoint,
    so the usual case (everybody has the chat open) costs no query.
    """
    recipients = [uid for uid in recipients if uid not in viewing]
    if not recipients:
        return []
    return _chat_message_notifications(message=message, conversation=conversation, recipients=recipients)


@never_breaks_sender
def _chat_message_notifications(*, message: Any, conversation: Any, recipients: list[int]) -> list[Notification]:
    sender = _user(message, "sender", "author", "user")
    name = getattr(sender, "username", "Someone")
    text = f"{name}: {_excerpt(getattr(message, 'text', ''), 60)}"
    summary = message_summary(message, conversation)
    return _create(
        Draft(
            int(uid),
            sender,
            NotificationType.CHAT_MESSAGE,
            message,
            summary,
            f"chat_message:conversation:{conversation.pk}",
            text,
            f"conversation:{conversation.pk}",
        )
        for uid in recipients
    )


@never_breaks_sender
def notification_create_for_stream_start(*, stream: Any) -> list[Notification]:
    """Every follower of the streamer learns that they went live."""
    from accounts.models import Follow

    streamer = _user(stream, "streamer", "owner", "host", "user")
    if streamer is None:
        return []
    follower_ids = list(Follow.objects.filter(followee_id=streamer.pk).values_list("follower_id", flat=True))
    title = _excerpt(getattr(stream, "title", ""), 60)
    text = f"{streamer.username} is live: {title}" if title else f"{streamer.username} started a live stream"
    summary = stream_summary(stream)
    return _create(
        Draft(
            uid,
            streamer,
            NotificationType.STREAM_STARTED,
            stream,
            summary,
            f"stream_started:stream:{stream.pk}",
            text,
            f"stream:{stream.pk}",
        )
        for uid in follower_ids
    )


@never_breaks_sender
def notification_create_for_item_processed(*, item: Any) -> list[Notification]:
    """The item's owner learns that background processing finished (or failed)."""
    failed = getattr(item, "status", "") == "failed"
    title = _excerpt(getattr(item, "title", ""), 60)
    text = f"Processing of “{title}” failed" if failed else f"“{title}” was processed"
    return _create(
        [
            Draft(
                _fk_id(item, "owner"),
                None,
                NotificationType.ITEM_PROCESSED,
                item,
                item_summary(item),
                f"item_processed:item:{item.pk}",
                text,
                f"item:{item.pk}",
            )
        ]
    )


def notification_delete_for_post(*, post: Any) -> int:
    """Delete every notification about a post (likes, comments, replies, mentions in it).

    Receivers see `post_deleted` before the row goes. Deleted again after commit: a
    like that committed while the post was being deleted cannot leave a notification
    about content its recipient can no longer see.
    """
    key = _post_context(post.pk)
    with transaction.atomic():
        deleted = _delete_by_context(key)
    transaction.on_commit(lambda: _delete_by_context(key), robust=True)
    return deleted


def notification_delete_for_comment(*, comment: Any, post: Any) -> int:
    """Delete every notification whose target is `comment` or one of its replies (any depth):
    the comment, reply and mention_comment notifications about them. The recipients get
    `notifications_removed` {ids} and `unread_count`.

    Receivers see `comment_deleted` before the rows go (the replies are found through
    `parent`). Deleted again after commit, as for posts: a notification created while the
    comment was being deleted cannot outlive it.
    """
    model = comment._meta.concrete_model
    comment_ids = [comment.pk]
    frontier = [comment.pk]
    while frontier:  # replies to replies: walk the tree level by level
        frontier = list(model.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
        comment_ids.extend(frontier)
    where = Q(
        context_key=_post_context(post.pk),
        content_type_id=_content_type_id(model),
        object_id__in=[str(i) for i in comment_ids],
    )
    with transaction.atomic():
        deleted = _delete_where(where)
    transaction.on_commit(lambda: _delete_where(where), robust=True)
    return deleted


def _delete_by_context(key: str) -> int:
    return _delete_where(Q(context_key=key))


def _delete_where(where: Q) -> int:
    """Delete the matching notifications; tell each recipient which ids went and the new count."""
    with transaction.atomic():
        rows = list(Notification.objects.filter(where).values_list("id", "recipient_id"))
        if not rows:
            return 0
        Notification.objects.filter(id__in=[r[0] for r in rows]).delete()
        by_recipient: dict[int, list[int]] = {}
        for notification_id, recipient_id in rows:
            by_recipient.setdefault(recipient_id, []).append(notification_id)
        publish_messages(
            [
                (user_group(uid), build_message(events.NotificationsRemoved(ids=sorted(ids))))
                for uid, ids in by_recipient.items()
            ]
        )
        _publish_unread_counts(by_recipient)
    return len(rows)


# --- reading state -----------------------------------------------------------------


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of `user`'s notifications read; every socket of the user gets
    `notification_read` {id} and `unread_count`. Someone else's (or an unknown) id
    raises NotFound and changes nothing. Marking a read one again publishes nothing.
    """
    if not 0 < int(notification_id) <= MAX_DB_ID:
        raise NotFound("Notification not found.", code="notification_not_found")
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("actor")
            .filter(pk=notification_id, recipient_id=user.pk)
            .first()
        )
        if notification is None:
            raise NotFound("Notification not found.", code="notification_not_found")
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
            publish(user_group(user.pk), events.NotificationRead(id=notification.pk), event_id=notification.pk)
            _publish_unread_counts([user.pk])
    return notification


def notification_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of `user` read (up to the newest existing now);
    every socket gets `mark_all_read` {up_to_id, count} and `unread_count`. Returns how many changed.
    """
    with transaction.atomic():
        unread = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
        up_to_id = unread.aggregate(top=Max("id"))["top"]
        if up_to_id is None:
            return 0
        count = unread.filter(id__lte=up_to_id).update(read_at=timezone.now())
        publish(user_group(user.pk), events.MarkAllRead(up_to_id=up_to_id, count=count))
        _publish_unread_counts([user.pk])
    return count
