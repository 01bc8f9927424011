"""Calls and streams in headless Chromium with fake camera and microphone: sound, negotiation, fallbacks.

Chromium's fake devices (`--use-fake-device-for-media-stream`) give a moving test pattern and a
beeping tone, so a remote audio track that really flows has a non-zero energy in getStats().
An init script records every RTCPeerConnection a page makes (`window.__pcs`) so the tests can
read its stats, and counts offers that crossed (glare) without changing how the page works.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest

from web.tests.pages import PHONE, assert_controls_are_named, assert_fits_the_phone, login, shot

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

# Keeps every RTCPeerConnection of the page and counts offers that arrive while one of our own is
# pending (the glare that perfect negotiation resolves).
RECORD_PEER_CONNECTIONS = """
(() => {
  const Original = window.RTCPeerConnection;
  window.__pcs = [];
  window.__glare = 0;
  window.__offersMade = 0;
  const setRemote = Original.prototype.setRemoteDescription;
  Original.prototype.setRemoteDescription = function (description) {
    if (description && description.type === "offer" && this.signalingState === "have-local-offer") window.__glare++;
    return setRemote.apply(this, arguments);
  };
  const setLocal = Original.prototype.setLocalDescription;
  Original.prototype.setLocalDescription = function () {
    const result = setLocal.apply(this, arguments);
    result.then(() => { if (this.localDescription && this.localDescription.type === "offer") window.__offersMade++; });
    return result;
  };
  function Recorded(...args) {
    const pc = new Original(...args);
    window.__pcs.push(pc);
    return pc;
  }
  Recorded.prototype = Original.prototype;
  window.RTCPeerConnection = Recorded;
})();
"""
# Data channels cannot be made at all: what a browser (or a network) without them looks like to the page.
BLOCK_DATA_CHANNELS = """
RTCPeerConnection.prototype.createDataChannel = function () {
  throw new DOMException("data channels are blocked in this test", "NotSupportedError");
};
"""
# True once some connection of the page receives audio with energy (the fake microphone's beeps).
AUDIO_FLOWS_JS = """
async () => {
  for (const pc of window.__pcs) {
    if (pc.connectionState !== "connected") continue;
    const stats = await pc.getStats();
    for (const r of stats.values()) {
      if (r.type === "inbound-rtp" && r.kind === "audio" && ((r.audioLevel || 0) > 0 || (r.totalAudioEnergy || 0) > 0))
        return true;
    }
  }
  return false;
}
"""
VIDEO_FRAMES_JS = """
async () => {
  let frames = 0;
  for (const pc of window.__pcs) {
    if (pc.connectionState === "closed") continue;
    const stats = await pc.getStats();
    for (const r of stats.values()) if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded || 0;
  }
  return frames;
}
"""


def make_room(owner: Any) -> str:
    """A public room without a lobby, made directly (the rooms page's form is tested elsewhere)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from rtc.models import Visibility
    from rtc.services import room_create

    room = f"call-{uuid.uuid4().hex[:8]}"

    def arrange() -> None:
        room_create(
            owner=owner, room_id=room, title=f"Call {room[-4:]}", visibility=Visibility.PUBLIC, lobby_enabled=False
        )
        connections.close_all()

    # services publish after commit with async_to_sync: not from Playwright's thread (see test_browser.py)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(arrange).result()
    return room


def click_at_the_same_moment(pages: list[Any], selector: str) -> None:
    """Both pages click `selector` at one wall-clock instant (one browser process: one clock)."""
    at = int(time.time() * 1000) + 400
    for page in pages:
        page.evaluate(
            "([selector, at]) => setTimeout(() => document.querySelector(selector).click(), at - Date.now())",
            [selector, at],
        )


def test_two_people_join_at_once_hear_each_other_mute_share_the_screen_and_see_quality(
    contexts: Any, base_url: str, users: Any
) -> None:
    from playwright.sync_api import expect

    alice, bob = users("alice", "bob")
    room = make_room(alice)
    pages = []
    for user in (alice, bob):
        context = contexts()
        context.add_init_script(RECORD_PEER_CONNECTIONS)
        pages.append(login(context, base_url, user, f"/rooms/{room}/"))
    alice_page, bob_page = pages

    # the preview before joining: the name, camera and microphone, the devices to choose from
    for page, user in ((alice_page, alice), (bob_page, bob)):
        expect(page.get_by_text(f"You will join as {user.username}.")).to_be_visible()
        page.get_by_role("checkbox", name="Use camera").check()
        page.get_by_role("checkbox", name="Use microphone").check()
        page.wait_for_function("() => document.getElementById('preview-video').currentTime > 0.2")
        expect(page.get_by_label("Camera", exact=True).locator("option")).not_to_have_count(0)
        expect(page.get_by_label("Microphone", exact=True).locator("option")).not_to_have_count(0)
    shot(alice_page, "room-preview")

    # both join at the same instant: only the impolite side (smaller peer id) offers, the polite one answers
    click_at_the_same_moment(pages, "#connect-button")
    for page, other in ((alice_page, bob), (bob_page, alice)):
        expect(page.locator("#peers li.connected").filter(has_text=other.username)).to_be_visible()
        tile = page.locator(".tile:not(.local)").filter(has_text=other.username)
        expect(tile.get_by_role("button", name=f"Mute {other.username}")).to_be_visible()
        expect(tile.get_by_label(f"Volume of {other.username}")).to_be_visible()
        # sound: the remote video is not muted, and its audio really flows
        assert page.evaluate("() => [...document.querySelectorAll('.tile:not(.local) video')].every(v => !v.muted)")
        page.wait_for_function(AUDIO_FLOWS_JS, polling=500)
    # no offers crossed: a first offer rolled back as ICE gathering starts could leave Chromium's transport dead
    assert alice_page.evaluate("window.__glare") + bob_page.evaluate("window.__glare") == 0

    # one connection per side, and the speaking indicator lights up on the beeping microphone
    assert alice_page.evaluate("window.__pcs.filter(pc => pc.connectionState === 'connected').length") == 1
    speaking = ".tile:not(.local)[data-speaking='true']"
    bob_page.wait_for_function(
        f"() => document.querySelector(\"{speaking}\")?.textContent.includes('{alice.username}')"
    )

    # chat goes directly while everyone has a data channel
    alice_page.get_by_label("Message to participants").fill("direct hello")
    alice_page.get_by_role("button", name="Send").click()
    received = bob_page.locator("#room-messages li").filter(has_text="direct hello")
    expect(received).to_contain_text(alice.username)
    expect(received).to_have_attribute("data-path", "direct")

    # a listener mutes one person locally; the person mutes their microphone for everyone
    bob_page.get_by_role("button", name=f"Mute {alice.username}").click()
    expect(bob_page.get_by_role("button", name=f"Unmute {alice.username}")).to_have_attribute("aria-pressed", "true")
    bob_page.get_by_role("button", name=f"Unmute {alice.username}").click()
    alice_page.get_by_role("button", name="Mute microphone").click()
    expect(alice_page.get_by_role("button", name="Unmute microphone")).to_have_attribute("aria-pressed", "true")
    expect(bob_page.locator(".tile").filter(has_text=alice.username)).to_contain_text("microphone off")
    alice_page.get_by_role("button", name="Unmute microphone").click()
    expect(bob_page.locator(".tile").filter(has_text=alice.username)).not_to_contain_text("microphone off")

    # the quality indicator: each side's figures for the other, measured every few seconds
    for page, other in ((alice_page, bob), (bob_page, alice)):
        quality = page.locator("#peers li").filter(has_text=other.username).locator(".quality")
        expect(quality).to_contain_text(re.compile(r"Connection (good|fair|poor): \d+ ms round trip"), timeout=20_000)
    shot(bob_page, "room-call")

    # screen sharing replaces the video track: no new offer, and bob keeps receiving frames
    offers_before = alice_page.evaluate("window.__offersMade") + bob_page.evaluate("window.__offersMade")
    frames_before = bob_page.evaluate(VIDEO_FRAMES_JS)
    alice_page.get_by_role("button", name="Share screen").click()
    expect(alice_page.get_by_role("button", name="Stop sharing")).to_have_attribute("aria-pressed", "true")
    expect(bob_page.locator(".tile").filter(has_text=alice.username)).to_contain_text("sharing the screen")
    bob_page.wait_for_function(f"async () => (await ({VIDEO_FRAMES_JS})()) > {frames_before} + 10", polling=500)
    offers_after = alice_page.evaluate("window.__offersMade") + bob_page.evaluate("window.__offersMade")
    assert offers_after == offers_before, "screen sharing renegotiated"
    shot(bob_page, "room-screen-share")
    alice_page.get_by_role("button", name="Stop sharing").click()
    expect(bob_page.locator(".tile").filter(has_text=alice.username)).not_to_contain_text("sharing the screen")

    # the call screen on a phone: every control named, nothing cut off
    bob_page.set_viewport_size(PHONE)
    assert_controls_are_named(bob_page, "room call at 375 px")
    assert_fits_the_phone(bob_page, "room call at 375 px")
    shot(bob_page, "room-call-phone")


def test_room_chat_falls_back_to_the_server_when_data_channels_fail(contexts: Any, base_url: str, users: Any) -> None:
    from playwright.sync_api import expect

    alice, bob = users("alice", "bob")
    room = make_room(alice)
    pages = []
    for user in (alice, bob):
        context = contexts()
        context.add_init_script(BLOCK_DATA_CHANNELS)
        page = login(context, base_url, user, f"/rooms/{room}/")
        page.get_by_role("button", name="Connect").click()
        expect(page.locator("#my-peer-id")).not_to_have_text("–")
        pages.append(page)
    alice_page, bob_page = pages
    expect(alice_page.locator("#peers li").filter(has_text=bob.username)).to_contain_text("chat via server")

    alice_page.get_by_label("Message to participants").fill("hello without a data channel")
    alice_page.get_by_role("button", name="Send").click()
    received = bob_page.locator("#room-messages li").filter(has_text="hello without a data channel")
    expect(received).to_contain_text(alice.username)
    expect(received).to_contain_text("via server")
    expect(received).to_have_attribute("data-path", "server")
    expect(alice_page.locator("#room-messages li.mine").filter(has_text="hello without")).to_contain_text("via server")
    bob_page.get_by_label("Message to participants").fill("and back")
    bob_page.get_by_role("button", name="Send").click()
    expect(alice_page.locator("#room-messages li").filter(has_text="and back")).to_contain_text(bob.username)
    shot(bob_page, "room-chat-via-server")


def test_stream_with_sound_moderators_quality_screen_share_and_going_live_again(
    contexts: Any, base_url: str, users: Any
) -> None:
    from playwright.sync_api import expect

    alice, bob, carol = users("alice", "bob", "carol")
    title = f"Alice live {uuid.uuid4().hex[:4]}"
    streamer_context = contexts()
    streamer_context.add_init_script(RECORD_PEER_CONNECTIONS)
    go = login(streamer_context, base_url, alice, "/live/go/")

    # the streamer makes carol a moderator and bob a VIP from the go-live page
    go.get_by_label("Username to make moderator").fill(carol.username)
    go.get_by_role("button", name="Add moderator").click()
    expect(go.get_by_role("list", name="Moderators")).to_contain_text(carol.username)
    go.get_by_label("Username to make VIP").fill(bob.username)
    go.get_by_role("button", name="Add VIP").click()
    expect(go.get_by_role("list", name="VIPs")).to_contain_text(bob.username)
    go.get_by_role("button", name=f"Remove VIP {bob.username}").click()
    expect(go.get_by_role("list", name="VIPs")).not_to_contain_text(bob.username)

    go.get_by_label("Stream title").fill(title)
    go.get_by_role("button", name="Start streaming").click()
    expect(go.get_by_text("You are live")).to_be_visible()
    expect(go.get_by_role("heading", name=title)).to_be_visible()
    expect(go.get_by_label("Time live")).to_have_text(re.compile(r"^0:0[1-9]$"))

    viewers = []
    for user in (bob, carol):
        context = contexts()
        context.add_init_script(RECORD_PEER_CONNECTIONS)
        page = login(context, base_url, user, "/live/")
        page.get_by_role("link", name=title).click()
        page.wait_for_url(re.compile(r"/live/\d+/$"))
        viewers.append(page)
    bob_page, carol_page = viewers

    # sound: not muted, audio flows, with mute and volume controls; theatre mode
    bob_page.wait_for_function("() => document.querySelector('#remote-video').currentTime > 0.5", timeout=30_000)
    assert bob_page.evaluate("document.querySelector('#remote-video').muted") is False
    bob_page.wait_for_function(AUDIO_FLOWS_JS, polling=500)
    expect(bob_page.get_by_label("Volume of the stream")).to_be_visible()
    bob_page.get_by_role("button", name="Mute the stream").click()
    assert bob_page.evaluate("document.querySelector('#remote-video').muted") is True
    bob_page.get_by_role("button", name="Unmute the stream").click()
    bob_page.get_by_role("button", name="Theatre mode").click()
    expect(bob_page.get_by_role("button", name="Theatre mode")).to_have_attribute("aria-pressed", "true")

    # the streamer sees each viewer's connection quality
    quality = go.get_by_role("list", name="Viewers' connection quality")
    for user in (bob, carol):
        expect(quality.locator("li").filter(has_text=user.username)).to_contain_text(
            re.compile(r"(good|fair|poor)"), timeout=20_000
        )

    # comments carry their time; the moderator deletes and bans from the watch page
    bob_page.get_by_label("Comment", exact=True).fill("spam spam spam")
    bob_page.get_by_role("button", name="Send").click()
    spam = carol_page.locator("#comments li").filter(has_text="spam spam spam")
    expect(spam.locator("time")).to_have_text(re.compile(r"\d{1,2}:\d{2}"))
    expect(carol_page.get_by_text("You moderate this channel")).to_be_visible()
    spam.get_by_role("button", name=f"Delete comment by {bob.username}").click()
    expect(go.locator("#comments").get_by_text("spam spam spam")).to_be_hidden()
    carol_page.once("dialog", lambda dialog: dialog.accept())
    bob_page.get_by_label("Comment", exact=True).fill("more spam")
    bob_page.get_by_role("button", name="Send").click()
    carol_page.locator("#comments li").filter(has_text="more spam").get_by_role(
        "button", name=f"Ban {bob.username}"
    ).click()
    expect(bob_page.locator("#stream-message")).to_contain_text("removed")
    expect(bob_page.get_by_label("Comment", exact=True)).to_be_disabled()
    shot(carol_page, "live-watch-moderator")
    # the streamer's channel lists show the ban (another tab: this one keeps streaming); unban
    channel = streamer_context.new_page()
    channel.goto(f"{base_url}/live/go/")
    expect(channel.get_by_role("list", name="Banned")).to_contain_text(bob.username)
    channel.get_by_role("button", name=f"Unban {bob.username}").click()
    expect(channel.get_by_role("list", name="Banned")).not_to_contain_text(bob.username)
    channel.close()

    # screen sharing replaces the streamer's camera for the viewer without a new offer
    offers_before = go.evaluate("window.__offersMade")
    frames_before = carol_page.evaluate(VIDEO_FRAMES_JS)
    go.get_by_role("button", name="Share screen").click()
    expect(go.get_by_role("button", name="Stop sharing")).to_have_attribute("aria-pressed", "true")
    carol_page.wait_for_function(f"async () => (await ({VIDEO_FRAMES_JS})()) > {frames_before} + 10", polling=500)
    assert go.evaluate("window.__offersMade") == offers_before, "screen sharing renegotiated"
    go.get_by_role("button", name="Stop sharing").click()
    shot(go, "live-go-streaming")

    # the end: the viewer's count and comment box are disabled; the streamer can go live again
    go.get_by_role("button", name="End stream").click()
    expect(carol_page.locator("#stream-message")).to_contain_text("The stream has ended")
    expect(carol_page.get_by_label("Comment", exact=True)).to_be_disabled()
    expect(carol_page.get_by_label("Viewer count")).to_have_text("0")
    expect(go.get_by_text("You can go live again")).to_be_visible()
    go.get_by_label("Stream title").fill(f"{title} again")
    go.get_by_role("button", name="Go live again").click()
    expect(go.get_by_text("You are live")).to_be_visible()
    expect(go.get_by_role("heading", name=f"{title} again")).to_be_visible()
    expect(go.get_by_role("button", name="End stream")).to_be_visible()
    go.set_viewport_size(PHONE)
    assert_controls_are_named(go, "go live at 375 px")
    assert_fits_the_phone(go, "go live at 375 px")
    shot(go, "live-go-again-phone")
    go.get_by_role("button", name="End stream").click()
