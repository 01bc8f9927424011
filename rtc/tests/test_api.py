"""REST: owned rooms (create, list, detail, invites, membership, lobby, kick, ban), participants, ICE configuration."""

from __future__ import annotations

import time

import pytest
from asgiref.sync import async_to_sync
from django.test import override_settings

from livestream import services as live_services
from realtime.presence import get_presence_store
from rtc.ice import turn_credentials
from rtc.models import Room, RoomBan, RoomMember
from rtc.selectors import lobby_scope
from rtc.services import room_scope
from rtc.tests.rooms import room_with_members

pytestmark = [pytest.mark.django_db]


def put_peer(room_id: str, peer_id: str, user) -> None:
    async_to_sync(get_presence_store().join)(
        room_scope(room_id), peer_id, f"conn-{peer_id}", info={"user_id": user.pk, "username": user.username}
    )


def remove_peer(room_id: str, peer_id: str) -> None:
    async_to_sync(get_presence_store().leave)(room_scope(room_id), peer_id, f"conn-{peer_id}")


def knock(room_id: str, user) -> None:
    info = {"user": {"id": user.pk, "username": user.username, "name": user.name}, "since": "2026-01-01T00:00:00Z"}
    async_to_sync(get_presence_store().join)(lobby_scope(room_id), str(user.pk), f"lobby-{user.pk}", info=info)


def leave_lobby(room_id: str, user) -> None:
    async_to_sync(get_presence_store().leave)(lobby_scope(room_id), str(user.pk), f"lobby-{user.pk}")


def test_endpoints_require_authentication(api_client):
    for url in [
        "/api/rtc/rooms/",
        "/api/rtc/rooms/lobby/",
        "/api/rtc/rooms/lobby/participants/",
        "/api/rtc/config/?room=x",
    ]:
        assert api_client.get(url).status_code == 401


# --- create -------------------------------------------------------------------------


