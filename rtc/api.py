"""REST endpoints of P2P rooms and ICE configuration (mounted at /api/rtc/).

The room state lives in the async presence store; these sync DRF views reach it
with `async_to_sync` (under an ASGI server, uvicorn or daphne, that runs on the server's event loop).
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rtc.ice import ice_configuration
from rtc.selectors import room_list, room_participants
from rtc.serializers import IceConfigSerializer, RoomParticipantsSerializer, RoomSerializer
from rtc.services import max_participants, room_id_validate


class RoomListView(ListAPIView):
    """Active rooms, busiest first, paginated like every list (`?limit=`, `?offset=`)."""

    serializer_class = RoomSerializer

    def get_queryset(self) -> list[dict[str, Any]]:  # type: ignore[override]  # rooms live in Redis, not the database
        return async_to_sync(room_list)()

    @extend_schema(summary="Active P2P rooms with their participant counts, busiest first", tags=["rtc"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class RoomParticipantsView(APIView):
    @extend_schema(
        summary="Peers currently in a room",
        responses={200: RoomParticipantsSerializer, 404: OpenApiResponse(description="Invalid room id (code invalid_room).")},
        tags=["rtc"],
    )
    def get(self, request: Request, room_id: str) -> Response:
        room_id_validate(room_id=room_id)
        peers = async_to_sync(room_participants)(room_id=room_id)
        body = {"room_id": room_id, "count": len(peers), "max_participants": max_participants(), "participants": peers}
        return Response(RoomParticipantsSerializer(body).data)


class IceConfigView(APIView):
    @extend_schema(
        summary="RTCConfiguration for this user: ICE servers (TURN with time-limited credentials) and policies",
        responses=IceConfigSerializer,
        tags=["rtc"],
    )
    def get(self, request: Request) -> Response:
        response = Response(IceConfigSerializer(ice_configuration(user_id=request.user.pk)).data)
        # Credentials are per user and expire: never cache them in shared caches.
        response["Cache-Control"] = "private, no-store"
        return response
