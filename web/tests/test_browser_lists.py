"""The `/live/` and `/rooms/` lists follow streams and rooms without a reload, two people side by side.

Same server, browser and user fixtures as test_browser.py (web/tests/conftest.py); the lists listen on the
personal socket (`stream_started` / `stream_ended` from the directory group, `room_presence`; docs/protocol.md).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from rtc.tests.rooms import room_with_members
from web.tests.pages import DESKTOP, PHONE, connect, login, online, shot

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_live_and_rooms_lists_update_without_reload(contexts: Any, base_url: str, users: Any) -> None:
    from playwright.sync_api import expect

    alice, bob = users("alice", "bob")
    title = f"Bob live {uuid.uuid4().hex[:4]}"
    room = room_with_members(alice, bob, prefix="lists")

    # alice watches /live/ (desktop); bob goes live from his phone: the stream appears, then ends
    alice_page = login(contexts(viewport=DESKTOP), base_url, alice, "/live/")
    stream_row = alice_page.locator("#streams li").filter(has_text=title)
    expect(stream_row).to_have_count(0)
    bob_page = login(contexts(viewport=PHONE, is_mobile=True, has_touch=True), base_url, bob, "/live/go/")
    bob_page.get_by_label("Stream title").fill(title)
    bob_page.get_by_role("button", name="Start streaming").click()
    expect(stream_row.get_by_text("LIVE · 0 watching")).to_be_visible()
    shot(alice_page, "live-list-live-update")
    bob_page.get_by_role("button", name="End stream").click()
    expect(stream_row.locator(".pill")).to_have_text("ended")

    # alice watches /rooms/; bob joins their private room, then leaves: the head count follows
    alice_page.goto(f"{base_url}/rooms/")
    online(alice_page)
    count = alice_page.locator(f'#rooms li[data-room-id="{room.room_id}"] [data-count]')
    expect(count).to_have_text("0 in the room")
    bob_page.goto(f"{base_url}/rooms/{room.room_id}/")
    connect(bob_page)
    expect(count).to_have_text("1 in the room")
    shot(alice_page, "rooms-list-live-update")
    bob_page.goto(f"{base_url}/rooms/")
    expect(count).to_have_text("0 in the room")
