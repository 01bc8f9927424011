"""The UI in headless Chromium against real server processes (the `cluster` fixture).

Each test logs real users in through the login page and drives the pages the way a
person does (roles, labels, visible text). Screenshots of each page land in
`artifacts/screenshots/` (gitignored) for a human to look at.

Chromium comes from Debian (`chromium`), never from `playwright install`; when it is
missing the tests skip on a developer machine and fail in CI.
"""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connections

from conftest import PASSWORD
from web.tests.pages import DESKTOP, TIMEOUT_MS, check_both_widths, connect, create_room_in_the_ui, login, online, shot

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_signup_and_login_pages_work_in_a_browser(browser: Any, contexts: Any, base_url: str, users: Any) -> None:
    from playwright.sync_api import expect

    context = contexts()
    page = context.new_page()
    page.goto(f"{base_url}/signup/")
    shot(page, "signup")
    name = f"newcomer_{uuid.uuid4().hex[:6]}"
    page.get_by_label("Username").fill(name)
    page.get_by_label("Email").fill(f"{name}@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{base_url}/")
    expect(page.get_by_role("link", name=name)).to_be_visible()
    online(page)
    shot(page, "feed")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login/"))
    shot(page, "login")


def test_chat_message_typing_and_read_receipt_between_two_browsers(contexts: Any, base_url: str, users: Any) -> None:
    from playwright.sync_api import expect

    alice, bob = users("alice", "bob")
    alice_page = login(contexts(), base_url, alice, f"/u/{bob.username}/")
    shot(alice_page, "profile")
    alice_page.get_by_role("button", name="Message").click()
    alice_page.wait_for_url(re.compile(r"/chat/\d+/$"))
    conversation_path = alice_page.url.removeprefix(base_url)

    bob_page = login(contexts(), base_url, bob, "/chat/")
    bob_page.get_by_role("link", name=re.compile(alice.username)).click()
    bob_page.wait_for_url(re.compile(re.escape(conversation_path) + "$"))
    # both conversation sockets are up once each page lists the other member
    expect(bob_page.get_by_role("list", name="Members").get_by_role("link", name=alice.username)).to_be_visible()
    expect(alice_page.get_by_role("list", name="Members").get_by_role("link", name=bob.username)).to_be_visible()
    online(bob_page)
    online(alice_page)

    # alice types: bob sees the indicator before anything is sent
    box = alice_page.get_by_label("Message", exact=True)
    box.press_sequentially("Hello Bob, this is Alice", delay=60)
    expect(bob_page.get_by_text(f"{alice.username} is typing…")).to_be_visible()
    alice_page.get_by_role("button", name="Send").click()

    # ... the message appears on bob's page without a reload, and the indicator goes away
    expect(bob_page.locator(".message").filter(has_text="Hello Bob, this is Alice")).to_be_visible()
    expect(bob_page.get_by_text(f"{alice.username} is typing…")).to_be_hidden()
    # bob has the conversation open, so he read it: alice sees ✓✓
    mine = alice_page.locator(".message.mine").filter(has_text="Hello Bob, this is Alice")
    expect(mine.locator(".mark")).to_have_text("✓✓")
    expect(mine.get_by_label("Read")).to_be_visible()

    bob_page.get_by_label("Message", exact=True).fill("Hi Alice!")
    bob_page.get_by_role("button", name="Send").click()
    expect(alice_page.locator(".message").filter(has_text="Hi Alice!")).to_be_visible()
    # the members list shows bob online
    expect(alice_page.locator("#chat-members li.online").filter(has_text=bob.username)).to_be_visible()
    shot(alice_page, "chat")
    shot(bob_page, "chat-bob")


