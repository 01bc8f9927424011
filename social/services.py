"""Writes of social: posts, comments, likes and the mentions found in their text.

Every function is keyword-only and runs in one transaction. Domain signals of
`social.signals` are sent inside it (receivers write in the same transaction and
publish after commit), and only for rows that were really created. The live events of
`social.events` (new post, new counts, new comment) go to the post's audience after commit.
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from realtime.errors import Forbidden, InvalidInput
from realtime.events import Event
from realtime.groups import user_group
from realtime.publish import build_message, publish_messages
from social import events, selectors
from social.mentions import resolve_mentions
from social.models import COMMENT_MAX_LENGTH, POST_MAX_LENGTH, Comment, Like, Mention, Post
from social.signals import comment_deleted, comment_replied, post_commented, post_deleted, post_liked, user_mentioned


def _clean_text(text: str, *, max_length: int) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput("This field may not be blank.", code="blank", field="text")
    if len(text) > max_length:
        raise InvalidInput(
            f"Ensure this field has no more than {max_length} characters.", code="max_length", field="text"
        )
    if "\x00" in text:
        raise InvalidInput("Null characters are not allowed.", code="null_characters_not_allowed", field="text")
    return text


def _mentions_sync(*, post: Post, comment: Comment | None, author: User, text: str) -> list[Mention]:
    """Store a Mention per user named in `text` that has none yet for this post/comment; signal the new ones.

    Mentions removed by an edit are deleted silently; ones kept are not re-notified.
    """
    users = resolve_mentions(text, author=author)
    existing = (
        Mention.objects.filter(post=post, comment=comment)
        if comment
        else Mention.objects.filter(post=post, comment__isnull=True)
    )
    existing_ids = set(existing.values_list("mentioned_id", flat=True))
    wanted_ids = {u.pk for u in users}
    stale = existing_ids - wanted_ids
    if stale:
        existing.filter(mentioned_id__in=stale).delete()
    created = Mention.objects.bulk_create(
        [Mention(mentioned=u, author=author, post=post, comment=comment) for u in users if u.pk not in existing_ids]
    )
    for mention in created:
        user_mentioned.send(
            sender=Mention, mention=mention, mentioned=mention.mentioned, author=author, post=post, comment=comment
        )
    return created


def _publish_to_audience(*, author_id: int, actor_id: int, published: list[Event]) -> None:
    """Send events, in order, to everyone whose feed shows the author's posts and to the actor (after commit)."""
    groups = [user_group(uid) for uid in dict.fromkeys([*selectors.post_audience(author_id=author_id), actor_id])]
    messages = [build_message(e) for e in published]  # encoded once, whatever the audience's size
    publish_messages([(group, message) for group in groups for message in messages])


def _lock_post(post: Post) -> None:
    """Serialize the count changes of one post, so the counts each event carries are never older than the last."""
    Post.objects.select_for_update().filter(pk=post.pk).values_list("pk", flat=True).first()


def _publish_counts(*, post: Post, actor: User, before: list[Event] | None = None) -> None:
    likes, comments = selectors.post_counts(post_id=post.pk)
    counts = events.PostCounts(id=post.pk, likes_count=likes, comments_count=comments)
    _publish_to_audience(author_id=post.author_id, actor_id=actor.pk, published=[*(before or []), counts])


def post_create(*, author: User, text: str) -> Post:
    """Publish a post (1..5000 characters after trimming) and mention the users it names."""
    text = _clean_text(text, max_length=POST_MAX_LENGTH)
    with transaction.atomic():
        post = Post.objects.create(author=author, text=text)
        _mentions_sync(post=post, comment=None, author=author, text=text)
        _publish_to_audience(author_id=author.pk, actor_id=author.pk, published=[events.PostCreated.of(post)])
    return post


def post_update(*, post: Post, user: User, text: str) -> Post:
    """Change a post's text; only its author may. Newly mentioned users are notified, others are not again."""
    if post.author_id != user.pk:
        raise Forbidden("Only the author can edit this post.", code="not_author")
    text = _clean_text(text, max_length=POST_MAX_LENGTH)
    with transaction.atomic():
        post.text = text
        post.save(update_fields=["text", "updated_at"])
        _mentions_sync(post=post, comment=None, author=post.author, text=text)
    return post


def post_delete(*, post: Post, user: User) -> None:
    """Delete a post with its comments, likes and mentions; its author or staff may. `post_deleted` is sent first."""
    if post.author_id != user.pk and not user.is_staff:
        raise Forbidden("Only the author or staff can delete this post.", code="not_author")
    with transaction.atomic():
        post_deleted.send(sender=Post, post=post)
        post.delete()


def comment_create(*, author: User, post: Post, text: str, parent: Comment | None = None) -> Comment:
    """Comment on a post, or reply to `parent` (which must belong to the same post).

    Sends `post_commented` for a top-level comment, `comment_replied` for a reply,
    and `user_mentioned` per user named in the text.
    """
    text = _clean_text(text, max_length=COMMENT_MAX_LENGTH)
    if parent is not None and parent.post_id != post.pk:
        raise InvalidInput("The parent comment belongs to another post.", code="parent_other_post", field="parent")
    with transaction.atomic():
        _lock_post(post)
        comment = Comment.objects.create(post=post, author=author, parent=parent, text=text)
        if parent is None:
            post_commented.send(sender=Comment, comment=comment, post=post)
        else:
            comment_replied.send(sender=Comment, comment=comment, parent=parent, post=post)
        _mentions_sync(post=post, comment=comment, author=author, text=text)
        _publish_counts(post=post, actor=author, before=[events.CommentAdded.of(comment)])
    return comment


def comment_delete(*, comment: Comment, user: User) -> None:
    """Delete a comment and its replies; the comment's author, the post's author or staff may.

    `comment_deleted` is sent first."""
    if user.pk not in (comment.author_id, comment.post.author_id) and not user.is_staff:
        raise Forbidden(
            "Only the comment's author, the post's author or staff can delete this comment.", code="not_author"
        )
    with transaction.atomic():
        _lock_post(comment.post)
        comment_deleted.send(sender=Comment, comment=comment, post=comment.post)
        comment.delete()
        _publish_counts(post=comment.post, actor=user)


def like_create(*, user: User, post: Post) -> tuple[Like, bool]:
    """Like a post; idempotent. Returns (like, created); `post_liked` is sent only for a new like."""
    with transaction.atomic():
        _lock_post(post)
        like, created = Like.objects.get_or_create(user=user, post=post)
        if created:
            post_liked.send(sender=Like, like=like, post=post, user=user)
            _publish_counts(post=post, actor=user)
    return like, created


def like_delete(*, user: User, post: Post) -> bool:
    """Remove a like; idempotent. Returns whether there was one."""
    with transaction.atomic():
        _lock_post(post)
        deleted, _ = Like.objects.filter(user=user, post=post).delete()
        if deleted:
            _publish_counts(post=post, actor=user)
    return bool(deleted)
