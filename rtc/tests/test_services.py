"""Room id and SDP rules."""

from __future__ import annotations

import pytest
from django.test import override_settings

from realtime.errors import InvalidInput, NotFound
from rtc.services import room_id_validate, sdp_validate


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
