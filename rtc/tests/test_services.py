"""Room id and SDP rules; who may join a room; the owner-only services."""

from __future__ import annotations

import pytest
from django.test import override_settings

from realtime.errors import BadRequest, Forbidden, InvalidInput, NotFound
from realtime.webrtc import sdp_check as sdp_validate
from rtc.models import RoomBan, RoomMember
from rtc.selectors import Access, room_access, room_visible
from rtc.services import lobby_admit, member_ban, member_kick, room_create, room_id_validate, room_join, room_update
from rtc.tests.rooms import room_with_members


@pytest.mark.parametrize("room_id", ["a", "Lobby_1", "team-42", "x" * 64, "A-_z09"])
def test_valid_room_ids_are_accepted(room_id):
    assert room_id_validate(room_id=room_id) == room_id


@pytest.mark.parametrize("room_id", ["", "x" * 65, "a b", "a.b", "a/b", "ä", "room:1", "a\n", "%20", "<script>"])
def test_invalid_room_ids_are_refused(room_id):
    with pytest.raises(NotFound) as exc:
        room_id_validate(room_id=room_id)
    assert exc.value.code == "invalid_room"


@override_settings(LIVE_MAX_SDP_BYTES=10)
def test_sdp_limit_counts_bytes_not_characters():
    assert sdp_validate(sdp="v=0\r\n") == "v=0\r\n"
    with pytest.raises(InvalidInput) as exc:
        sdp_validate(sdp="ééééé é")  # 7 characters, 13 bytes
    assert exc.value.code == "sdp_too_large"


# --- access rules (rtc.selectors.room_access) and room services --------------------------


@pytest.fixture
def trio(make_user):
    return make_user(), make_user(), make_user()


@pytest.mark.django_db
def test_room_access_kinds(trio):
    owner, member, stranger = trio
    room = room_with_members(owner, member, lobby_enabled=True)
    assert room_access(room_id=room.room_id, user=owner).kind == Access.OWNER
    assert room_access(room_id=room.room_id, user=member).kind == Access.MEMBER
    assert room_access(room_id=room.room_id, user=stranger).kind == Access.LOBBY
    assert room_access(room_id=room.room_id, user=stranger, invite=room.invite_token).kind == Access.INVITE
    assert room_access(room_id=room.room_id, user=stranger, invite="wrong").kind == Access.LOBBY
    room.visibility = "public"
    room.save()
    assert room_access(room_id=room.room_id, user=stranger).kind == Access.PUBLIC


@pytest.mark.django_db
def test_stranger_without_lobby_or_token_gets_the_same_not_found_as_an_unknown_room(trio):
    owner, _, stranger = trio
    room = room_with_members(owner, lobby_enabled=False)
    with pytest.raises(NotFound) as hidden:
        room_access(room_id=room.room_id, user=stranger)
    with pytest.raises(NotFound) as unknown:
        room_access(room_id="never-created", user=stranger)
    assert (
        (hidden.value.code, hidden.value.message)
        == (unknown.value.code, unknown.value.message)
        == ("room_not_found", "No such room.")
    )


@pytest.mark.django_db
def test_lobby_does_not_make_a_room_visible(trio):
    owner, _, stranger = trio
    room = room_with_members(owner, lobby_enabled=True)
    with pytest.raises(NotFound):
        room_visible(room_id=room.room_id, user=stranger)


@pytest.mark.django_db
@pytest.mark.parametrize("holding", ["membership", "invite", "public"])
def test_banned_users_are_refused_whatever_they_hold(trio, holding):
    owner, banned, _ = trio
    room = room_with_members(
        owner, *([banned] if holding == "membership" else []), visibility="public" if holding == "public" else "private"
    )
    RoomBan.objects.create(room=room, user=banned, banned_by=owner)
    with pytest.raises(Forbidden) as exc:
        room_access(room_id=room.room_id, user=banned, invite=room.invite_token if holding == "invite" else None)
    assert exc.value.code == "banned"


@pytest.mark.django_db
def test_room_create_and_taken_id(trio):
    owner, other, _ = trio
    room = room_create(owner=owner, room_id="standup", title="Daily")
    assert room.visibility == "private" and room.lobby_enabled and RoomMember.objects.get(room=room).role == "owner"
    with pytest.raises(BadRequest) as exc:
        room_create(owner=other, room_id="standup")
    assert exc.value.code == "room_id_taken"
    with pytest.raises(InvalidInput) as invalid:
        room_create(owner=other, room_id="a b")
    assert "letters, digits" in invalid.value.message


@pytest.mark.django_db
def test_ban_removes_membership_and_owner_cannot_remove_themself(trio):
    owner, member, _ = trio
    room = room_with_members(owner, member)
    member_ban(room_id=room.room_id, actor=owner, user_id=member.pk)
    assert (
        not RoomMember.objects.filter(room=room, user=member).exists()
        and RoomBan.objects.filter(room=room, user=member).exists()
    )
    with pytest.raises(BadRequest):
        member_kick(room_id=room.room_id, actor=owner, user_id=owner.pk)
    with pytest.raises(Forbidden):
        room_join(room_id=room.room_id, user=member, invite=room.invite_token)


@pytest.mark.django_db
def test_only_the_owner_manages_the_room(trio):
    owner, member, stranger = trio
    room = room_with_members(owner, member)
    with pytest.raises(Forbidden):
        room_update(room_id=room.room_id, actor=member, title="x")
    with pytest.raises(NotFound):
        room_update(room_id=room.room_id, actor=stranger, title="x")
    with pytest.raises(NotFound):
        lobby_admit(room_id=room.room_id, actor=owner, user_id=stranger.pk, waiting=False)
    lobby_admit(room_id=room.room_id, actor=owner, user_id=stranger.pk, waiting=True)
    assert RoomMember.objects.filter(room=room, user=stranger).exists()


@pytest.mark.parametrize(
    "line",
    [
        "WSCONNECT /ws/rooms/standup/?token=abc&invite=s3cr3t-inv1te-t0ken",
        "<WSGIRequest: GET '/api/rtc/rooms/standup/?invite=s3cr3t-inv1te-t0ken'>",
        'body {"invite": "s3cr3t-inv1te-t0ken"}',
        '{"invite_token": "s3cr3t-inv1te-t0ken"}',
    ],
)
def test_invite_tokens_never_reach_a_log_line(line):
    from realtime.logging import redact

    assert "s3cr3t-inv1te-t0ken" not in redact(line)
