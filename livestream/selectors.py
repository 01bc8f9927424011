"""Reads of the live-stream app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, QuerySet, Value, When

from accounts.models import User
from livestream.models import Badge, Ban, ChannelRole, Kick, LiveComment, Stream, StreamStatus
from realtime.errors import Forbidden, NotFound
from realtime.fields import MAX_DB_ID


def stream_list() -> QuerySet[Stream]:
    """Live streams first, then scheduled, then ended; newest first inside each."""
    rank = Case(
        When(status=StreamStatus.LIVE, then=Value(0)),
        When(status=StreamStatus.SCHEDULED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        Stream.objects.select_related("streamer")
        .annotate(status_rank=rank)
        .order_by("status_rank", "-created_at", "-id")
    )


def stream_get(*, stream_id: int) -> Stream:
    stream = Stream.objects.select_related("streamer").filter(pk=stream_id).first()
    if stream is None:
        raise NotFound("No such stream.", code="stream_not_found")
    return stream


def is_banned(*, streamer_id: int, user_id: int) -> bool:
    return user_id != streamer_id and Ban.objects.filter(streamer_id=streamer_id, user_id=user_id).exists()


def badge_for(*, streamer_id: int, user_id: int) -> str:
    """The user's strongest role in this streamer's channel. A banned user has none: a moderator
    or VIP role does not apply while they are banned (no moderation, no badge)."""
    if user_id == streamer_id:
        return Badge.STREAMER
    roles = set(
        ChannelRole.objects.filter(streamer_id=streamer_id, user_id=user_id)
        .exclude(user__live_bans__streamer_id=streamer_id)
        .values_list("role", flat=True)
    )
    if ChannelRole.Role.MODERATOR in roles:
        return Badge.MODERATOR
    if ChannelRole.Role.VIP in roles:
        return Badge.VIP
    return Badge.VIEWER


def can_moderate(*, streamer_id: int, user_id: int) -> bool:
    return badge_for(streamer_id=streamer_id, user_id=user_id) in (Badge.STREAMER, Badge.MODERATOR)


def is_barred(*, stream: Stream, user_id: int) -> bool:
    """Banned by the streamer, or kicked from this stream."""
    return is_barred_from(stream_id=stream.pk, streamer_id=stream.streamer_id, user_id=user_id)


def is_barred_from(*, stream_id: int, streamer_id: int, user_id: int) -> bool:
    if user_id == streamer_id:
        return False
    return (
        is_banned(streamer_id=streamer_id, user_id=user_id)
        or Kick.objects.filter(stream_id=stream_id, user_id=user_id).exists()
    )


@dataclass(frozen=True)
class LiveAccess:
    stream_id: int
    streamer_id: int
    streamer_username: str
    status: str
    role: str


def live_access(*, stream_id: int, user: User) -> LiveAccess:
    """What a socket may do in a stream; raises NotFound / Forbidden (banned or kicked)."""
    stream = stream_get(stream_id=stream_id)
    if is_barred(stream=stream, user_id=user.pk):
        raise Forbidden("You were removed from this stream.", code="banned")
    return LiveAccess(
        stream_id=stream.pk,
        streamer_id=stream.streamer_id,
        streamer_username=stream.streamer.username,
        status=stream.status,
        role=badge_for(streamer_id=stream.streamer_id, user_id=user.pk),
    )


def stream_status(*, stream_id: int) -> str | None:
    return Stream.objects.filter(pk=stream_id).values_list("status", flat=True).first()


def comment_list(*, stream_id: int) -> QuerySet[LiveComment]:
    stream_get(stream_id=stream_id)
    return (
        LiveComment.objects.filter(stream_id=stream_id, deleted_at__isnull=True)
        .select_related("author")
        .order_by("-created_at", "-id")
    )


def channel_role_list(*, streamer: User, role: str) -> QuerySet[ChannelRole]:
    return ChannelRole.objects.filter(streamer=streamer, role=role).select_related("user").order_by("user__username")


def ban_list(*, streamer: User) -> QuerySet[Ban]:
    """Who is banned from the streamer's channel, by username."""
    return Ban.objects.filter(streamer=streamer).select_related("user").order_by("user__username")


def user_by_username(*, username: str) -> Any:
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(f"No user {username!r}.", code="user_not_found", field="username")
    return user


def user_by_ref(*, ref: int | str) -> Any:
    """A user by id (int or digit string) or username, as sent in a `kick` frame."""
    users = get_user_model().objects.filter(is_active=True)
    user = None
    # isdigit() is true for "²" and other non-ASCII digits that int() rejects: ASCII only.
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isascii() and ref.isdigit()):
        pk = int(ref)
        user = users.filter(pk=pk).first() if 0 < pk <= MAX_DB_ID else None
    if user is None and isinstance(ref, str):
        user = users.filter(username=ref).first()
    if user is None:
        raise NotFound("No such user.", code="user_not_found", field="user")
    return user
