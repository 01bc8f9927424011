"""REST API of social: posts, likes, comments and the feed."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.pagination import BoundedLimitOffsetPagination
from realtime.api import request_user, validated
from realtime.errors import Forbidden, InvalidInput
from realtime.fields import MAX_DB_ID
from realtime.throttles import PostWriteThrottle
from social import selectors, services
from social.models import Comment, Post
from social.serializers import (
    FeedInput,
    PostCommentInput,
    PostCommentOutput,
    PostInput,
    PostListInput,
    PostOutput,
)


def _pk(value: Any) -> int:
    """A primary key from the URL, or a 404 for anything that cannot be one (e.g. 10**30)."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise NotFound()
    if not 1 <= pk <= MAX_DB_ID:
        raise NotFound()
    return pk


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("author", str, description="Only posts by this username.")]),
    create=extend_schema(request=PostInput, responses={201: PostOutput}),
    partial_update=extend_schema(request=PostInput, responses=PostOutput),
)
class PostViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every authenticated user reads all posts; only the author edits, the author or staff delete."""

    serializer_class = PostOutput
    pagination_class = BoundedLimitOffsetPagination
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Post]:
        author = ""
        if self.action == "list":
            params = validated(PostListInput, self.request.query_params)
            author = params["author"]
        return selectors.post_list(viewer=request_user(self.request), author_username=author or None)

    def get_throttles(self) -> list[Any]:
        # New posts and comments share one per-user budget; likes and reads are not limited.
        if self.action in ("create", "comments"):
            return [PostWriteThrottle()]
        return super().get_throttles()

    def get_object(self) -> Post:
        post = self.get_queryset().filter(pk=_pk(self.kwargs["pk"])).first()
        if post is None:
            raise NotFound("Post not found.")
        return post

    def _fresh(self, post_id: int) -> dict[str, Any]:
        return PostOutput(self.get_queryset().get(pk=post_id)).data

    def create(self, request: Request) -> Response:
        data = validated(PostInput, request.data)
        post = services.post_create(author=request_user(request), text=data["text"])
        return Response(self._fresh(post.pk), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        post = self.get_object()
        data = validated(PostInput, request.data, partial=True)
        if "text" in data:
            services.post_update(post=post, user=request_user(request), text=data["text"])
        elif post.author_id != request.user.pk:
            raise Forbidden("Only the author can edit this post.", code="not_author")
        return Response(self._fresh(post.pk))

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        services.post_delete(post=self.get_object(), user=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["POST"],
        request=None,
        responses={200: PostOutput, 201: PostOutput},
        description="Like the post. Idempotent: 201 when the like is new, 200 when it already existed.",
    )
    @extend_schema(methods=["DELETE"], request=None, responses={204: None}, description="Remove your like. Idempotent.")
    @action(detail=True, methods=["post", "delete"])
    def like(self, request: Request, pk: str) -> Response:
        post = self.get_object()
        if request.method == "DELETE":
            services.like_delete(user=request_user(request), post=post)
            return Response(status=status.HTTP_204_NO_CONTENT)
        _, created = services.like_create(user=request_user(request), post=post)
        return Response(self._fresh(post.pk), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(methods=["GET"], request=None, responses=PostCommentOutput(many=True))
    @extend_schema(methods=["POST"], request=PostCommentInput, responses={201: PostCommentOutput})
    @action(detail=True, methods=["get", "post"], pagination_class=BoundedLimitOffsetPagination)
    def comments(self, request: Request, pk: str) -> Response:
        post = get_post_or_404(pk)
        if request.method == "GET":
            page = self.paginate_queryset(selectors.comment_list(post=post))
            return self.get_paginated_response(PostCommentOutput(page, many=True).data)
        data = validated(PostCommentInput, request.data)
        parent = None
        parent_id = data.get("parent")
        if parent_id is not None:
            parent = Comment.objects.filter(pk=parent_id).first()
            if parent is None:
                raise InvalidInput("The parent comment does not exist.", code="parent_not_found", field="parent")
        comment = services.comment_create(author=request_user(request), post=post, text=data["text"], parent=parent)
        return Response(
            PostCommentOutput(selectors.comment_list(post=post).get(pk=comment.pk)).data, status=status.HTTP_201_CREATED
        )


def get_post_or_404(pk: Any) -> Post:
    post = Post.objects.select_related("author").filter(pk=_pk(pk)).first()
    if post is None:
        raise NotFound("Post not found.")
    return post


class CommentViewSet(viewsets.GenericViewSet):
    """A comment on its own URL, for deleting it; listing and adding go through the post."""

    queryset = Comment.objects.all()
    lookup_value_regex = r"\d+"

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        comment = Comment.objects.select_related("post").filter(pk=_pk(pk)).first()
        if comment is None:
            raise NotFound("Comment not found.")
        services.comment_delete(comment=comment, user=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class FeedView(APIView):
    """Posts by the users the requester follows, plus their own, newest first."""

    pagination_class = BoundedLimitOffsetPagination

    @extend_schema(parameters=[FeedInput], responses=PostOutput(many=True))
    def get(self, request: Request) -> Response:
        params = validated(FeedInput, request.query_params)
        feed = selectors.feed_for(user=request_user(request), before=params.get("before"))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(feed, request, view=self)
        return paginator.get_paginated_response(PostOutput(page, many=True).data)
