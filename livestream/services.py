"""Every write of the live-stream app. Events go to `stream_group(id)` after commit.

Moderation model: a *kick* removes a user from one stream (disconnected now,
cannot rejoin that stream); a *ban* is per streamer (every socket on every one of
the streamer's streams is disconnected at once, on every process, and the user
cannot join any of them). Both are allowed to the streamer and the streamer's
moderators, except that only the streamer can kick or ban a moderator (moderators
cannot act on each other); nobody can kick or ban the streamer. A banned user has
no role: a banned moderator cannot moderate.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import User
from livestream import events
from livestream.models import Badge, Ban, ChannelRole, Kick, LiveComment, Stream, StreamStatus
from livestream.selectors import badge_for, can_moderate, is_barred, user_by_ref, user_by_username
from livestream.signals import stream_started
from realtime import closecodes
from realtime.errors import Conflict, Forbidden, InvalidInput, NotFound
from realtime.groups import directory_group, stream_group, streamer_group
from realtime.publish import build_message, publish, publish_messages


def comment_max_length() -> int:
    return settings.LIVE_COMMENT_MAX_LENGTH


def _locked_stream(stream_id: int) -> Stream:
    stream = Stream.objects.select_for_update().filter(pk=stream_id).first()
    if stream is None:
        raise NotFound("No such stream.", code="stream_not_found")
    return stream


def stream_create(*, streamer: User, title: str) -> Stream:
    """Schedule a stream (status `scheduled`). Nothing is published."""
    title = (title or "").strip()
    if not title:  # StreamCreateInput bounds the length
        raise InvalidInput("The title cannot be blank.", field="title")
    with transaction.atomic():
        stream = Stream.objects.create(streamer=streamer, title=title)
    return stream


def stream_start(*, stream_id: int, user: User) -> Stream:
    """Streamer only: scheduled -> live. Sends `stream_started` (signal, for followers' notifications)
    and publishes `stream_started` to everyone connected to the stream and to `directory_group()`
    (every personal socket: the `/live/` list)."""
    with transaction.atomic():
        stream = _locked_stream(stream_id)
        if stream.streamer_id != user.pk:
            raise Forbidden("Only the streamer can start the stream.")
        if stream.status != StreamStatus.SCHEDULED:
            raise Conflict(f"The stream is {stream.status}; only a scheduled stream can start.", code="invalid_status")
        stream.status = StreamStatus.LIVE
        stream.started_at = timezone.now()
        stream.streamer_left_at = None
        stream.save(update_fields=["status", "started_at", "streamer_left_at"])
        stream.streamer = user
        stream_started.send(sender=Stream, stream=stream)
        started = events.StreamStarted(stream=events.StreamData.of(stream))
        message = build_message(started)
        publish_messages([(stream_group(stream.pk), message), (directory_group(), message)])  # + the /live/ list
    return stream


def stream_end(*, stream_id: int, user: User | None, reason: str = "ended_by_streamer") -> Stream:
    """-> ended. `user=None` is the system (the streamer's grace period ran out).

    Publishes `stream_ended` to the stream group with close code 4410, which
    closes every socket of the stream on every process, and without a close code to
    `directory_group()` (the `/live/` list).
    """
    with transaction.atomic():
        stream = _locked_stream(stream_id)
        if user is not None and stream.streamer_id != user.pk:
            raise Forbidden("Only the streamer can end the stream.")
        if stream.status == StreamStatus.ENDED:
            raise Conflict("The stream has already ended.", code="invalid_status")
        stream.status = StreamStatus.ENDED
        stream.ended_at = timezone.now()
        stream.current_viewers = 0
        stream.save(update_fields=["status", "ended_at", "current_viewers"])
        stream = Stream.objects.select_related("streamer").get(pk=stream.pk)
        ended = events.StreamEnded(stream=events.StreamData.of(stream), reason=reason)
        publish_messages(
            [
                (stream_group(stream.pk), build_message(ended, close_code=closecodes.GONE)),
                (directory_group(), build_message(ended)),  # the /live/ list; personal sockets stay open
            ]
        )
    return stream


def stream_streamer_returned(*, stream_id: int) -> None:
    """The streamer has a socket again: the grace timer stops."""
    with transaction.atomic():
        Stream.objects.filter(pk=stream_id, streamer_left_at__isnull=False).update(streamer_left_at=None)


class GraceState(StrEnum):
    """What a check of an absent streamer found (`stream_streamer_absent`, `check_streamer_absent`)."""

    MARKED = "marked"  # first sighting: the grace period starts now
    WAITING = "waiting"  # within the grace period
    ENDED = "ended"  # the grace period ran out: the stream was ended
    NOOP = "noop"  # no such live stream
    PRESENT = "present"  # the streamer is back


def stream_streamer_absent(*, stream_id: int) -> GraceState:
    """Called when the streamer is seen without a socket. Starts the grace timer (first call)
    or ends the stream if it has run out.

    Idempotent and safe from any process: the row lock serialises concurrent callers.
    """
    grace = timedelta(seconds=float(settings.LIVE_STREAMER_GRACE_SECONDS))
    with transaction.atomic():
        stream = Stream.objects.select_for_update().filter(pk=stream_id).first()
        if stream is None or stream.status != StreamStatus.LIVE:
            return GraceState.NOOP
        now = timezone.now()
        if stream.streamer_left_at is None:
            stream.streamer_left_at = now
            stream.save(update_fields=["streamer_left_at"])
            if grace.total_seconds() > 0:
                return GraceState.MARKED
        if now - stream.streamer_left_at < grace:
            return GraceState.WAITING
    stream_end(stream_id=stream_id, user=None, reason="streamer_left")
    return GraceState.ENDED


def stream_viewers_set(*, stream_id: int, count: int) -> None:
    """Store the current viewer count (from presence) and raise the peak if needed."""
    count = max(0, int(count))
    with transaction.atomic():
        Stream.objects.filter(pk=stream_id, status=StreamStatus.LIVE).update(
            current_viewers=count, peak_viewers=Greatest(F("peak_viewers"), count)
        )


# --- channel roles -------------------------------------------------------------


def channel_role_add(*, streamer: User, username: str, role: str) -> ChannelRole:
    user = user_by_username(username=username)
    if user.pk == streamer.pk:
        raise InvalidInput("You cannot give yourself a role in your own channel.", field="username")
    with transaction.atomic():
        obj, _ = ChannelRole.objects.get_or_create(streamer=streamer, user=user, role=role)
    return obj


def channel_role_remove(*, streamer: User, username: str, role: str) -> None:
    user = user_by_username(username=username)
    with transaction.atomic():
        deleted, _ = ChannelRole.objects.filter(streamer=streamer, user=user, role=role).delete()
    if not deleted:
        raise NotFound(f"{username} is not a {role} of your channel.", code="role_not_found")


def moderator_add(*, streamer: User, username: str) -> ChannelRole:
    return channel_role_add(streamer=streamer, username=username, role=ChannelRole.Role.MODERATOR)


def moderator_remove(*, streamer: User, username: str) -> None:
    channel_role_remove(streamer=streamer, username=username, role=ChannelRole.Role.MODERATOR)


def vip_add(*, streamer: User, username: str) -> ChannelRole:
    return channel_role_add(streamer=streamer, username=username, role=ChannelRole.Role.VIP)


def vip_remove(*, streamer: User, username: str) -> None:
    channel_role_remove(streamer=streamer, username=username, role=ChannelRole.Role.VIP)


def ban_remove(*, streamer: User, username: str) -> None:
    """Unban `username` from every stream of `streamer` (they may watch again; kicks from a stream stay)."""
    user = user_by_username(username=username)
    with transaction.atomic():
        deleted, _ = Ban.objects.filter(streamer=streamer, user=user).delete()
    if not deleted:
        raise NotFound(f"{username} is not banned from your channel.", code="ban_not_found")


# --- moderation ------------------------------------------------------------------


def _check_moderation(*, stream: Stream, actor: User, target: User) -> None:
    actor_badge = badge_for(streamer_id=stream.streamer_id, user_id=actor.pk)  # a banned moderator has no role
    if actor_badge not in (Badge.STREAMER, Badge.MODERATOR):
        raise Forbidden("Only the streamer and moderators can do that.")
    if target.pk == stream.streamer_id:
        raise Forbidden("The streamer cannot be removed from their own stream.")
    if target.pk == actor.pk:
        raise InvalidInput("You cannot remove yourself.", field="username")
    if (
        actor_badge != Badge.STREAMER
        and badge_for(streamer_id=stream.streamer_id, user_id=target.pk) == Badge.MODERATOR
    ):
        raise Forbidden("Only the streamer can kick or ban a moderator.")


def _publish_kicked(group: str, *, stream: Stream, target: User, reason: str) -> None:
    """After commit, `kicked` to the target's sockets in `group`, which then close 4403."""
    event = events.Kicked(stream=stream.pk, reason=reason, user=events.UserBrief.of(target))
    publish(group, event, only_user=target.pk, close_code=closecodes.FORBIDDEN)


def user_kick(*, stream_id: int, actor: User, target: User) -> Kick:
    """Disconnect `target` from this stream (their sockets get `kicked`, then close 4403);
    they cannot rejoin this stream."""
    with transaction.atomic():
        stream = _locked_stream(stream_id)
        _check_moderation(stream=stream, actor=actor, target=target)
        kick, _ = Kick.objects.get_or_create(stream=stream, user=target, defaults={"kicked_by": actor})
        _publish_kicked(stream_group(stream.pk), stream=stream, target=target, reason="kicked")
    return kick


def user_ban(*, stream_id: int, actor: User, target: User) -> Ban:
    """Ban `target` from all of the streamer's streams. After commit, `kicked` (reason `banned`)
    goes to `streamer_group`, which every socket of every stream of the streamer joins: each
    of the target's sockets, on any of those streams and any process, gets it and closes 4403."""
    with transaction.atomic():
        stream = _locked_stream(stream_id)
        _check_moderation(stream=stream, actor=actor, target=target)
        try:
            with transaction.atomic():
                ban, _ = Ban.objects.get_or_create(
                    streamer_id=stream.streamer_id, user=target, defaults={"banned_by": actor}
                )
        except IntegrityError:  # a concurrent ban of the same user won
            ban = Ban.objects.get(streamer_id=stream.streamer_id, user=target)
        _publish_kicked(streamer_group(stream.streamer_id), stream=stream, target=target, reason="banned")
    return ban


# --- comments ----------------------------------------------------------------------


def comment_create(*, stream_id: int, author: User, text: str) -> LiveComment:
    """Store a comment on a live stream and broadcast `comment` with the author's badge."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("The comment cannot be blank.", field="text")
    limit = comment_max_length()
    if len(text) > limit:
        raise InvalidInput(f"The comment is longer than {limit} characters.", field="text")
    with transaction.atomic():
        stream = Stream.objects.filter(pk=stream_id).first()
        if stream is None:
            raise NotFound("No such stream.", code="stream_not_found")
        if stream.status != StreamStatus.LIVE:
            raise Conflict("Comments are open only while the stream is live.", code="not_live")
        if is_barred(stream=stream, user_id=author.pk):
            raise Forbidden("You were removed from this stream.", code="banned")
        comment = LiveComment.objects.create(
            stream=stream, author=author, text=text, badge=badge_for(streamer_id=stream.streamer_id, user_id=author.pk)
        )
        comment.author = author
        publish(stream_group(stream.pk), events.Comment.of(comment), event_id=comment.pk)
    return comment


def comment_delete(*, comment_id: int, actor: User, stream_id: int | None = None) -> LiveComment:
    """Moderators and the streamer hide a comment; everyone gets `comment_deleted` {id}."""
    with transaction.atomic():
        comment = LiveComment.objects.select_for_update().select_related("stream").filter(pk=comment_id).first()
        if comment is None or (stream_id is not None and comment.stream_id != stream_id):
            raise NotFound("No such comment.", code="comment_not_found")
        if not can_moderate(streamer_id=comment.stream.streamer_id, user_id=actor.pk):
            raise Forbidden("Only the streamer and moderators can delete comments.")
        if comment.deleted_at is None:
            comment.deleted_at = timezone.now()
            comment.deleted_by = actor
            comment.save(update_fields=["deleted_at", "deleted_by"])
            publish(stream_group(comment.stream_id), events.CommentDeleted(id=comment.pk))
    return comment


def user_kick_by_ref(*, stream_id: int, actor: User, ref: str) -> None:
    """`kick` {user} over the socket: the user named by id or username (`user_by_ref`), then `user_kick`."""
    user_kick(stream_id=stream_id, actor=actor, target=user_by_ref(ref=ref))
