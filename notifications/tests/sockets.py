"""The personal socket of the notifications tests (/ws/notifications/ in process) and the rows that notify.

Frames are read with the project's one socket client, `realtime.testing`.
"""

from __future__ import annotations

from typing import Any

from channels.testing import WebsocketCommunicator

from accounts.models import Follow
from notifications import services
from realtime import personal
from realtime.testing import open_socket, recv, socket_app
from social.models import Comment, Like, Post

app = socket_app(personal.websocket_urlpatterns)


async def connect(token: str, query: str = "") -> WebsocketCommunicator:
    return await open_socket(app, f"/ws/notifications/?token={token}{query}")


async def handshake(comm: WebsocketCommunicator) -> int:
    """Consume `connection_established` and `unread_count`; the count."""
    first, second = await recv(comm), await recv(comm)
    assert first["type"] == "connection_established"
    assert second["type"] == "unread_count"
    return second["data"]["count"]


async def connected(token: str) -> WebsocketCommunicator:
    """A personal socket past its handshake: the next frame is whatever happens next."""
    comm = await connect(token)
    await handshake(comm)
    return comm


def make_likes(post: Post, users: list[Any]) -> None:
    for user in users:
        like = Like.objects.create(user=user, post=post)
        services.notification_create_for_like(like=like, post=post, user=user)


def make_comment(post: Post, author: Any) -> Comment:
    comment = Comment.objects.create(post=post, author=author, text="hi there")
    services.notification_create_for_comment(comment=comment, post=post)
    return comment


def make_follow(follower: Any, followee: Any) -> None:
    follow = Follow.objects.create(follower=follower, followee=followee)
    services.notification_create_for_follow(follow=follow, follower=follower, followee=followee)
