from __future__ import annotations

from rest_framework import serializers

from realtime.fields import MAX_DB_ID
from realtime.outputs import NamedUserBriefOutput
from social.models import COMMENT_MAX_LENGTH, POST_MAX_LENGTH, Comment, Post


class PostOutput(serializers.ModelSerializer):
    """A post as the requester sees it; counters come from `selectors.post_list`."""

    author = NamedUserBriefOutput(read_only=True)
    likes_count = serializers.IntegerField(read_only=True)
    comments_count = serializers.IntegerField(read_only=True)
    liked_by_me = serializers.BooleanField(read_only=True)
    mentions = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = [
            "id",
            "author",
            "text",
            "created_at",
            "updated_at",
            "likes_count",
            "comments_count",
            "liked_by_me",
            "mentions",
        ]
        read_only_fields = fields

    def get_mentions(self, post: Post) -> list[str]:
        return [m.mentioned.username for m in post.post_mentions]  # type: ignore[attr-defined]  # prefetched (to_attr) by social.selectors


class PostCommentOutput(serializers.ModelSerializer):
    author = NamedUserBriefOutput(read_only=True)
    post = serializers.IntegerField(source="post_id", read_only=True)
    parent = serializers.IntegerField(source="parent_id", read_only=True, allow_null=True)  # type: ignore[assignment]  # shadows Field.parent
    mentions = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "post", "parent", "author", "text", "created_at", "mentions"]
        read_only_fields = fields

    def get_mentions(self, comment: Comment) -> list[str]:
        return [m.mentioned.username for m in comment.comment_mentions]  # type: ignore[attr-defined]  # prefetched (to_attr) by social.selectors


class PostInput(serializers.Serializer):
    text = serializers.CharField(max_length=POST_MAX_LENGTH)


class PostCommentInput(serializers.Serializer):
    text = serializers.CharField(max_length=COMMENT_MAX_LENGTH)
    parent = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_DB_ID, help_text="Id of the comment replied to."
    )  # type: ignore[assignment]  # shadows Field.parent


class PostListInput(serializers.Serializer):
    author = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class FeedInput(serializers.Serializer):
    before = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_DB_ID,
        help_text="Cursor: only posts older than this post (the last id of the previous page). "
        "`limit`/`offset` keep working; with `before`, leave `offset` out.",
    )
