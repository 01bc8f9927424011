"""WebSocket events published by social, declared once (realtime/events.py).

Documented in docs/protocol.md ("Social events"). Social has no socket of its own: each event goes to
the personal groups (`user_group`) of a post's audience, the author and the author's followers (the
people whose feed shows it), plus the user who acted, and reaches the browser through their
/ws/notifications/ sockets, which forward the frames as they are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from realtime.events import Event, Payload, event, payload
from social.models import Comment, Post


@payload
class Author(Payload):
    """A post's or comment's author, as REST shows it (`AuthorSerializer`)."""

    id: int
    username: str
    name: str

    @classmethod
    def of(cls, user: Any) -> Author:
        return cls(id=user.pk, username=user.username, name=user.name)


@event
class PostCreated(Event):
    """A followed user (or the user in another tab) posted: the feed offers "N new posts"."""

    type: ClassVar[Literal["post_created"]] = "post_created"
    id: int
    author: Author
    created_at: datetime

    @classmethod
    def of(cls, post: Post) -> PostCreated:
        return cls(id=post.pk, author=Author.of(post.author), created_at=post.created_at)


@event
class PostCounts(Event):
    """A post's like or comment count changed (the counts after the change)."""

    type: ClassVar[Literal["post_counts"]] = "post_counts"
    id: int
    likes_count: int
    comments_count: int


@event
class CommentAdded(Event):
    """A new comment or reply, for threads open on the post."""

    type: ClassVar[Literal["comment_added"]] = "comment_added"
    id: int
    post: int
    parent: int | None
    author: Author
    text: str
    created_at: datetime

    @classmethod
    def of(cls, comment: Comment) -> CommentAdded:
        return cls(
            id=comment.pk,
            post=comment.post_id,
            parent=comment.parent_id,
            author=Author.of(comment.author),
            text=comment.text,
            created_at=comment.created_at,
        )
