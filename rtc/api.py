"""REST endpoints of P2P rooms and ICE configuration (mounted at /api/rtc/).

Rooms are rows (who owns, who may join); who is connected lives in the async
presence store, which these sync DRF views reach with `async_to_sync` (under
an ASGI server, uvicorn or daphne, that runs on the server's event loop). Access rules: `rtc.selectors.room_access`.
A room the caller may not see is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from livestream.models import StreamStatus
from livestream.selectors import live_access
from realtime.api import request_user, validated
from realtime.errors import Forbidden, InvalidInput
from realtime.fields import MAX_DB_ID
from rtc import services
from rtc.ice import ice_configuration
from rtc.models import Room
from rtc.selectors import (
    lobby_is_waiting,
    lobby_waiting,
    room_list_for_user,
    room_live_count,
    room_live_counts,
    room_owned,
    room_participants,
    room_visible,
)
from rtc.serializers import (
    IceConfigOutput,
    LobbyEntryOutput,
    MembershipOutput,
    RoomCreateInput,
    RoomJoinInput,
    RoomOutput,
    RoomOwnerDetailOutput,
    RoomParticipantsOutput,
    RoomUpdateInput,
    UserIdInput,
)

TAGS = ["rtc"]
NOT_VISIBLE = OpenApiResponse(
    description="No such room, or one the caller may not see (code room_not_found / invalid_room)."
)
NOT_OWNER = OpenApiResponse(description="A member or viewer who is not the owner (code not_owner).")
INVITE_PARAM = OpenApiParameter("invite", str, description="The room's invite token (from an invite link).")


def room_detail_response(request: Request, room: Room, *, status_code: int = status.HTTP_200_OK) -> Response:
    """A room's detail for the caller; the owner's includes the invite link."""
    room.participants = async_to_sync(room_live_count)(room_id=room.room_id)
    if not hasattr(room, "is_member"):
        room.is_member = (
            room.owner_id == request.user.pk or room.memberships.filter(user_id=request_user(request).pk).exists()
        )
    serializer_class = RoomOwnerDetailOutput if room.owner_id == request.user.pk else RoomOutput
    return Response(serializer_class(room, context={"request": request}).data, status=status_code)


LOBBY_DECISION_RESPONSES = {
    204: None,
    403: NOT_OWNER,
    404: OpenApiResponse(description="No such room, or the user is not waiting (code not_waiting)."),
}
MEMBER_REMOVE_RESPONSES = {
    204: None,
    400: OpenApiResponse(description="The owner themself, or a bad user_id."),
    403: NOT_OWNER,
    404: NOT_VISIBLE,
}


class RoomViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    # A room: list/create, read/change/delete, and the owner's and members' operations on it. The room
    # id in the URL is matched loosely and validated by the selectors: a malformed one is a 404 with a
    # message, like an unknown one.

    serializer_class = RoomOutput
    lookup_field = "room_id"
    lookup_value_regex = r"[^/]+"

    def get_queryset(self) -> list[Room]:  # type: ignore[override]  # sorted by live counts from the presence store
        return room_list_for_user(user=request_user(self.request), live_counts=async_to_sync(room_live_counts)())

    @extend_schema(summary="Rooms the caller may join, with live participant counts, busiest first", tags=TAGS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Create a room (private with a lobby by default); the caller owns it",
        request=RoomCreateInput,
        responses={
            201: RoomOwnerDetailOutput,
            400: OpenApiResponse(description="Invalid or taken id (code room_id_taken)."),
        },
        tags=TAGS,
    )
    def create(self, request: Request) -> Response:
        data = validated(RoomCreateInput, request.data)
        room = services.room_create(owner=request_user(request), **data)
        room.is_member = True
        return room_detail_response(request, room, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="A room (the owner's view adds invite_token and invite_url)",
        parameters=[INVITE_PARAM],
        responses={200: RoomOwnerDetailOutput, 403: OpenApiResponse(description="Banned."), 404: NOT_VISIBLE},
        tags=TAGS,
    )
    def retrieve(self, request: Request, room_id: str) -> Response:
        access = room_visible(room_id=room_id, user=request_user(request), invite=request.query_params.get("invite"))
        return room_detail_response(request, access.room)

    @extend_schema(
        summary="Owner: change title, visibility or lobby",
        request=RoomUpdateInput,
        responses={200: RoomOwnerDetailOutput, 403: NOT_OWNER, 404: NOT_VISIBLE},
        tags=TAGS,
    )
    def partial_update(self, request: Request, room_id: str) -> Response:
        data = validated(RoomUpdateInput, request.data)
        room = services.room_update(room_id=room_id, actor=request_user(request), **data)
        room.is_member = True
        return room_detail_response(request, room)

    @extend_schema(
        summary="Owner: delete the room; every socket in it gets room_closed, then close 4410",
        responses={204: None, 403: NOT_OWNER, 404: NOT_VISIBLE},
        tags=TAGS,
    )
    def destroy(self, request: Request, room_id: str) -> Response:
        services.room_delete(room_id=room_id, actor=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Owner: rotate the invite token (old links stop working)",
        request=None,
        responses={200: RoomOwnerDetailOutput, 403: NOT_OWNER, 404: NOT_VISIBLE},
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def invite(self, request: Request, room_id: str) -> Response:
        room = services.room_invite_rotate(room_id=room_id, actor=request_user(request))
        room.is_member = True
        return room_detail_response(request, room)

    @extend_schema(
        summary="Become a member with an invite token (or of a public room)",
        request=RoomJoinInput,
        responses={
            200: MembershipOutput,
            201: MembershipOutput,
            403: OpenApiResponse(description="Banned (code banned)."),
            404: OpenApiResponse(description="No such room or a wrong / revoked invite."),
        },
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def join(self, request: Request, room_id: str) -> Response:
        data = validated(RoomJoinInput, request.data)
        member, created = services.room_join(
            room_id=room_id, user=request_user(request), invite=data.get("invite") or None
        )
        return Response(
            MembershipOutput(member).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        summary="Peers currently in a room (members and public-room viewers only)",
        responses={200: RoomParticipantsOutput, 404: NOT_VISIBLE},
        tags=TAGS,
    )
    @action(detail=True, methods=["get"])
    def participants(self, request: Request, room_id: str) -> Response:
        room_visible(room_id=room_id, user=request_user(request))
        peers = async_to_sync(room_participants)(room_id=room_id)
        body = {
            "room_id": room_id,
            "count": len(peers),
            "max_participants": services.max_participants(),
            "participants": peers,
        }
        return Response(RoomParticipantsOutput(body).data)

    @extend_schema(
        summary="Owner: who is waiting in the lobby, longest-waiting first",
        responses={200: LobbyEntryOutput(many=True), 403: NOT_OWNER, 404: NOT_VISIBLE},
        tags=TAGS,
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def lobby(self, request: Request, room_id: str) -> Response:
        room_owned(room_id=room_id, actor=request_user(request))
        return Response(LobbyEntryOutput(async_to_sync(lobby_waiting)(room_id=room_id), many=True).data)

    @extend_schema(
        summary="Owner: admit a waiting user (they become a member and join)",
        request=None,
        responses=LOBBY_DECISION_RESPONSES,
        tags=TAGS,
    )
    @action(detail=True, methods=["post"], url_path=r"lobby/(?P<user_id>[^/]+)/admit", url_name="lobby-admit")
    def lobby_admit(self, request: Request, room_id: str, user_id: str) -> Response:
        return _lobby_decide(request, room_id, user_id, services.lobby_admit)

    @extend_schema(
        summary="Owner: deny a waiting user (their socket closes 4403)",
        request=None,
        responses=LOBBY_DECISION_RESPONSES,
        tags=TAGS,
    )
    @action(detail=True, methods=["post"], url_path=r"lobby/(?P<user_id>[^/]+)/deny", url_name="lobby-deny")
    def lobby_deny(self, request: Request, room_id: str, user_id: str) -> Response:
        return _lobby_decide(request, room_id, user_id, services.lobby_deny)

    # Kick and ban answer alike: 204, or why not; only the service differs.
    @extend_schema(
        summary="Owner: remove a member; their sockets in the room get `removed` (kicked), then close 4403",
        request=UserIdInput,
        responses=MEMBER_REMOVE_RESPONSES,
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def kick(self, request: Request, room_id: str) -> Response:
        return _member_remove(request, room_id, services.member_kick)

    @extend_schema(
        summary="Owner: remove and bar a user; their sockets get `removed` (banned), then close 4403",
        request=UserIdInput,
        responses=MEMBER_REMOVE_RESPONSES,
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def ban(self, request: Request, room_id: str) -> Response:
        return _member_remove(request, room_id, services.member_ban)

    @extend_schema(
        summary="Owner: lift a ban (`?user_id=`)",
        parameters=[OpenApiParameter("user_id", int, required=True)],
        responses={
            204: None,
            403: NOT_OWNER,
            404: OpenApiResponse(description="No such room, or the user is not banned."),
        },
        tags=TAGS,
    )
    @ban.mapping.delete
    def unban(self, request: Request, room_id: str) -> Response:
        raw = request.query_params.get("user_id")
        if raw is None:
            raise InvalidInput("user_id is required (?user_id=<id>).", field="user_id")
        services.member_unban(room_id=room_id, actor=request_user(request), user_id=_path_user_id(raw))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _lobby_decide(request: Request, room_id: str, user_id: str, service: Callable[..., object]) -> Response:
    target = _path_user_id(user_id)
    # The service checks ownership before it looks at `waiting`: a non-owner learns nothing from it.
    waiting = async_to_sync(lobby_is_waiting)(room_id=room_id, user_id=target)
    service(room_id=room_id, actor=request_user(request), user_id=target, waiting=waiting)
    return Response(status=status.HTTP_204_NO_CONTENT)


def _member_remove(request: Request, room_id: str, service: Callable[..., object]) -> Response:
    data = validated(UserIdInput, request.data)
    service(room_id=room_id, actor=request_user(request), user_id=data["user_id"])
    return Response(status=status.HTTP_204_NO_CONTENT)


def _path_user_id(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) <= MAX_DB_ID:
        raise InvalidInput("user_id must be a user id (a positive integer).", field="user_id")
    return int(raw)


class IceConfigView(APIView):
    @extend_schema(
        summary=(
            "RTCConfiguration for one room or live stream: ICE servers (TURN with time-limited credentials) "
            "and policies"
        ),
        parameters=[
            OpenApiParameter("room", str, description="A room id the caller may join."),
            OpenApiParameter("stream", OpenApiTypes.INT, description="A live stream id the caller may watch or run."),
        ],
        responses={
            200: IceConfigOutput,
            400: OpenApiResponse(description="Neither ?room= nor ?stream= given."),
            403: OpenApiResponse(description="Banned or kicked from the room / stream, or the stream has ended."),
            404: OpenApiResponse(description="No such room / stream, or one the caller may not join."),
        },
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        room_id, stream = request.query_params.get("room"), request.query_params.get("stream")
        if room_id:
            room_visible(room_id=room_id, user=request_user(request), invite=request.query_params.get("invite"))
        elif stream:
            if not stream.isdigit() or not 0 < int(stream) <= MAX_DB_ID:
                raise InvalidInput("stream must be a live stream id (a positive integer).", field="stream")
            access = live_access(stream_id=int(stream), user=request_user(request))
            if access.status == StreamStatus.ENDED:
                raise Forbidden("This stream has ended.", code="stream_ended")
        else:
            raise InvalidInput(
                "Say what the configuration is for: ?room=<room_id> or ?stream=<stream_id>.", code="target_required"
            )
        return ice_config_response(request)


def ice_config_response(request: Request) -> Response:
    """The caller's RTCConfiguration (`/api/rtc/config/` and seed 004's `/webrtc/config`)."""
    response = Response(IceConfigOutput(ice_configuration(user_id=request_user(request).pk)).data)
    # Credentials are per user and expire: never cache them in shared caches.
    response["Cache-Control"] = "private, no-store"
    return response
