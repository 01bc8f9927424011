"""REST for chat, mounted at /api/chat/. Same services as the socket.

Non-members get 404 for a conversation (its existence is not revealed).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from chat import selectors, services
from chat.presence import conversation_viewers_blocking
from chat.serializers import (
    ConversationCreateInput,
    ConversationOutput,
    MessageCreateInput,
    MessageOutput,
    MessagePageOutput,
    MessagePageQuery,
    ReadInput,
    ReadOutput,
)
from realtime.api import request_user, validated
from realtime.errors import InvalidInput
from realtime.throttles import ChatMessageThrottle

User = get_user_model()

NOT_FOUND = OpenApiResponse(description="Unknown conversation, or you are not a member.")


def _member_conversation_id(request: Request, pk: int) -> int:
    return selectors.conversation_for_member(conversation_id=pk, user=request_user(request)).pk


def _conversation_out(request: Request, pk: int) -> dict:
    conversation = selectors.conversation_list_for_user(user=request_user(request)).get(pk=pk)
    return ConversationOutput(conversation).data


class ConversationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A conversation and its messages: list/create, one conversation, its message pages, read position."""

    serializer_class = ConversationOutput
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.conversation_list_for_user(user=request_user(self.request))

    def get_throttles(self) -> list:
        # Sending a message is rate limited; reading history, creating conversations and read marks are not.
        return [ChatMessageThrottle()] if self.action == "message_create" else super().get_throttles()

    @extend_schema(summary="Your conversations, most recent activity first, with last message and unread count")
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Start a direct conversation (returns the existing one) or create a group",
        request=ConversationCreateInput,
        responses={201: ConversationOutput, 200: ConversationOutput},
    )
    def create(self, request: Request) -> Response:
        data = validated(ConversationCreateInput, request.data)
        if "user" in data:
            other = User.objects.filter(username=data["user"], is_active=True).first()
            if other is None:
                raise InvalidInput(f"No user named '{data['user']}'.", field="user", code="unknown_user")
            conversation, created = services.conversation_get_or_create_direct(user=request_user(request), other=other)
        else:
            names = list(dict.fromkeys(data["members"]))
            people = list(User.objects.filter(username__in=names, is_active=True))
            missing = sorted(set(names) - {u.username for u in people})
            if missing:
                raise InvalidInput(f"Unknown users: {', '.join(missing[:10])}.", field="members", code="unknown_user")
            conversation = services.conversation_create_group(
                creator=request_user(request), title=data["title"], members=people
            )
            created = True
        return Response(
            _conversation_out(request, conversation.pk),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(summary="One conversation", responses={200: ConversationOutput, 404: NOT_FOUND})
    def retrieve(self, request: Request, pk: int) -> Response:
        _member_conversation_id(request, pk)
        return Response(_conversation_out(request, pk))

    @extend_schema(
        summary="A page of messages, oldest first",
        description="No cursor: the newest `limit`. `?before=<id>`: the `limit` messages before it (older history). "
        "`?after=<id>`: the `limit` messages after it (catching up). `limit` is 1..100, default 50.",
        parameters=[
            OpenApiParameter("before", int, description="Messages with a smaller id."),
            OpenApiParameter("after", int, description="Messages with a larger id."),
            OpenApiParameter("limit", int, description="Page size, at most 100."),
        ],
        responses={200: MessagePageOutput, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], serializer_class=MessageOutput)
    def messages(self, request: Request, pk: int) -> Response:
        cid = _member_conversation_id(request, pk)
        query = validated(MessagePageQuery, request.query_params)
        q = query
        rows, has_more = selectors.message_page(
            conversation_id=cid, before=q.get("before"), after=q.get("after"), limit=q["limit"]
        )
        body = {
            "results": rows,
            "has_more": has_more,
            "oldest_id": rows[0].pk if rows else None,
            "newest_id": rows[-1].pk if rows else None,
        }
        return Response(MessagePageOutput(body).data)

    @extend_schema(
        summary="Send a message (idempotent per client_id)",
        description=(
            "201 with the new message; 200 with the stored one when `client_id` was already used by you here "
            "(nothing is sent again)."
        ),
        request=MessageCreateInput,
        responses={201: MessageOutput, 200: MessageOutput, 404: NOT_FOUND},
    )
    @messages.mapping.post
    def message_create(self, request: Request, pk: int) -> Response:
        cid = _member_conversation_id(request, pk)
        data = validated(MessageCreateInput, request.data)
        message, created = services.message_create(
            sender=request_user(request),
            conversation_id=cid,
            text=data["text"],
            client_id=data.get("client_id"),
            viewing=conversation_viewers_blocking(cid),
        )
        return Response(MessageOutput(message).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="Mark messages read up to message_id (read implies delivered; never moves back)",
        request=ReadInput,
        responses={200: ReadOutput, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], serializer_class=ReadOutput)
    def read(self, request: Request, pk: int) -> Response:
        cid = _member_conversation_id(request, pk)
        data = validated(ReadInput, request.data)
        result = services.message_mark_read(
            user=request_user(request), conversation_id=cid, message_id=data["message_id"]
        )
        return Response(ReadOutput(result).data)
