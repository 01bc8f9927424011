"""`room_presence` on the personal socket: the `/rooms/` list's head counts, to who may see the room only."""

from __future__ import annotations

import pytest

from realtime.personal import websocket_urlpatterns as personal_urls
from realtime.testing import open_socket, recv, recv_all, recv_type, socket_app
from rtc.models import Visibility
from rtc.routing import websocket_urlpatterns as room_urls
from rtc.tests.rooms import aroom_with_members

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(make_user, token_for):
    users = [make_user() for _ in range(3)]
    return [(user, token_for(user)) for user in users]


app = socket_app([*personal_urls, *room_urls])


async def personal(token: str):
    comm = await open_socket(app, f"/ws/notifications/?token={token}")
    await recv_type(comm, "connection_established")
    return comm


async def test_private_room_counts_reach_members_not_strangers(people):
    (owner, owner_token), (member, member_token), (_, stranger_token) = people
    room = (await aroom_with_members(owner, member)).room_id
    owner_list, member_list, stranger_list = [await personal(t) for t in (owner_token, member_token, stranger_token)]
    peer = await open_socket(app, f"/ws/rooms/{room}/?token={member_token}")
    assert (await recv(peer))["type"] == "room_joined"
    for sock in (owner_list, member_list):
        frame = await recv_type(sock, "room_presence")
        assert frame["data"] == {"room": room, "participants": 1}
    await peer.disconnect()
    for sock in (owner_list, member_list):
        assert (await recv_type(sock, "room_presence"))["data"] == {"room": room, "participants": 0}
    # receive_nothing-based (a receive timeout would cancel the socket under test)
    assert "room_presence" not in [frame["type"] for frame in await recv_all(stranger_list, quiet=0.5)]
    for sock in (owner_list, member_list, stranger_list):
        await sock.disconnect()


async def test_public_room_counts_reach_everyone(people):
    (owner, owner_token), (_, stranger_token), _ = people
    room = (await aroom_with_members(owner, visibility=Visibility.PUBLIC)).room_id
    stranger_list = await personal(stranger_token)
    peer = await open_socket(app, f"/ws/rooms/{room}/?token={owner_token}")
    assert (await recv(peer))["type"] == "room_joined"
    assert (await recv_type(stranger_list, "room_presence"))["data"] == {"room": room, "participants": 1}
    await peer.disconnect()
    await stranger_list.disconnect()
