"""The principals and the world of the authorization matrix (tests/test_authz_matrix.py).

One world: an owner with one of each resource (post, comment, conversation,
notification, scheduled and live stream, item, P2P room), a stranger with no
relation to any of it, a user the owner banned (live channel ban; room ban once
rooms have owners), and two bystanders operations can target: `alice` (in the
owner's conversation, moderator and VIP of the owner's channel) and `bob` (nothing).
Every principal is a way to present credentials: nothing, a garbage token, an
expired access token, a refresh token used as an access token, or a real access
token of one of the users.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

ANONYMOUS = "anonymous"
GARBAGE = "garbage_token"
EXPIRED = "expired_token"
REFRESH_AS_ACCESS = "refresh_as_access"
STRANGER = "stranger"
OWNER = "owner"  # the owner, or a member where the resource has members
BANNED = "banned"  # banned / kicked / removed where the resource has such a concept

PRINCIPALS = (ANONYMOUS, GARBAGE, EXPIRED, REFRESH_AS_ACCESS, STRANGER, OWNER, BANNED)
BAD_CREDENTIALS = (ANONYMOUS, GARBAGE, EXPIRED, REFRESH_AS_ACCESS)


class _NotApplicable:
    """The resource has no banned / kicked / removed state: there is nothing to test."""

    def __repr__(self) -> str:
        return "N/A"


NA = _NotApplicable()
PASSWORD = "matrix-pass-123"


@dataclass
class World:
    owner: Any
    stranger: Any
    banned: Any
    alice: Any
    bob: Any
    post: Any
    comment: Any
    conversation: Any
    message: Any
    notification: Any
    scheduled_stream: Any
    live_stream: Any
    item: Any
    room_id: str
    room: Any = None  # rtc.models.Room once rooms are owned (h2)
    room_owned: bool = False

    def delete(self) -> None:
        """Remove what `build_world` committed (users cascade to nearly everything they own)."""
        self.conversation.delete()
        for user in (self.owner, self.stranger, self.banned, self.alice, self.bob):
            user.delete()

    def user(self, principal: str) -> Any:
        return {OWNER: self.owner, STRANGER: self.stranger, BANNED: self.banned}.get(principal, self.owner)


def rooms_are_owned() -> bool:
    try:
        from rtc import models as rtc_models
    except ImportError:
        return False
    return hasattr(rtc_models, "Room")


def build_world() -> World:
    """Create the users and their resources (in whatever transaction the caller holds)."""
    from chat.services import conversation_get_or_create_direct, message_create
    from items.services import item_create
    from livestream.models import Ban
    from livestream.services import moderator_add, stream_create, stream_start, vip_add
    from notifications.models import Notification
    from social.models import Comment, Post

    users = get_user_model().objects
    tag = uuid.uuid4().hex[:6]
    owner, stranger, banned, alice, bob = (
        users.create_user(username=f"mx_{name}_{tag}", password=PASSWORD, email=f"mx_{name}_{tag}@example.com")
        for name in ("owner", "stranger", "banned", "alice", "bob")
    )
    from accounts.models import Follow
    from notifications.services import notification_create_for_follow

    follow = Follow.objects.create(follower=alice, followee=owner)
    notification_create_for_follow(follow=follow, follower=alice, followee=owner)
    notification = Notification.objects.filter(recipient=owner).latest("pk")
    post = Post.objects.create(author=owner, text="the owner's post")
    comment = Comment.objects.create(post=post, author=owner, text="the owner's comment")
    conversation, _ = conversation_get_or_create_direct(user=owner, other=alice)
    message, _ = message_create(sender=alice, conversation_id=conversation.pk, text="hello")
    scheduled = stream_create(streamer=owner, title="later")
    live = stream_start(stream_id=stream_create(streamer=owner, title="now").pk, user=owner)
    Ban.objects.create(streamer=owner, user=banned, banned_by=owner)
    moderator_add(streamer=owner, username=alice.username)
    vip_add(streamer=owner, username=alice.username)
    item = item_create(owner=owner, title="the owner's item")
    world = World(
        owner=owner,
        stranger=stranger,
        banned=banned,
        alice=alice,
        bob=bob,
        post=post,
        comment=comment,
        conversation=conversation,
        message=message,
        notification=notification,
        scheduled_stream=scheduled,
        live_stream=live,
        item=item,
        room_id=f"mx-{tag}",
    )
    if rooms_are_owned():
        _own_room(world)
    return world


def _own_room(world: World) -> None:
    """A private room without lobby (strangers are treated like an unknown room, h2's contract);
    alice is a member, `banned` is banned."""
    from rtc import models as rtc_models

    room = rtc_models.Room.objects.create(
        room_id=world.room_id, owner=world.owner, title="matrix", visibility="private", lobby_enabled=False
    )
    rtc_models.RoomMember.objects.create(room=room, user=world.owner, role="owner")
    rtc_models.RoomMember.objects.create(room=room, user=world.alice, role="member")
    rtc_models.RoomBan.objects.create(room=room, user=world.banned, banned_by=world.owner)
    world.room = room
    world.room_owned = True


def expired_access_token(user: Any) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(from_time=datetime.now(tz=UTC) - timedelta(hours=1), lifetime=timedelta(minutes=5))
    return str(token)


def credentials(principal: str, world: World) -> str | None:
    """The raw token this principal presents (None: no credentials at all)."""
    if principal == ANONYMOUS:
        return None
    if principal == GARBAGE:
        return "garbage"
    if principal == EXPIRED:
        return expired_access_token(world.owner)
    if principal == REFRESH_AS_ACCESS:
        return str(RefreshToken.for_user(world.owner))
    return str(AccessToken.for_user(world.user(principal)))


_addresses = itertools.count(1)


def fresh_ip() -> str:
    """A client address no earlier request used, so per-IP throttles never trip across rows."""
    n = next(_addresses)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
