"""REST: active rooms, participants, ICE configuration."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import async_to_sync
from django.test import override_settings

from realtime.presence import get_presence_store
from rtc.ice import turn_credentials
from rtc.services import room_scope

pytestmark = [pytest.mark.django_db]


def new_room() -> str:
    return f"api-{uuid.uuid4().hex[:12]}"


def put_peer(room_id: str, peer_id: str, user) -> None:
    async_to_sync(get_presence_store().join)(
        room_scope(room_id), peer_id, f"conn-{peer_id}", info={"user_id": user.pk, "username": user.username}
    )


def remove_peer(room_id: str, peer_id: str) -> None:
    async_to_sync(get_presence_store().leave)(room_scope(room_id), peer_id, f"conn-{peer_id}")


def test_endpoints_require_authentication(api_client):
    for url in ["/api/rtc/rooms/", "/api/rtc/rooms/lobby/participants/", "/api/rtc/config/"]:
        assert api_client.get(url).status_code == 401


def test_room_list_shows_active_rooms_with_counts(make_user, auth_client):
    alice, bob = make_user(), make_user()
    busy, quiet = new_room(), new_room()
    put_peer(busy, "p1", alice)
    put_peer(busy, "p2", bob)
    put_peer(quiet, "p3", alice)
    response = auth_client(alice).get("/api/rtc/rooms/")
    assert response.status_code == 200
    rooms = {room["room_id"]: room["participants"] for room in response.json()["results"]}
    assert rooms[busy] == 2 and rooms[quiet] == 1
    remove_peer(quiet, "p3")
    rooms = {room["room_id"] for room in auth_client(alice).get("/api/rtc/rooms/").json()["results"]}
    assert busy in rooms and quiet not in rooms
    remove_peer(busy, "p1")
    remove_peer(busy, "p2")


def test_room_list_is_paginated_busiest_first(make_user, auth_client):
    alice, bob, carol = make_user(), make_user(), make_user()
    rooms = [new_room() for _ in range(3)]
    for n, room in enumerate(rooms):  # rooms[n] has n + 1 peers
        for i, user in enumerate([alice, bob, carol][: n + 1]):
            put_peer(room, f"pg{n}{i}", user)
    client = auth_client(alice)
    body = client.get("/api/rtc/rooms/?limit=2").json()
    assert body["count"] >= 3 and body["next"] and len(body["results"]) == 2
    everything = client.get("/api/rtc/rooms/?limit=100").json()["results"]
    assert [room["room_id"] for room in everything if room["room_id"] in rooms] == rooms[::-1]  # busiest first
    counts = [room["participants"] for room in everything]
    assert counts == sorted(counts, reverse=True)
    for n, room in enumerate(rooms):
        for i in range(n + 1):
            remove_peer(room, f"pg{n}{i}")


def test_room_list_does_not_query_the_database_per_room(make_user, auth_client, django_assert_max_num_queries):
    alice = make_user()
    rooms = [new_room() for _ in range(5)]
    for i, room in enumerate(rooms):
        put_peer(room, f"q{i}", alice)
    client = auth_client(alice)
    with django_assert_max_num_queries(0):
        assert client.get("/api/rtc/rooms/").status_code == 200
    for i, room in enumerate(rooms):
        remove_peer(room, f"q{i}")


def test_participants_lists_peers_with_their_users(make_user, auth_client):
    alice, bob = make_user(), make_user()
    room = new_room()
    put_peer(room, "peer-b", bob)
    put_peer(room, "peer-a", alice)
    response = auth_client(alice).get(f"/api/rtc/rooms/{room}/participants/")
    assert response.status_code == 200
    assert response.json() == {
        "room_id": room,
        "count": 2,
        "max_participants": 50,
        "participants": [
            {"peer_id": "peer-a", "user": {"id": alice.pk, "username": alice.username}},
            {"peer_id": "peer-b", "user": {"id": bob.pk, "username": bob.username}},
        ],
    }
    remove_peer(room, "peer-a")
    remove_peer(room, "peer-b")


def test_participants_of_an_empty_room_is_an_empty_list(make_user, auth_client):
    response = auth_client(make_user()).get(f"/api/rtc/rooms/{new_room()}/participants/")
    assert response.status_code == 200 and response.json()["participants"] == [] and response.json()["count"] == 0


@pytest.mark.parametrize("room_id", ["a.b", "x" * 65, "%C3%A4", "a%20b", "room:1", "%00"])
def test_participants_of_an_invalid_room_id_is_404(make_user, auth_client, room_id):
    response = auth_client(make_user()).get(f"/api/rtc/rooms/{room_id}/participants/")
    assert response.status_code == 404
    assert response.json()["code"] == "invalid_room"


@override_settings(
    RTC_STUN_URLS=["stun:stun.example.org:3478"],
    RTC_TURN_URLS=["turn:turn.example.org:3478?transport=udp"],
    RTC_TURN_SECRET="server-only-secret",
    RTC_TURN_TTL_SECONDS=900,
    RTC_TURN_ONLY=False,
)
def test_config_returns_ice_servers_with_time_limited_turn_credentials(make_user, auth_client):
    import time

    user = make_user()
    before = int(time.time())
    response = auth_client(user).get("/api/rtc/config/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["iceTransportPolicy"] == "all" and body["ttl"] == 900
    assert body["bundlePolicy"] == "max-bundle" and body["rtcpMuxPolicy"] == "require"
    stun, turn = body["iceServers"]
    assert stun == {"urls": ["stun:stun.example.org:3478"]}
    expiry, user_id = turn["username"].split(":")
    assert user_id == str(user.pk) and before + 900 <= int(expiry) <= int(time.time()) + 900
    expected = turn_credentials(secret="server-only-secret", user_id=user.pk, ttl_seconds=0, now=int(expiry))
    assert turn["credential"] == expected.credential
    assert "server-only-secret" not in response.content.decode()


@override_settings(RTC_TURN_URLS=["turn:turn.example.org:3478"], RTC_TURN_SECRET="s", RTC_TURN_ONLY=True)
def test_config_in_turn_only_mode_is_relay_without_stun(make_user, auth_client):
    body = auth_client(make_user()).get("/api/rtc/config/").json()
    assert body["iceTransportPolicy"] == "relay"
    assert len(body["iceServers"]) == 1 and body["iceServers"][0]["urls"] == ["turn:turn.example.org:3478"]


def test_schema_documents_rtc_endpoints(make_user, auth_client):
    response = auth_client(make_user()).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/rtc/rooms/", "/api/rtc/rooms/{room_id}/participants/", "/api/rtc/config/"} <= set(paths)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("post", "/api/rtc/config/", 405),
        ("post", "/api/rtc/rooms/", 405),
        ("delete", "/api/rtc/rooms/abc/participants/", 405),
        ("get", "/api/rtc/rooms/%FF%FE/participants/", 404),
        ("get", "/api/rtc/rooms/" + "9" * 70 + "/participants/", 404),
    ],
)
def test_bad_requests_say_what_is_wrong_and_are_never_5xx(make_user, auth_client, method, path, status):
    response = getattr(auth_client(make_user()), method)(path, {"room_id": ["x"]}, format="json")
    assert response.status_code == status, response.content
    payload = response.json()
    assert payload["detail"] and payload["code"], payload
