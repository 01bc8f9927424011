"""The seeds' room endpoints, as thin aliases over the rtc selectors (README, "Seed contracts").

* gRTC (seeds 000/001): `GET /rooms` (active rooms) and `GET /rooms/<room_id>/peers` (the peer ids a
  gRTC client sends `target_peer_id` to);
* seed 004: `GET /webrtc/config`, `/webrtc/rooms/<room_id>/participants`, `/webrtc/health`,
  `/webrtc/stats`, `/webrtc/webrtc-metrics`.

Same authentication (JWT or session) and the same access rules as `/api/rtc/`: a room the caller
may not see is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from realtime.api import request_user
from rtc.selectors import room_list_for_user, room_live_counts, room_peer_infos, room_visible

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


class GrtcRoomSerializer(serializers.Serializer):
    room_id = serializers.CharField()
    title = serializers.CharField()
    peers = serializers.IntegerField(help_text="Peers connected now (all processes).")


class GrtcRoomListSerializer(serializers.Serializer):
    rooms = GrtcRoomSerializer(many=True)
    count = serializers.IntegerField()


class GrtcRoomPeersSerializer(serializers.Serializer):
    room_id = serializers.CharField()
    peers = serializers.ListField(child=serializers.CharField(), help_text="Peer ids, sorted.")
    count = serializers.IntegerField()


class GrtcRoomListView(APIView):
    @extend_schema(
        summary="gRTC alias: active rooms (peers connected now) the caller may join",
        responses={200: GrtcRoomListSerializer},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        rooms = active_rooms(request)
        return Response({"rooms": rooms, "count": len(rooms)})


class GrtcRoomPeersView(APIView):
    @extend_schema(
        summary="gRTC alias: the peer ids in a room (a gRTC client's own ?peer_id=, else the server's)",
        responses={200: GrtcRoomPeersSerializer, 404: NOT_VISIBLE},
        tags=TAGS,
    )
    def get(self, request: Request, room_id: str) -> Response:
        room_visible(room_id=room_id, user=request_user(request))
        infos = async_to_sync(room_peer_infos)(room_id=room_id)
        ids = sorted(peer_id_of(peer_id, info) for peer_id, info in infos.items())
        return Response({"room_id": room_id, "peers": ids, "count": len(ids)})
