"""Live events of social on the personal socket: a followed user's new post, new counts, new comments.

Each frame is also checked against the catalogue by conftest.py (`_frames_match_the_event_catalogue`).
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from accounts.services import follow_create
from realtime import personal
from realtime.testing import open_socket, recv_all, recv_type, socket_app
from social.services import comment_create, like_create, like_delete, post_create

pytestmark = [pytest.mark.django_db(transaction=True)]

app = socket_app(personal.websocket_urlpatterns)


async def test_a_followers_socket_gets_new_posts_counts_and_comments_and_a_strangers_does_not(
    make_user: Any, token_for: Any
) -> None:
    alice, bob, carol, stranger = [await sync_to_async(make_user)() for _ in range(4)]
    await sync_to_async(follow_create)(follower=alice, followee=bob)
    follower = await open_socket(app, f"/ws/notifications/?token={await sync_to_async(token_for)(alice)}")
    outsider = await open_socket(app, f"/ws/notifications/?token={await sync_to_async(token_for)(stranger)}")

    post = await sync_to_async(post_create)(author=bob, text="Hello world")
    created = await recv_type(follower, "post_created")
    assert created["data"]["id"] == post.pk
    assert created["data"]["author"] == {"id": bob.pk, "username": bob.username, "name": bob.name}

    await sync_to_async(like_create)(user=carol, post=post)
    counts = await recv_type(follower, "post_counts")
    assert counts["data"] == {"id": post.pk, "likes_count": 1, "comments_count": 0}

    comment = await sync_to_async(comment_create)(author=carol, post=post, text="Nice")
    added = await recv_type(follower, "comment_added")
    assert (added["data"]["id"], added["data"]["post"], added["data"]["parent"]) == (comment.pk, post.pk, None)
    assert added["data"]["text"] == "Nice"
    counts = await recv_type(follower, "post_counts")
    assert counts["data"] == {"id": post.pk, "likes_count": 1, "comments_count": 1}

    await sync_to_async(like_delete)(user=carol, post=post)
    counts = await recv_type(follower, "post_counts")
    assert counts["data"] == {"id": post.pk, "likes_count": 0, "comments_count": 1}

    assert {f["type"] for f in await recv_all(outsider)} == {"connection_established", "unread_count"}
    await follower.disconnect()
    await outsider.disconnect()


async def test_a_repeated_like_publishes_no_new_counts(make_user: Any, token_for: Any) -> None:
    bob, carol = [await sync_to_async(make_user)() for _ in range(2)]
    author = await open_socket(app, f"/ws/notifications/?token={await sync_to_async(token_for)(bob)}")
    post = await sync_to_async(post_create)(author=bob, text="mine")
    await recv_type(author, "post_created")
    await sync_to_async(like_create)(user=carol, post=post)
    assert (await recv_type(author, "post_counts"))["data"]["likes_count"] == 1
    await sync_to_async(like_create)(user=carol, post=post)
    assert "post_counts" not in {f["type"] for f in await recv_all(author)}
    await author.disconnect()
