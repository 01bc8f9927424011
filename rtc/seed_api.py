"""The seeds' room endpoints, as thin aliases over the rtc selectors (README, "Seed contracts").

* gRTC (seeds 000/001): `GET /rooms` (active rooms) and `GET /rooms/<room_id>/peers` (the peer ids a
  gRTC client sends `target_peer_id` to);
* seed 004: `GET /webrtc/config`, `/webrtc/rooms/<room_id>/participants`, `/webrtc/health`,
  `/webrtc/stats`, `/webrtc/webrtc-metrics`.

Same authentication (JWT or session) and the same access rules as `/api/rtc/`: a room the caller
may not see is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from realtime.api import request_user
from rtc import services
from rtc.api import RoomViewSet, ice_config_response
from rtc.selectors import room_list_for_user, room_live_counts, room_peer_infos, room_visible
from rtc.serializers import IceConfigOutput

logger = logging.getLogger(__name__)

TAGS = ["seed contracts"]
NOT_VISIBLE = OpenApiResponse(description="No such room, or one the caller may not see (code room_not_found).")
SEED_PEER_KEY = "seed_peer_id"  # presence info: the peer id a seed client chose (rtc/seed_consumers.py)


def peer_id_of(peer_id: str, info: dict[str, Any] | None) -> str:
    """The id other clients address a peer by: the one a gRTC client chose, else the server's."""
    return str((info or {}).get(SEED_PEER_KEY) or peer_id)


def active_rooms(request: Request) -> list[dict[str, Any]]:
    """Rooms the caller may join that have peers connected now, busiest first."""
    rooms = room_list_for_user(user=request_user(request), live_counts=async_to_sync(room_live_counts)())
    return [
        {"room_id": room.room_id, "title": room.title, "peers": room.participants}
        for room in rooms
        if room.participants > 0
    ]


class GrtcRoomOutput(serializers.Serializer):
    room_id = serializers.CharField()
    title = serializers.CharField()
    peers = serializers.IntegerField(help_text="Peers connected now (all processes).")


class GrtcRoomListOutput(serializers.Serializer):
    rooms = GrtcRoomOutput(many=True)
    count = serializers.IntegerField()


class GrtcRoomPeersOutput(serializers.Serializer):
    room_id = serializers.CharField()
    peers = serializers.ListField(child=serializers.CharField(), help_text="Peer ids, sorted.")
    count = serializers.IntegerField()


class GrtcRoomListView(APIView):
    @extend_schema(
        summary="gRTC alias: active rooms (peers connected now) the caller may join",
        responses={200: GrtcRoomListOutput},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        rooms = active_rooms(request)
        return Response({"rooms": rooms, "count": len(rooms)})


class GrtcRoomPeersView(APIView):
    @extend_schema(
        summary="gRTC alias: the peer ids in a room (a gRTC client's own ?peer_id=, else the server's)",
        responses={200: GrtcRoomPeersOutput, 404: NOT_VISIBLE},
        tags=TAGS,
    )
    def get(self, request: Request, room_id: str) -> Response:
        room_visible(room_id=room_id, user=request_user(request))
        infos = async_to_sync(room_peer_infos)(room_id=room_id)
        ids = sorted(peer_id_of(peer_id, info) for peer_id, info in infos.items())
        return Response({"room_id": room_id, "peers": ids, "count": len(ids)})


# --- seed 004: /webrtc/… -------------------------------------------------------------------------


@extend_schema_view(
    participants=extend_schema(
        summary="Seed 004 alias: peers in a room (as GET /api/rtc/rooms/<id>/participants/)", tags=TAGS
    )
)
class Seed004RoomViewSet(RoomViewSet):
    """Seed 004's `/webrtc/rooms/<id>/participants` is the rooms' own `participants` action."""


class Seed004ConfigView(APIView):
    @extend_schema(
        summary="Seed 004 alias: the RTCConfiguration (ICE servers with TURN credentials, policies)",
        description=(
            "Seed 004 asks for the configuration without naming a room. `?room=` is optional here: with it, "
            "the room's access rules apply (404 / 403 as on `/api/rtc/config/`); without it any signed-in "
            "user gets the configuration (TURN credentials are per user and expire)."
        ),
        parameters=[OpenApiParameter("room", str, required=False, description="A room id the caller may join.")],
        responses={200: IceConfigOutput, 403: OpenApiResponse(description="Banned."), 404: NOT_VISIBLE},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        room_id = request.query_params.get("room")
        if room_id:
            room_visible(room_id=room_id, user=request_user(request))
        return ice_config_response(request)


class Seed004HealthOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=["healthy", "unhealthy"])
    service = serializers.CharField()
    presence_store = serializers.BooleanField(help_text="The room presence store (Redis) answered.")


class Seed004HealthView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Seed 004 alias: health of the signaling service (the presence store answers)",
        responses={200: Seed004HealthOutput, 503: Seed004HealthOutput},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        try:
            async_to_sync(room_live_counts)()
        except Exception:  # any failure of the store is the answer itself: unhealthy
            logger.warning("webrtc_health_presence_failed", exc_info=True)
            return Response({"status": "unhealthy", "service": "webrtc", "presence_store": False}, status=503)
        return Response({"status": "healthy", "service": "webrtc", "presence_store": True})


class Seed004StatsOutput(serializers.Serializer):
    rooms = serializers.DictField(child=serializers.IntegerField(), help_text="room id -> peers connected now")
    total_rooms = serializers.IntegerField()
    total_participants = serializers.IntegerField()


class Seed004StatsView(APIView):
    @extend_schema(
        summary="Seed 004 alias: peers per active room, for the rooms the caller may join",
        responses={200: Seed004StatsOutput},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        rooms = {room["room_id"]: room["peers"] for room in active_rooms(request)}
        return Response({"rooms": rooms, "total_rooms": len(rooms), "total_participants": sum(rooms.values())})


class Seed004MetricsOutput(serializers.Serializer):
    active_rooms = serializers.IntegerField(help_text="Rooms with at least one peer, all processes.")
    active_participants = serializers.IntegerField()
    max_participants_per_room = serializers.IntegerField()


class Seed004MetricsView(APIView):
    @extend_schema(
        summary="Seed 004 alias: WebRTC figures over all rooms (counts only; Prometheus has /metrics)",
        responses={200: Seed004MetricsOutput},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        counts = async_to_sync(room_live_counts)()
        return Response(
            {
                "active_rooms": len(counts),
                "active_participants": sum(counts.values()),
                "max_participants_per_room": services.max_participants(),
            }
        )
