"""WebSocket events published by social, declared once (realtime/events.py).

Documented in docs/protocol.md ("Social events"). Social has no socket of its own: each event goes to
the personal groups (`user_group`) of a post's audience, the author and the author's followers (the
people whose feed shows it), plus the user who acted, and reaches the browser through their
/ws/notifications/ sockets, which forward the frames as they are.
"""

from __future__ import annotations

from datetime import datetime

from realtime.events import Event, NamedUserBrief, event
from social.models import Comment, Post


@event("post_created")
class PostCreated(Event):
    """A followed user (or the user in another tab) posted: the feed offers "N new posts"."""

    id: int
    author: NamedUserBrief
    created_at: datetime

    @classmethod
    def of(cls, post: Post) -> PostCreated:
        return cls(id=post.pk, author=NamedUserBrief.of(post.author), created_at=post.created_at)


@event("post_counts")
class PostCounts(Event):
    """A post's like or comment count changed (the counts after the change)."""

    id: int
    likes_count: int
    comments_count: int


@event("comment_added")
class CommentAdded(Event):
    """A new comment or reply, for threads open on the post."""

    id: int
    post: int
    parent: int | None
    author: NamedUserBrief
    text: str
    created_at: datetime

    @classmethod
    def of(cls, comment: Comment) -> CommentAdded:
        return cls(
            id=comment.pk,
            post=comment.post_id,
            parent=comment.parent_id,
            author=NamedUserBrief.of(comment.author),
            text=comment.text,
            created_at=comment.created_at,
        )