def test_follow_raises_the_bell_count_and_mark_all_read_clears_every_tab(
    contexts: Any, base_url: str, users: Any
) -> None:
    from playwright.sync_api import expect

    alice, bob = users("alice", "bob")
    alice_context = contexts()
    tab1 = login(alice_context, base_url, alice, "/")
    tab2 = alice_context.new_page()
    tab2.goto(f"{base_url}/items/")
    online(tab2)
    for tab in (tab1, tab2):
        expect(tab.locator("#bell-count")).to_be_hidden()

    bob_page = login(contexts(), base_url, bob, f"/u/{alice.username}/")
    bob_page.get_by_role("button", name="Follow").click()
    expect(bob_page.get_by_role("button", name="Unfollow")).to_be_visible()

    # no reload: the count arrives over alice's personal socket in both tabs
    for tab in (tab1, tab2):
        expect(tab.locator("#bell-count")).to_have_text("1")
    tab1.get_by_role("button", name=re.compile(r"^Notifications")).click()
    expect(tab1.get_by_role("region", name="Notifications list").get_by_text(bob.username)).to_be_visible()
    shot(tab1, "notifications")
    tab1.get_by_role("button", name="Mark all read").click()
    for tab in (tab1, tab2):
        expect(tab.locator("#bell-count")).to_have_attribute("data-count", "0")
        expect(tab.locator("#bell-count")).to_be_hidden()


def test_live_stream_video_comments_and_viewer_count(contexts: Any, base_url: str, users: Any) -> None:
    from playwright.sync_api import expect

    alice, bob = users("alice", "bob")
    title = f"Alice live {uuid.uuid4().hex[:4]}"
    alice_page = login(contexts(), base_url, alice, "/live/go/")
    alice_page.get_by_label("Stream title").fill(title)
    alice_page.get_by_role("button", name="Start streaming").click()
    expect(alice_page.get_by_role("status").filter(has_text="LIVE")).to_be_visible()
    expect(alice_page.get_by_label("Viewer count")).to_have_text("0")

    bob_page = login(contexts(), base_url, bob, "/live/")
    shot(bob_page, "live-list")
    bob_page.get_by_role("link", name=title).click()
    bob_page.wait_for_url(re.compile(r"/live/\d+/$"))
    expect(alice_page.get_by_label("Viewer count")).to_have_text("1")

    # bob's <video> plays: currentTime moves forward
    bob_page.wait_for_function(
        "() => { const v = document.querySelector('#remote-video'); return v && v.currentTime > 0.5; }", timeout=30_000
    )
    first = bob_page.evaluate("document.querySelector('#remote-video').currentTime")
    bob_page.wait_for_function(
        f"() => document.querySelector('#remote-video').currentTime > {first} + 0.5", timeout=TIMEOUT_MS
    )

    bob_page.get_by_label("Comment", exact=True).fill("Great stream!")
    bob_page.get_by_role("button", name="Send").click()
    expect(alice_page.locator("#comments").get_by_text("Great stream!")).to_be_visible()
    expect(bob_page.locator("#comments").get_by_text("Great stream!")).to_be_visible()
    alice_page.get_by_label("Comment", exact=True).fill("Thanks for watching")
    alice_page.get_by_role("button", name="Send").click()
    expect(
        bob_page.locator("#comments li").filter(has_text="Thanks for watching").locator(".badge-streamer")
    ).to_be_visible()
    shot(alice_page, "live-go")
    shot(bob_page, "live-watch")

    bob_page.close()
    expect(alice_page.get_by_label("Viewer count")).to_have_text("0")

    alice_page.get_by_role("button", name="End stream").click()
    expect(alice_page.get_by_role("status").filter(has_text="Ended")).to_be_visible()


