"""Reads of social: posts with their counters for a viewer, comments, the feed.

Counters are correlated subqueries (not joins) so likes and comments never
multiply each other, and a page of posts costs a fixed number of queries.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from accounts.models import Follow, User
from realtime.selectors import count_of
from social.models import Comment, Like, Mention, Post


def post_list(*, viewer: User, author_username: str | None = None) -> QuerySet[Post]:
    """All posts, newest first, annotated with likes_count, comments_count, liked_by_me and the post's mentions.

    `author_username` filters by author (exact, case-insensitive).
    """
    qs = (
        Post.objects.select_related("author")
        .annotate(
            likes_count=count_of(Like, "post"),
            comments_count=count_of(Comment, "post"),
            liked_by_me=Exists(Like.objects.filter(post=OuterRef("pk"), user_id=viewer.pk)),
        )
        .prefetch_related(
            Prefetch(
                "mentions",
                queryset=Mention.objects.filter(comment__isnull=True).select_related("mentioned").order_by("id"),
                to_attr="post_mentions",
            )
        )
        .order_by("-created_at", "-id")
    )
    if author_username:
        qs = qs.filter(author__username__iexact=author_username)
    return qs


def feed_for(*, user: User, before: int | None = None) -> QuerySet[Post]:
    """Posts by users `user` follows plus their own, newest first.

    `before` (a post id) is the cursor of the next page: only posts older than that post, in the feed's
    order, so a post created while someone reads page one never shows up again on page two.
    """
    # A subquery, not a join on follows: a join would repeat the user's own posts once per follower.
    followed = Follow.objects.filter(follower=user).values("followee_id")
    qs = post_list(viewer=user).filter(Q(author=user) | Q(author_id__in=followed))
    if before is not None:
        anchor = Post.objects.filter(pk=before).values("created_at")[:1]
        qs = qs.filter(Q(created_at__lt=Subquery(anchor)) | Q(created_at=Subquery(anchor), id__lt=before))
    return qs


def post_audience(*, author_id: int) -> list[int]:
    """The users whose feed shows the author's posts: the author and every follower (ids)."""
    return [author_id, *Follow.objects.filter(followee_id=author_id).values_list("follower_id", flat=True)]


def post_counts(*, post_id: int) -> tuple[int, int]:
    """(likes, comments) of a post, replies included in comments like `comments_count` of the lists."""
    return Like.objects.filter(post_id=post_id).count(), Comment.objects.filter(post_id=post_id).count()


def comment_list(*, post: Post) -> QuerySet[Comment]:
    """Comments of a post, oldest first (replies carry `parent`), with authors and mentions."""
    return (
        Comment.objects.filter(post=post)
        .select_related("author")
        .prefetch_related(
            Prefetch(
                "mentions",
                queryset=Mention.objects.select_related("mentioned").order_by("id"),
                to_attr="comment_mentions",
            )
        )
        .order_by("created_at", "id")
    )
