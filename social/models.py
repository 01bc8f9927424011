from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

POST_MAX_LENGTH = 5000
COMMENT_MAX_LENGTH = 2000


class Post(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts")
    # TextField (not varchar) so the limit lives in one place: services and serializers check POST_MAX_LENGTH.
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The global list and the feed read newest first.
            models.Index(fields=["-created_at", "-id"], name="post_newest"),
            # Profile pages and the feed's author filter.
            models.Index(fields=["author", "-created_at"], name="post_author_newest"),
        ]

    def __str__(self) -> str:
        return f"Post {self.pk} by {self.author_id}"


class Comment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments")
    # A reply points at the comment it answers; replies to replies are allowed (any depth).
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["post", "created_at"], name="comment_post_oldest")]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.post_id}"


class Like(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="like_unique_user_post")]
        indexes = [models.Index(fields=["post", "-created_at"], name="like_post_newest")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.post_id}"


class Mention(models.Model):
    """`@username` in a post (comment is null) or in a comment of that post."""

    mentioned = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions_received")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions_made")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="mentions")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="mentions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # One mention per user and text: editing a post never notifies twice.
            models.UniqueConstraint(
                fields=["post", "mentioned"], condition=Q(comment__isnull=True), name="mention_unique_in_post"
            ),
            models.UniqueConstraint(
                fields=["comment", "mentioned"], condition=Q(comment__isnull=False), name="mention_unique_in_comment"
            ),
        ]
        indexes = [models.Index(fields=["mentioned", "-created_at"], name="mention_user_newest")]

    def __str__(self) -> str:
        return f"@{self.mentioned_id} in post {self.post_id}"