def test_owner_invites_by_link_admits_from_the_lobby_and_kicks(contexts: Any, base_url: str, users: Any) -> None:
    from playwright.sync_api import expect

    alice, bob, carol = users("alice", "bob", "carol")
    room = f"room-{uuid.uuid4().hex[:8]}"
    title = f"Standup {room[-4:]}"

    # alice creates a private room with a lobby and copies its invite link
    alice_page = login(contexts(permissions=["clipboard-read", "clipboard-write"]), base_url, alice, "/rooms/")
    create_room_in_the_ui(alice_page, base_url, room, title=title)
    expect(alice_page.get_by_role("heading", name=title)).to_be_visible()
    invite_field = alice_page.get_by_label("Invite link")
    expect(invite_field).to_have_value(re.compile(re.escape(f"{base_url}/rooms/{room}/?invite=") + r"[\w-]{20,}$"))
    alice_page.get_by_role("button", name="Copy invite link").click()
    expect(alice_page.get_by_text("Invite link copied.")).to_be_visible()
    link = invite_field.input_value()
    assert alice_page.evaluate("navigator.clipboard.readText()") == link
    connect(alice_page)

    # bob follows the link: he joins without knocking, and the token leaves the address bar
    bob_page = login(contexts(), base_url, bob, "/rooms/")
    bob_page.goto(link)
    expect(bob_page.get_by_text(f"Owner: {alice.username}")).to_be_visible()
    expect(bob_page.get_by_role("status").filter(has_text="Invite accepted")).to_be_visible()
    assert "invite=" not in bob_page.url
    connect(bob_page)
    expect(alice_page.locator("#peers li.connected").filter(has_text=bob.username)).to_be_visible()
    expect(bob_page.locator("#peers li.connected").filter(has_text=alice.username)).to_be_visible()
    alice_page.get_by_label("Message to participants").fill("hello over the data channel")
    alice_page.get_by_role("button", name="Send").click()
    expect(bob_page.locator("#room-messages li").filter(has_text="hello over the data channel")).to_contain_text(
        alice.username
    )
    bob_page.get_by_label("Message to participants").fill("hi back")
    bob_page.get_by_role("button", name="Send").click()
    expect(alice_page.locator("#room-messages li").filter(has_text="hi back")).to_contain_text(bob.username)
    # the room is in bob's list now, with its live head count
    rooms_page = bob_page.context.new_page()
    rooms_page.goto(f"{base_url}/rooms/")
    expect(rooms_page.locator(f'#rooms li[data-room-id="{room}"]')).to_contain_text("2 in the room")
    shot(rooms_page, "rooms")
    rooms_page.close()

    # carol has no link: she knocks and waits
    carol_page = login(contexts(), base_url, carol, f"/rooms/{room}/")
    carol_page.get_by_role("button", name="Connect").click()
    expect(
        carol_page.get_by_role("status").filter(has_text=re.compile(r"^Waiting for .+ to let you in…$"))
    ).to_be_visible()
    expect(alice_page.locator("#peers").get_by_text(carol.username)).to_be_hidden()
    shot(carol_page, "room-lobby-waiting")

    # ... alice sees the knock live and admits her
    admit = alice_page.get_by_role("button", name=f"Admit {carol.username}")
    expect(admit).to_be_visible()
    shot(alice_page, "room-owner-lobby")
    admit.click()
    expect(carol_page.locator("#peers li.connected").filter(has_text=alice.username)).to_be_visible()
    expect(carol_page.locator("#peers li.connected").filter(has_text=bob.username)).to_be_visible()
    expect(alice_page.locator("#peers li.connected").filter(has_text=carol.username)).to_be_visible()
    expect(alice_page.get_by_role("list", name="Waiting to join").get_by_text("Nobody is waiting.")).to_be_visible()

    # ... then kicks her: she is told, and she is gone from the others' lists
    alice_page.get_by_role("button", name=f"Kick {carol.username}").click()
    expect(
        carol_page.get_by_role("status").filter(has_text="You were removed from this room by its owner.")
    ).to_be_visible()
    expect(carol_page.get_by_role("button", name="Connect")).to_be_visible()
    expect(alice_page.locator("#peers").get_by_text(carol.username)).to_be_hidden()
    expect(bob_page.locator("#peers").get_by_text(carol.username)).to_be_hidden()
    shot(carol_page, "room-kicked")
    shot(alice_page, "room-owner")

    # bob is no owner: no owner panel, no Kick buttons
    expect(bob_page.get_by_label("Invite link")).to_be_hidden()
    expect(bob_page.get_by_role("button", name=re.compile(r"^Kick "))).to_have_count(0)
    shot(bob_page, "room")

    bob_page.get_by_role("button", name="Leave").click()
    expect(alice_page.locator("#peers").get_by_text(bob.username)).to_be_hidden()


