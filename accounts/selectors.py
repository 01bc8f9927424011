"""Reads of accounts: user lists and profiles with their counters, without N+1."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Exists, OuterRef, Q, QuerySet, Value

from accounts.models import Follow, User
from realtime.selectors import count_of


def user_list(*, search: str = "") -> QuerySet[User]:
    """Active users by username; `search` matches username or display name (case-insensitive)."""
    qs = User.objects.filter(is_active=True).order_by("username", "id")
    if search:
        qs = qs.filter(Q(username__icontains=search) | Q(display_name__icontains=search))
    return qs


def user_profiles(*, viewer: User | None) -> QuerySet[User]:
    """Users annotated with followers_count, following_count, posts_count and is_following (viewer follows them)."""
    post_model = apps.get_model("social", "Post")
    qs = User.objects.filter(is_active=True).annotate(
        followers_count=count_of(Follow, "followee"),
        following_count=count_of(Follow, "follower"),
        posts_count=count_of(post_model, "author"),
    )
    if viewer is not None and viewer.is_authenticated:
        qs = qs.annotate(is_following=Exists(Follow.objects.filter(follower=viewer, followee=OuterRef("pk"))))
    else:
        qs = qs.annotate(is_following=Value(False))
    return qs


def user_profile_get(*, username: str, viewer: User | None) -> User | None:
    return user_profiles(viewer=viewer).filter(username=username).first()


def followers_of(*, user: User) -> QuerySet[User]:
    """Who follows `user`, most recent follower first."""
    return User.objects.filter(following_set__followee=user, is_active=True).order_by(
        "-following_set__created_at", "-id"
    )


def following_of(*, user: User) -> QuerySet[User]:
    """Whom `user` follows, most recently followed first."""
    return User.objects.filter(follower_set__follower=user, is_active=True).order_by("-follower_set__created_at", "-id")
