"""Who may join `/ws/rooms/<id>/`: members, invite holders, public rooms, the lobby; strangers and banned users
never."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from realtime import closecodes
from realtime.testing import expect_close, open_socket, recv, recv_type, send, socket_app
from rtc import services
from rtc.models import RoomBan, RoomMember
from rtc.routing import websocket_urlpatterns
from rtc.tests.rooms import aroom_with_members

pytestmark = [pytest.mark.django_db(transaction=True)]

app = socket_app(websocket_urlpatterns)


async def room_socket(token: str, room_id: str, invite: str | None = None) -> WebsocketCommunicator:
    return await open_socket(app, f"/ws/rooms/{room_id}/?token={token}" + (f"&invite={invite}" if invite else ""))


async def room_socket_at(token: str, room_id: str, first: str) -> WebsocketCommunicator:
    """A socket on the room once its frame `first` (`room_joined`, or `lobby_waiting` for a knock) has come."""
    comm = await room_socket(token, room_id)
    await recv_type(comm, first)
    return comm


@pytest.fixture
def people(make_user, token_for):
    users = [make_user() for _ in range(3)]
    return [(user, token_for(user)) for user in users]


def brief(user) -> dict:
    return {"id": user.pk, "username": user.username, "name": user.name}


async def test_stranger_to_a_private_room_is_refused_exactly_like_an_unknown_room(people):
    (owner, _), (_, stranger_token), _ = people
    room = await aroom_with_members(owner, lobby_enabled=False)
    frames = []
    for room_id in [room.room_id, "no-such-room"]:
        comm = await room_socket(stranger_token, room_id)
        frame = await recv(comm)
        frames.append(frame["data"])
        assert await expect_close(comm) == closecodes.NOT_FOUND
    assert frames[0] == frames[1] == {"code": "room_not_found", "message": "No such room."}


async def test_a_wrong_invite_is_refused_like_an_unknown_room(people):
    (owner, _), (_, stranger_token), _ = people
    room = await aroom_with_members(owner, lobby_enabled=False)
    comm = await room_socket(stranger_token, room.room_id, invite="not-the-token")
    assert (await recv(comm))["data"]["code"] == "room_not_found"
    assert await expect_close(comm) == closecodes.NOT_FOUND


async def test_invite_holder_joins_and_becomes_a_member(people):
    (owner, owner_token), (guest, guest_token), _ = people
    room = await aroom_with_members(owner)
    a = await room_socket_at(owner_token, room.room_id, "room_joined")
    b = await room_socket(guest_token, room.room_id, invite=room.invite_token)
    joined = await recv(b)
    assert joined["type"] == "room_joined"
    assert [peer["user"] for peer in joined["data"]["peers"]] == [{"id": owner.pk, "username": owner.username}]
    assert (await recv_type(a, "peer_joined"))["data"]["user"] == {"id": guest.pk, "username": guest.username}
    assert await database_sync_to_async(RoomMember.objects.filter(room=room, user=guest, role="member").exists)()
    await b.disconnect()
    again = await room_socket(guest_token, room.room_id)  # a member now: no token needed
    assert (await recv(again))["type"] == "room_joined"
    await again.disconnect()
    await a.disconnect()


async def test_anyone_joins_a_public_room_without_becoming_a_member(people):
    (owner, _), (viewer, viewer_token), _ = people
    room = await aroom_with_members(owner, visibility="public")
    comm = await room_socket(viewer_token, room.room_id)
    assert (await recv(comm))["type"] == "room_joined"
    assert not await database_sync_to_async(RoomMember.objects.filter(room=room, user=viewer).exists)()
    await comm.disconnect()


@pytest.mark.parametrize("how", ["member", "invite", "public"])
async def test_banned_user_is_refused_with_4403_whatever_they_hold(people, how):
    (owner, _), (banned, banned_token), _ = people
    room = await aroom_with_members(
        owner, *([banned] if how == "member" else []), visibility="public" if how == "public" else "private"
    )
    await database_sync_to_async(RoomBan.objects.create)(room=room, user=banned, banned_by=owner)
    comm = await room_socket(banned_token, room.room_id, invite=room.invite_token if how == "invite" else None)
    assert (await recv(comm))["data"]["code"] == "banned"
    assert await expect_close(comm) == closecodes.FORBIDDEN


async def test_lobby_knock_then_admit_joins_the_room(people):
    (owner, owner_token), (guest, guest_token), _ = people
    room = await aroom_with_members(owner, lobby_enabled=True)
    host = await room_socket_at(owner_token, room.room_id, "room_joined")
    knocker = await room_socket(guest_token, room.room_id)
    waiting = await recv(knocker)
    assert waiting["type"] == "lobby_waiting"
    assert waiting["data"] == {
        "room_id": room.room_id,
        "title": room.title,
        "owner": {"id": owner.pk, "username": owner.username, "name": owner.name},
    }
    knock = await recv_type(host, "knock")
    assert knock["data"] == {"user": brief(guest)}
    await send(knocker, "offer", {"target": "0" * 32, "sdp": "v=0"})  # nothing is relayed from the lobby
    assert (await recv(knocker))["data"]["code"] == "lobby_waiting"

    await send(host, "admit", {"user_id": guest.pk})
    assert (await recv(knocker))["type"] == "admitted"
    assert (await recv_type(host, "lobby_update"))["data"] == {"waiting": []}
    joined = await recv(knocker)
    assert joined["type"] == "room_joined" and [peer["user"]["id"] for peer in joined["data"]["peers"]] == [owner.pk]
    assert (await recv_type(host, "peer_joined"))["data"]["user"]["id"] == guest.pk
    assert await database_sync_to_async(RoomMember.objects.filter(room=room, user=guest).exists)()
    await knocker.disconnect()
    await host.disconnect()


async def test_owner_joining_later_sees_who_waits(people):
    (owner, owner_token), (guest, guest_token), _ = people
    room = await aroom_with_members(owner, lobby_enabled=True)
    knocker = await room_socket_at(guest_token, room.room_id, "lobby_waiting")
    host = await room_socket_at(owner_token, room.room_id, "room_joined")
    lobby = await recv_type(host, "lobby")
    assert [entry["user"] for entry in lobby["data"]["waiting"]] == [brief(guest)] and lobby["data"]["waiting"][0][
        "since"
    ]
    await knocker.disconnect()
    await host.disconnect()


async def test_lobby_deny_closes_the_waiting_socket_4403(people):
    (owner, owner_token), (guest, guest_token), _ = people
    room = await aroom_with_members(owner, lobby_enabled=True)
    host = await room_socket_at(owner_token, room.room_id, "room_joined")
    knocker = await room_socket_at(guest_token, room.room_id, "lobby_waiting")
    await recv_type(host, "knock")
    await send(host, "deny", {"user_id": guest.pk})
    denied = await recv(knocker)
    assert denied["type"] == "error" and denied["data"]["code"] == "lobby_denied"
    assert await expect_close(knocker) == closecodes.FORBIDDEN
    await knocker.disconnect()  # what the protocol server does after the close
    assert (await recv_type(host, "lobby_update"))["data"] == {"waiting": []}
    assert not await database_sync_to_async(RoomMember.objects.filter(room=room, user=guest).exists)()
    await host.disconnect()


async def test_only_the_owner_admits(people):
    (owner, _), (member, member_token), (guest, guest_token) = people
    room = await aroom_with_members(owner, member, lobby_enabled=True)
    knocker = await room_socket_at(guest_token, room.room_id, "lobby_waiting")
    comm = await room_socket_at(member_token, room.room_id, "room_joined")
    await send(comm, "admit", {"user_id": guest.pk})
    error = await recv(comm)
    assert error["type"] == "error" and error["data"]["code"] == "not_owner"
    assert await knocker.receive_nothing(timeout=0.3)
    await send(comm, "admit", {"user_id": "x"})
    assert (await recv(comm))["data"]["code"] == "invalid"
    await comm.disconnect()
    await knocker.disconnect()


async def test_kick_closes_the_users_sockets_4403_and_others_see_them_leave(people):
    (owner, owner_token), (member, member_token), _ = people
    room = await aroom_with_members(owner, member)
    host = await room_socket_at(owner_token, room.room_id, "room_joined")
    target = await room_socket_at(member_token, room.room_id, "room_joined")
    await database_sync_to_async(services.member_kick)(room_id=room.room_id, actor=owner, user_id=member.pk)
    removed = await recv_type(target, "removed")
    assert removed["data"] == {"room_id": room.room_id, "reason": "kicked"}
    assert await expect_close(target) == closecodes.FORBIDDEN
    await target.disconnect()  # what the protocol server does after the close; the communicator waits for us
    assert (await recv_type(host, "peer_left"))["data"]["reason"] == "left"
    again = await room_socket(member_token, room.room_id)  # no longer a member; the room has no lobby
    assert (await recv(again))["data"]["code"] == "room_not_found"
    await host.disconnect()


async def test_deleting_the_room_closes_every_socket_4410(people):
    (owner, owner_token), (member, member_token), (_, guest_token) = people
    room = await aroom_with_members(owner, member, lobby_enabled=True)
    host = await room_socket_at(owner_token, room.room_id, "room_joined")
    peer = await room_socket_at(member_token, room.room_id, "room_joined")
    knocker = await room_socket_at(guest_token, room.room_id, "lobby_waiting")
    await database_sync_to_async(services.room_delete)(room_id=room.room_id, actor=owner)
    for comm in (host, peer, knocker):
        assert (await recv_type(comm, "room_closed"))["data"] == {"room_id": room.room_id}
        assert await expect_close(comm) == closecodes.GONE