def test_a_stranger_to_a_private_room_is_told_it_does_not_exist(contexts: Any, base_url: str, users: Any) -> None:
    from playwright.sync_api import expect

    alice, mallory = users("alice", "mallory")
    room = f"room-{uuid.uuid4().hex[:8]}"
    alice_page = login(contexts(), base_url, alice, "/rooms/")
    create_room_in_the_ui(alice_page, base_url, room, title="No lobby here", lobby=False)
    for path in (f"/rooms/{room}/", "/rooms/no-such-room/"):
        page = login(contexts(), base_url, mallory, path)
        page.get_by_role("button", name="Connect").click()
        expect(
            page.get_by_role("status").filter(has_text="This room does not exist or you are not invited")
        ).to_be_visible()
        expect(page.get_by_role("button", name="Connect")).to_be_visible()
    shot(page, "room-not-found")


def test_denied_banned_and_closed_visitors_are_told_why(contexts: Any, base_url: str, users: Any) -> None:
    from playwright.sync_api import expect

    alice, bob, carol = users("alice", "bob", "carol")
    room = f"room-{uuid.uuid4().hex[:8]}"
    alice_page = login(contexts(), base_url, alice, "/rooms/")
    create_room_in_the_ui(alice_page, base_url, room, title="Closed soon")
    invite_field = alice_page.get_by_label("Invite link")
    expect(invite_field).to_have_value(re.compile(r"\?invite="))
    link = invite_field.input_value()
    connect(alice_page)

    # denied at the door
    carol_page = login(contexts(), base_url, carol, f"/rooms/{room}/")
    carol_page.get_by_role("button", name="Connect").click()
    alice_page.get_by_role("button", name=f"Deny {carol.username}").click()
    expect(carol_page.get_by_role("status").filter(has_text="The owner did not let you in.")).to_be_visible()
    expect(alice_page.get_by_role("button", name=f"Admit {carol.username}")).to_be_hidden()

    # banned from inside, and still banned when trying again with the link
    bob_page = login(contexts(), base_url, bob, "/rooms/")
    bob_page.goto(link)
    connect(bob_page)
    alice_page.get_by_role("button", name=f"Ban {bob.username}").click()
    banned = bob_page.get_by_role("status").filter(has_text="You were banned from this room by its owner.")
    expect(banned).to_be_visible()
    bob_page.goto(link)
    expect(banned).to_be_visible()
    shot(bob_page, "room-banned")

    # a new link: the old one stops working
    alice_page.get_by_role("button", name="New link").click()
    expect(alice_page.get_by_text("New link made: the old one no longer works.")).to_be_visible()
    expect(invite_field).not_to_have_value(link)
    expect(invite_field).to_have_value(re.compile(r"\?invite="))
    carol_page.goto(link)
    expect(
        carol_page.get_by_role("status").filter(has_text="This invite link is not valid (any more).")
    ).to_be_visible()
    assert "invite=" not in carol_page.url

    # carol knocks again; the owner deletes the room while she waits
    carol_page.get_by_role("button", name="Connect").click()
    expect(alice_page.get_by_role("button", name=f"Admit {carol.username}")).to_be_visible()
    alice_page.once("dialog", lambda dialog: dialog.accept())
    alice_page.get_by_role("button", name="Delete room").click()
    alice_page.wait_for_url(f"{base_url}/rooms/")
    expect(carol_page.get_by_role("status").filter(has_text="The owner closed this room.")).to_be_visible()
    expect(alice_page.locator(f'#rooms li[data-room-id="{room}"]')).to_have_count(0)
    shot(carol_page, "room-closed")


# Remembers every data channel the page opens, so a test can write to one directly
# the way a tampered client would, bypassing the page's own send code.
CAPTURE_CHANNELS_JS = """
window.__channels = [];
const create = RTCPeerConnection.prototype.createDataChannel;
RTCPeerConnection.prototype.createDataChannel = function (...args) {
  const channel = create.apply(this, args);
  window.__channels.push(channel);
  return channel;
};
"""