def test_create_makes_a_private_room_with_lobby_owned_by_the_caller(make_user, auth_client):
    owner = make_user()
    response = auth_client(owner).post("/api/rtc/rooms/", {"room_id": "team-42", "title": "Standup"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["room_id"] == "team-42" and body["title"] == "Standup"
    assert body["visibility"] == "private" and body["lobby_enabled"] is True
    assert body["owner"] == {"id": owner.pk, "username": owner.username, "name": owner.name}
    assert body["is_owner"] is True and body["is_member"] is True and body["participants"] == 0
    room = Room.objects.get(room_id="team-42")
    assert body["invite_token"] == room.invite_token and len(room.invite_token) >= 32
    assert body["invite_url"] == f"/rooms/team-42/?invite={room.invite_token}"
    assert RoomMember.objects.get(room=room, user=owner).role == "owner"


def test_create_without_id_generates_one(make_user, auth_client):
    body = auth_client(make_user()).post("/api/rtc/rooms/", {}, format="json").json()
    assert Room.objects.filter(room_id=body["room_id"]).exists()


def test_create_with_a_taken_id_is_400_room_id_taken(make_user, auth_client):
    room_with_members(make_user())
    taken = Room.objects.first().room_id
    response = auth_client(make_user()).post("/api/rtc/rooms/", {"room_id": taken}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "room_id_taken"


@pytest.mark.parametrize(
    "payload",
    [
        {"room_id": "a.b"},
        {"room_id": "x" * 65},
        {"room_id": 5},
        {"title": "t" * 121},
        {"visibility": "secret"},
        {"lobby_enabled": "yes"},
    ],
)
def test_create_with_bad_input_is_400_saying_what_is_wrong(make_user, auth_client, payload):
    response = auth_client(make_user()).post("/api/rtc/rooms/", payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    if payload.get("room_id") in ("a.b", "x" * 65):
        assert "letters, digits, '_' or '-'" in response.json()["detail"]


# --- list ---------------------------------------------------------------------------


def test_list_shows_public_rooms_and_rooms_i_belong_to_busiest_first(make_user, auth_client):
    me, other = make_user(), make_user()
    mine = room_with_members(other, me)
    public = room_with_members(other, visibility="public")
    hidden = room_with_members(other)  # private, not a member
    banned_public = room_with_members(other, visibility="public")
    RoomBan.objects.create(room=banned_public, user=me, banned_by=other)
    put_peer(public.room_id, "pub1", other)
    put_peer(public.room_id, "pub2", other)
    put_peer(hidden.room_id, "hid1", other)
    try:
        body = auth_client(me).get("/api/rtc/rooms/?limit=100").json()
    finally:
        for room_id, peer in [(public.room_id, "pub1"), (public.room_id, "pub2"), (hidden.room_id, "hid1")]:
            remove_peer(room_id, peer)
    ids = [room["room_id"] for room in body["results"]]
    assert hidden.room_id not in ids and banned_public.room_id not in ids
    assert ids.index(public.room_id) < ids.index(mine.room_id)  # busiest first
    by_id = {room["room_id"]: room for room in body["results"]}
    assert by_id[public.room_id]["participants"] == 2 and by_id[public.room_id]["is_member"] is False
    assert by_id[mine.room_id]["is_member"] is True and by_id[mine.room_id]["is_owner"] is False
    assert "invite_token" not in by_id[mine.room_id]


def test_list_is_paginated_and_does_not_query_per_room(make_user, auth_client, django_assert_max_num_queries):
    me = make_user()
    for _ in range(5):
        room_with_members(me)
    client = auth_client(me)
    with django_assert_max_num_queries(1):
        body = client.get("/api/rtc/rooms/?limit=2").json()
    assert body["count"] == 5 and body["next"] and len(body["results"]) == 2


# --- detail, update, delete, invite ----------------------------------------------


def test_private_room_is_404_to_strangers_exactly_like_an_unknown_room(make_user, auth_client):
    owner, stranger = make_user(), make_user()
    room = room_with_members(owner)
    client = auth_client(stranger)
    hidden = client.get(f"/api/rtc/rooms/{room.room_id}/")
    unknown = client.get("/api/rtc/rooms/no-such-room/")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json() == unknown.json() == {"detail": "No such room.", "code": "room_not_found"}
    for suffix in ["participants/", "lobby/", "invite/"]:
        method = client.post if suffix == "invite/" else client.get
        assert (
            method(f"/api/rtc/rooms/{room.room_id}/{suffix}").json()
            == method(f"/api/rtc/rooms/no-such-room/{suffix}").json()
        )


def test_detail_for_members_hides_the_invite_and_shows_it_to_the_owner(make_user, auth_client):
    owner, member = make_user(), make_user()
    room = room_with_members(owner, member)
    as_member = auth_client(member).get(f"/api/rtc/rooms/{room.room_id}/").json()
    assert as_member["is_member"] is True and "invite_token" not in as_member and "invite_url" not in as_member
    assert auth_client(owner).get(f"/api/rtc/rooms/{room.room_id}/").json()["invite_token"] == room.invite_token


def test_detail_with_the_invite_token_is_visible(make_user, auth_client):
    room = room_with_members(make_user())
    response = auth_client(make_user()).get(f"/api/rtc/rooms/{room.room_id}/?invite={room.invite_token}")
    assert response.status_code == 200 and response.json()["is_member"] is False


def test_owner_updates_room_member_gets_403_stranger_404(make_user, auth_client):
    owner, member, stranger = make_user(), make_user(), make_user()
    room = room_with_members(owner, member)
    url = f"/api/rtc/rooms/{room.room_id}/"
    response = auth_client(owner).patch(
        url, {"title": "New", "visibility": "public", "lobby_enabled": False}, format="json"
    )
    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("title", "visibility", "lobby_enabled")} == {
        "title": "New",
        "visibility": "public",
        "lobby_enabled": False,
    }
    assert auth_client(member).patch(url, {"title": "x"}, format="json").status_code == 403
    room.visibility = "private"
    room.save()
    assert auth_client(stranger).patch(url, {"title": "x"}, format="json").status_code == 404
    assert auth_client(owner).patch(url, {"visibility": "everyone"}, format="json").status_code == 400


def test_rotating_the_invite_revokes_the_old_link(make_user, auth_client):
    owner, guest = make_user(), make_user()
    room = room_with_members(owner)
    old = room.invite_token
    response = auth_client(owner).post(f"/api/rtc/rooms/{room.room_id}/invite/")
    assert response.status_code == 200 and response.json()["invite_token"] != old
    assert (
        auth_client(guest).post(f"/api/rtc/rooms/{room.room_id}/join/", {"invite": old}, format="json").status_code
        == 404
    )
    new = response.json()["invite_token"]
    assert (
        auth_client(guest).post(f"/api/rtc/rooms/{room.room_id}/join/", {"invite": new}, format="json").status_code
        == 201
    )


def test_owner_deletes_room_others_cannot(make_user, auth_client):
    owner, member = make_user(), make_user()
    room = room_with_members(owner, member)
    assert auth_client(member).delete(f"/api/rtc/rooms/{room.room_id}/").status_code == 403
    assert auth_client(owner).delete(f"/api/rtc/rooms/{room.room_id}/").status_code == 204
    assert not Room.objects.filter(pk=room.pk).exists()
    assert auth_client(owner).get(f"/api/rtc/rooms/{room.room_id}/").status_code == 404


# --- join -------------------------------------------------------------------------


def test_join_with_invite_makes_a_member_once(make_user, auth_client):
    owner, guest = make_user(), make_user()
    room = room_with_members(owner)
    client = auth_client(guest)
    first = client.post(f"/api/rtc/rooms/{room.room_id}/join/", {"invite": room.invite_token}, format="json")
    assert first.status_code == 201
    assert first.json()["room_id"] == room.room_id and first.json()["role"] == "member"
    assert first.json()["user"] == {"id": guest.pk, "username": guest.username, "name": guest.name}
    assert client.post(f"/api/rtc/rooms/{room.room_id}/join/", {}, format="json").status_code == 200


@pytest.mark.parametrize("invite", ["wrong", "", None])
def test_join_with_a_bad_token_is_404(make_user, auth_client, invite):
    room = room_with_members(make_user())
    payload = {} if invite is None else {"invite": invite}
    response = auth_client(make_user()).post(f"/api/rtc/rooms/{room.room_id}/join/", payload, format="json")
    assert response.status_code == 404 and response.json()["code"] == "room_not_found"


def test_banned_user_cannot_join_even_with_the_token(make_user, auth_client):
    owner, banned = make_user(), make_user()
    room = room_with_members(owner, visibility="public")
    RoomBan.objects.create(room=room, user=banned, banned_by=owner)
    response = auth_client(banned).post(
        f"/api/rtc/rooms/{room.room_id}/join/", {"invite": room.invite_token}, format="json"
    )
    assert response.status_code == 403 and response.json()["code"] == "banned"


# --- participants -----------------------------------------------------------------


def test_participants_lists_peers_with_their_users(make_user, auth_client):
    alice, bob = make_user(), make_user()
    room = room_with_members(alice, bob).room_id
    put_peer(room, "peer-b", bob)
    put_peer(room, "peer-a", alice)
    try:
        response = auth_client(alice).get(f"/api/rtc/rooms/{room}/participants/")
    finally:
        remove_peer(room, "peer-a")
        remove_peer(room, "peer-b")
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


def test_participants_of_a_public_room_are_visible_to_anyone(make_user, auth_client):
    room = room_with_members(make_user(), visibility="public")
    response = auth_client(make_user()).get(f"/api/rtc/rooms/{room.room_id}/participants/")
    assert response.status_code == 200 and response.json()["count"] == 0


def test_participants_of_a_private_room_with_a_lobby_are_hidden_from_strangers(make_user, auth_client):
    room = room_with_members(make_user(), lobby_enabled=True)
    assert auth_client(make_user()).get(f"/api/rtc/rooms/{room.room_id}/participants/").status_code == 404


@pytest.mark.parametrize("room_id", ["a.b", "x" * 65, "%C3%A4", "a%20b", "room:1", "%00"])
def test_participants_of_an_invalid_room_id_is_404(make_user, auth_client, room_id):
    response = auth_client(make_user()).get(f"/api/rtc/rooms/{room_id}/participants/")
    assert response.status_code == 404
    assert response.json()["code"] == "invalid_room"


# --- lobby, kick, ban -----------------------------------------------------------


def test_owner_sees_the_lobby_and_admits(make_user, auth_client):
    owner, guest = make_user(), make_user()
    room = room_with_members(owner, lobby_enabled=True)
    knock(room.room_id, guest)
    try:
        lobby = auth_client(owner).get(f"/api/rtc/rooms/{room.room_id}/lobby/")
        assert lobby.status_code == 200
        assert lobby.json() == [
            {"user": {"id": guest.pk, "username": guest.username, "name": guest.name}, "since": "2026-01-01T00:00:00Z"}
        ]
        assert auth_client(guest).get(f"/api/rtc/rooms/{room.room_id}/lobby/").status_code == 404  # not yet a member
        assert auth_client(owner).post(f"/api/rtc/rooms/{room.room_id}/lobby/{guest.pk}/admit/").status_code == 204
    finally:
        leave_lobby(room.room_id, guest)
    assert RoomMember.objects.filter(room=room, user=guest, role="member").exists()
    assert auth_client(guest).get(f"/api/rtc/rooms/{room.room_id}/lobby/").status_code == 403  # a member, not the owner


def test_admit_or_deny_someone_not_waiting_is_404_not_waiting(make_user, auth_client):
    owner, guest = make_user(), make_user()
    room = room_with_members(owner, lobby_enabled=True)
    for verb in ["admit", "deny"]:
        response = auth_client(owner).post(f"/api/rtc/rooms/{room.room_id}/lobby/{guest.pk}/{verb}/")
        assert response.status_code == 404 and response.json()["code"] == "not_waiting"
    assert auth_client(owner).post(f"/api/rtc/rooms/{room.room_id}/lobby/abc/admit/").status_code == 400
    assert not RoomMember.objects.filter(room=room, user=guest).exists()


def test_kick_removes_membership_and_ban_bars_the_user(make_user, auth_client):
    owner, member, other = make_user(), make_user(), make_user()
    room = room_with_members(owner, member, other)
    client = auth_client(owner)
    assert client.post(f"/api/rtc/rooms/{room.room_id}/kick/", {"user_id": member.pk}, format="json").status_code == 204
    assert not RoomMember.objects.filter(room=room, user=member).exists()
    assert auth_client(member).get(f"/api/rtc/rooms/{room.room_id}/").status_code == 404
    assert client.post(f"/api/rtc/rooms/{room.room_id}/ban/", {"user_id": other.pk}, format="json").status_code == 204
    assert (
        RoomBan.objects.filter(room=room, user=other).exists()
        and not RoomMember.objects.filter(room=room, user=other).exists()
    )
    assert auth_client(other).get(f"/api/rtc/rooms/{room.room_id}/?invite={room.invite_token}").status_code == 403
    assert client.delete(f"/api/rtc/rooms/{room.room_id}/ban/?user_id={other.pk}").status_code == 204
    assert not RoomBan.objects.filter(room=room, user=other).exists()
    assert client.delete(f"/api/rtc/rooms/{room.room_id}/ban/?user_id={other.pk}").status_code == 404


@pytest.mark.parametrize(
    ("path", "payload", "status", "code"),
    [
        ("kick/", "owner", 400, "cannot_remove_owner"),
        ("ban/", "owner", 400, "cannot_remove_owner"),
        ("kick/", {}, 400, "invalid"),
        ("kick/", {"user_id": "1"}, 400, "invalid"),
        ("ban/", {"user_id": 2**63}, 400, "invalid"),
        ("ban/", {"user_id": 2**62}, 404, "user_not_found"),
    ],
)
def test_kick_and_ban_bad_input(make_user, auth_client, path, payload, status, code):
    owner = make_user()
    room = room_with_members(owner)
    if payload == "owner":
        payload = {"user_id": owner.pk}
    response = auth_client(owner).post(f"/api/rtc/rooms/{room.room_id}/{path}", payload, format="json")
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


def test_members_cannot_kick(make_user, auth_client):
    owner, member = make_user(), make_user()
    room = room_with_members(owner, member)
    response = auth_client(member).post(f"/api/rtc/rooms/{room.room_id}/kick/", {"user_id": owner.pk}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_owner"


def test_unban_without_user_id_is_400(make_user, auth_client):
    owner = make_user()
    room = room_with_members(owner)
    for query in ["", "?user_id=abc", "?user_id=0"]:
        assert auth_client(owner).delete(f"/api/rtc/rooms/{room.room_id}/ban/{query}").status_code == 400


# --- ICE configuration ---------------------------------------------------------------


TURN = {
    "RTC_STUN_URLS": ["stun:stun.example.org:3478"],
    "RTC_TURN_URLS": ["turn:turn.example.org:3478?transport=udp"],
    "RTC_TURN_SECRET": "server-only-secret",
    "RTC_TURN_ONLY": False,
}


@override_settings(**TURN, RTC_TURN_TTL_SECONDS=900)
def test_config_returns_ice_servers_with_time_limited_turn_credentials(make_user, auth_client):
    user = make_user()
    room = room_with_members(user)
    before = int(time.time())
    response = auth_client(user).get(f"/api/rtc/config/?room={room.room_id}")
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


def test_turn_credentials_live_ten_minutes_by_default(make_user, auth_client, settings):
    from config import settings as project_settings

    assert project_settings.RTC_TURN_TTL_SECONDS == 600
    del settings.RTC_TURN_TTL_SECONDS
    user = make_user()
    room = room_with_members(user)
    assert auth_client(user).get(f"/api/rtc/config/?room={room.room_id}").json()["ttl"] == 600


@override_settings(RTC_TURN_URLS=["turn:turn.example.org:3478"], RTC_TURN_SECRET="s", RTC_TURN_ONLY=True)
def test_config_in_turn_only_mode_is_relay_without_stun(make_user, auth_client):
    user = make_user()
    room = room_with_members(user, visibility="public")
    body = auth_client(make_user()).get(f"/api/rtc/config/?room={room.room_id}").json()
    assert body["iceTransportPolicy"] == "relay"
    assert len(body["iceServers"]) == 1 and body["iceServers"][0]["urls"] == ["turn:turn.example.org:3478"]


@override_settings(**TURN)
def test_config_is_refused_for_a_room_the_caller_may_not_join(make_user, auth_client):
    owner, stranger, banned = make_user(), make_user(), make_user()
    room = room_with_members(owner, lobby_enabled=True)
    RoomBan.objects.create(room=room, user=banned, banned_by=owner)
    hidden = auth_client(stranger).get(f"/api/rtc/config/?room={room.room_id}")
    assert hidden.status_code == 404 and hidden.json()["code"] == "room_not_found"
    assert "iceServers" not in hidden.json()
    assert auth_client(banned).get(f"/api/rtc/config/?room={room.room_id}").status_code == 403
    assert (
        auth_client(stranger).get(f"/api/rtc/config/?room={room.room_id}&invite={room.invite_token}").status_code == 200
    )


@override_settings(**TURN)
def test_config_for_a_stream_follows_the_live_access_rules(make_user, auth_client):
    streamer, viewer, banned = make_user(), make_user(), make_user()
    stream = live_services.stream_create(streamer=streamer, title="Live")
    assert auth_client(viewer).get(f"/api/rtc/config/?stream={stream.pk}").status_code == 200
    assert auth_client(streamer).get(f"/api/rtc/config/?stream={stream.pk}").status_code == 200
    live_services.user_ban(stream_id=stream.pk, actor=streamer, target=banned)
    assert auth_client(banned).get(f"/api/rtc/config/?stream={stream.pk}").status_code == 403
    assert auth_client(viewer).get("/api/rtc/config/?stream=999999999").status_code == 404
    assert auth_client(viewer).get("/api/rtc/config/?stream=abc").status_code == 400


def test_config_without_room_or_stream_is_400_naming_both(make_user, auth_client):
    response = auth_client(make_user()).get("/api/rtc/config/")
    assert response.status_code == 400
    assert "?room=" in response.json()["detail"] and "?stream=" in response.json()["detail"]


def test_schema_documents_rtc_endpoints(openapi_paths):
    assert {
        "/api/rtc/rooms/",
        "/api/rtc/rooms/{room_id}/",
        "/api/rtc/rooms/{room_id}/invite/",
        "/api/rtc/rooms/{room_id}/join/",
        "/api/rtc/rooms/{room_id}/participants/",
        "/api/rtc/rooms/{room_id}/lobby/",
        "/api/rtc/rooms/{room_id}/lobby/{user_id}/admit/",
        "/api/rtc/rooms/{room_id}/lobby/{user_id}/deny/",
        "/api/rtc/rooms/{room_id}/kick/",
        "/api/rtc/rooms/{room_id}/ban/",
        "/api/rtc/config/",
    } <= set(openapi_paths)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("post", "/api/rtc/config/", 405),
        ("put", "/api/rtc/rooms/", 405),
        ("delete", "/api/rtc/rooms/abc/participants/", 405),
        ("get", "/api/rtc/rooms/%FF%FE/participants/", 404),
        ("get", "/api/rtc/rooms/" + "9" * 70 + "/participants/", 404),
        ("post", "/api/rtc/rooms/", 400),
        ("patch", "/api/rtc/rooms/nope/", 400),
        ("post", "/api/rtc/rooms/nope/join/", 400),
    ],
)
def test_bad_requests_say_what_is_wrong_and_are_never_5xx(make_user, auth_client, method, path, status):
    response = getattr(auth_client(make_user()), method)(
        path, {"room_id": ["x"], "title": ["x"], "invite": ["x"]}, format="json"
    )
    assert response.status_code == status, response.content
    payload = response.json()
    assert payload["detail"] and payload["code"], payload