def test_a_forged_data_channel_name_shows_under_the_real_sender(contexts: Any, base_url: str, users: Any) -> None:
    from playwright.sync_api import expect

    alice, bob, carol = users("alice", "bob", "carol")
    room = f"room-{uuid.uuid4().hex[:8]}"
    alice_page = login(contexts(), base_url, alice, "/rooms/")
    create_room_in_the_ui(alice_page, base_url, room, title="Public chat", public=True)
    connect(alice_page)

    bob_context = contexts()
    bob_context.add_init_script(CAPTURE_CHANNELS_JS)
    bob_page = login(bob_context, base_url, bob, f"/rooms/{room}/")
    connect(bob_page)  # each side opens the (pre-negotiated) data channel
    expect(alice_page.locator("#peers li.connected").filter(has_text=bob.username)).to_be_visible()
    expect(bob_page.locator("#peers li.connected").filter(has_text=alice.username)).to_be_visible()

    forged = {
        "from": carol.username,
        "name": carol.username,
        "user": {"id": carol.pk, "username": carol.username},
        "text": "trust me, I am carol",
    }
    sent = bob_page.evaluate(
        "(msg) => window.__channels.filter((c) => c.readyState === 'open')"
        ".map((c) => c.send(JSON.stringify(msg))).length",
        forged,
    )
    assert sent == 1
    line = alice_page.locator("#room-messages li").filter(has_text="trust me, I am carol")
    expect(line.locator("strong")).to_have_text(f"{bob.username}: ")
    expect(line).not_to_contain_text(carol.username)
    shot(alice_page, "room-forged-name")


def test_bulk_button_creates_five_items_and_processing_updates_live(contexts: Any, base_url: str, users: Any) -> None:
    from playwright.sync_api import expect

    (alice,) = users("alice")
    page = login(contexts(), base_url, alice, "/items/")
    expect(page.get_by_text("No items.")).to_be_visible()
    page.get_by_role("button", name="Create 5 items (bulk)").click()
    items = page.get_by_role("list", name="Items").get_by_role("listitem")
    expect(items).to_have_count(5)
    expect(page.get_by_text("5 items shown")).to_be_visible()

    # survives a reload: they are stored
    page.reload()
    expect(items).to_have_count(5)

    # select two and change their status in one go
    page.get_by_role("checkbox", name=re.compile(r"^Select Bulk item 1 ")).check()
    page.get_by_role("checkbox", name=re.compile(r"^Select Bulk item 2 ")).check()
    page.get_by_label("Set selected to").select_option("pending")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator('.item[data-status="pending"]')).to_have_count(2)

    # "Process": the worker moves it along and the page follows live
    page.get_by_role("button", name=re.compile(r"^Process Bulk item 3 ")).click()
    expect(page.locator("li.item").filter(has_text="Bulk item 3").get_by_label("Status: processed")).to_be_visible(
        timeout=30_000
    )
    shot(page, "items")

    page.set_viewport_size({"width": 375, "height": 800})
    shot(page, "items-mobile")
    expect(page.get_by_role("button", name="Create 5 items (bulk)")).to_be_visible()


def test_editing_an_item_saves_or_cancels_in_place(contexts: Any, base_url: str, users: Any) -> None:
    from playwright.sync_api import expect

    (alice,) = users("alice")
    page = login(contexts(), base_url, alice, "/items/")
    expect(page.get_by_text("No items.")).to_be_visible()
    page.get_by_label("Title", exact=True).fill("Draft title")
    page.get_by_role("button", name="Create item").click()
    row = page.locator("li.item").filter(has_text="Draft title")
    expect(row).to_have_count(1)

    # Save: the row leaves edit mode with the new title
    page.get_by_role("button", name="Edit Draft title").click()
    page.locator("li.item.editing").get_by_label("Title").fill("Final title")
    page.locator("li.item.editing").get_by_role("button", name="Save").click()
    expect(page.locator("li.item.editing")).to_have_count(0)
    expect(page.get_by_role("checkbox", name="Select Final title")).to_be_visible()
    expect(page.get_by_text("Saved.")).to_be_visible()

    # Cancel: the row is shown again unchanged
    page.get_by_role("button", name="Edit Final title").click()
    page.locator("li.item.editing").get_by_label("Title").fill("Not kept")
    page.locator("li.item.editing").get_by_role("button", name="Cancel").click()
    expect(page.locator("li.item.editing")).to_have_count(0)
    expect(page.get_by_role("checkbox", name="Select Final title")).to_be_visible()


def test_feed_post_like_and_comment_with_a_mention(contexts: Any, base_url: str, users: Any) -> None:
    from playwright.sync_api import expect

    from accounts.models import Follow

    alice, bob = users("alice", "bob")
    Follow.objects.create(follower=alice, followee=bob)
    bob_page = login(contexts(), base_url, bob, "/")
    bob_page.get_by_label("What's happening?").fill(f"First post, hi @{alice.username}")
    bob_page.get_by_role("button", name="Post").click()
    expect(bob_page.locator(".post").filter(has_text="First post")).to_be_visible()

    alice_page = login(contexts(), base_url, alice, "/")
    post = alice_page.locator(".post").filter(has_text="First post")
    expect(post.get_by_role("link", name=f"@{alice.username}")).to_be_visible()  # mentions become profile links
    post.get_by_role("button", name=re.compile(r"^Like")).click()
    expect(post.get_by_role("button", name="Unlike (1 likes)")).to_be_visible()
    post.get_by_role("button", name=re.compile(r"comments?$")).click()
    post.get_by_label("Comment", exact=True).fill(f"Welcome @{bob.username}!")
    post.get_by_role("button", name="Comment", exact=True).click()
    expect(post.locator(".comment").filter(has_text="Welcome")).to_be_visible()
    shot(alice_page, "feed-post")

    # stored: a reload shows the like and the comment
    alice_page.reload()
    post = alice_page.locator(".post").filter(has_text="First post")
    expect(post.get_by_role("button", name="Unlike (1 likes)")).to_be_visible()
    expect(post.get_by_role("button", name="1 comment")).to_be_visible()


def test_comment_notification_arrives_live_and_clicking_it_marks_it_read_in_every_tab(
    contexts: Any, base_url: str, users: Any
) -> None:
    from playwright.sync_api import expect

    from social.models import Post

    alice, bob = users("alice", "bob")
    Post.objects.create(author=alice, text="Alice's thoughts on sockets")
    alice_context = contexts()
    tab1 = login(alice_context, base_url, alice, "/")
    tab2 = alice_context.new_page()
    tab2.goto(f"{base_url}/chat/")
    online(tab2)

    bob_page = login(contexts(), base_url, bob, f"/u/{alice.username}/")
    post = bob_page.locator(".post").filter(has_text="Alice's thoughts")
    post.get_by_role("button", name=re.compile(r"comments?$")).click()
    post.get_by_label("Comment", exact=True).fill("Nice one")
    post.get_by_role("button", name="Comment", exact=True).click()
    expect(post.locator(".comment").filter(has_text="Nice one")).to_be_visible()

    for tab in (tab1, tab2):
        expect(tab.locator("#bell-count")).to_have_text("1")
    tab1.get_by_role("button", name="Notifications (1 unread)").click()
    entry = tab1.get_by_role("region", name="Notifications list").get_by_role("button", name=re.compile(bob.username))
    expect(entry).to_be_visible()
    shot(tab1, "notifications")
    entry.click()  # marks it read (and would follow its link, if it had one)
    for tab in (tab1, tab2):
        expect(tab.locator("#bell-count")).to_be_hidden()
        expect(tab.locator("#bell-count")).to_have_attribute("data-count", "0")


def test_every_page_names_its_controls_and_fits_a_375px_screen(contexts: Any, base_url: str, users: Any) -> None:
    from playwright.sync_api import expect

    from accounts.services import follow_create
    from chat.services import conversation_get_or_create_direct
    from items.services import item_create
    from livestream.services import comment_create as live_comment_create
    from livestream.services import stream_create, stream_start
    from rtc.services import room_create
    from social.services import comment_create, post_create

    alice, bob = users("alice", "bob")

    def arrange() -> tuple[Any, Any]:
        follow_create(follower=alice, followee=bob)
        follow_create(follower=bob, followee=alice)  # a notification for alice's bell list
        post = post_create(
            author=bob, text=f"A post with a long unbroken word {'x' * 80} and a mention @{alice.username}"
        )
        comment_create(author=alice, post=post, text="A comment to reply to")
        conversation, _ = conversation_get_or_create_direct(user=alice, other=bob)
        stream = stream_create(streamer=bob, title="Bob's accessible stream")
        stream_start(stream_id=stream.pk, user=bob)
        live_comment_create(stream_id=stream.pk, author=bob, text="Welcome, everyone")
        item_create(
            owner=alice, title="An item with a fairly long title to see how it wraps on a phone", description="Details"
        )
        room_create(
            owner=alice, room_id=f"a11y-{alice.pk}", title="Alice's room with a title long enough to wrap on a phone"
        )
        connections.close_all()
        return conversation, stream

    # The services publish after commit with async_to_sync, which refuses to run in this thread
    # (Playwright keeps an event loop in it): arrange the data from a plain thread instead.
    with ThreadPoolExecutor(max_workers=1) as pool:
        conversation, stream = pool.submit(arrange).result()

    # logged out: the sign-up and log-in forms
    anonymous = contexts(viewport=DESKTOP).new_page()
    for path, name in (("/signup/", "signup"), ("/login/", "login")):
        anonymous.goto(f"{base_url}{path}")
        expect(anonymous.get_by_label("Username")).to_be_visible()
        check_both_widths(anonymous, name)

    page = login(contexts(viewport=DESKTOP), base_url, alice, "/")

    def visit(path: str) -> None:
        page.set_viewport_size(DESKTOP)
        page.goto(f"{base_url}{path}")
        online(page)

    # feed, with a post's comments (and their Reply buttons) open, then the bell's dropdown
    feed_post = page.locator(".post").filter(has_text="A post with a long")
    expect(feed_post).to_be_visible()
    feed_post.get_by_role("button", name=re.compile(r"comments?$")).click()
    expect(feed_post.get_by_role("button", name=f"Reply to {alice.username}")).to_be_visible()
    check_both_widths(page, "feed")
    page.set_viewport_size(DESKTOP)
    page.get_by_role("button", name=re.compile(r"^Notifications")).click()
    expect(
        page.get_by_role("region", name="Notifications list").get_by_role("button").filter(has_text=bob.username).first
    ).to_be_visible()
    check_both_widths(page, "feed-bell-open")

    visit(f"/u/{bob.username}/")
    expect(page.get_by_role("button", name="Unfollow")).to_be_enabled()
    expect(page.locator(".post").filter(has_text="A post with a long")).to_be_visible()
    check_both_widths(page, "profile")

    visit("/chat/")
    expect(page.get_by_role("link", name=re.compile(bob.username))).to_be_visible()
    check_both_widths(page, "chat-list")

    visit(f"/chat/{conversation.pk}/")
    expect(page.get_by_role("list", name="Members").get_by_role("link", name=bob.username)).to_be_visible()
    check_both_widths(page, "chat-conversation")

    visit("/live/")
    expect(page.get_by_role("link", name="Bob's accessible stream")).to_be_visible()
    check_both_widths(page, "live-list")

    visit("/live/go/")
    expect(page.get_by_label("Stream title")).to_be_visible()
    check_both_widths(page, "live-go")

    visit(f"/live/{stream.pk}/")
    expect(page.locator("#comments").get_by_text("Welcome, everyone")).to_be_visible()
    check_both_widths(page, "live-watch")

    visit("/rooms/")
    expect(page.get_by_label("Room id")).to_be_visible()
    check_both_widths(page, "rooms")

    visit("/rooms/a11y-room/")
    expect(page.get_by_role("button", name="Connect")).to_be_visible()
    check_both_widths(page, "room")

    # the owner's view: invite link, lobby, and (once connected) the status line
    visit(f"/rooms/a11y-{alice.pk}/")
    expect(page.get_by_label("Invite link")).to_have_value(re.compile(r"\?invite="))
    page.get_by_role("button", name="Connect").click()
    expect(page.locator("#my-peer-id")).not_to_have_text("–")
    check_both_widths(page, "room-owner")

    visit("/items/")
    expect(page.get_by_role("list", name="Items").get_by_role("listitem")).to_have_count(1)
    check_both_widths(page, "items")
    page.set_viewport_size(DESKTOP)
    page.get_by_role("button", name=re.compile(r"^Edit An item")).click()
    expect(page.get_by_role("button", name="Save")).to_be_visible()
    check_both_widths(page, "items-editing")
