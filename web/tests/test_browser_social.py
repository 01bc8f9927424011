"""The social pages live, in headless Chromium, two people side by side (desktop and phone sizes).

The server, browser and login helpers are the ones of test_browser.py (web/tests/conftest.py and pages.py;
the `cluster` fixture: real server processes on PostgreSQL and Redis). Every main page is also screenshot
in light and dark mode at both sizes into `artifacts/screenshots/`, and axe-core (from node_modules,
`make js-deps`) runs in the page: no serious or critical violation is allowed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from conftest import _unavailable
from web.tests.pages import DESKTOP, PHONE, login, online, shot

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Any, where: str) -> list[str]:
    """Serious and critical axe-core findings on the page as it is now, one line each."""
    if not AXE.exists():
        _unavailable(f"{AXE} is missing: run `make js-deps`")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
          const r = await axe.run(document, {resultTypes: ["violations"]});
          return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
        }"""
    )
    return [f"{where}: {line}" for line in result]


def theme(page: Any, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)


def test_live_feed_banner_counts_threads_and_notification_targets(contexts: Any, base_url: str, users: Any) -> None:
    from playwright.sync_api import expect

    from accounts.models import Follow

    alice, bob = users("alice", "bob")
    Follow.objects.create(follower=alice, followee=bob)
    alice_page = login(contexts(viewport=DESKTOP), base_url, alice, "/")
    bob_page = login(contexts(viewport=PHONE, is_mobile=True, has_touch=True), base_url, bob, "/")
    expect(alice_page.get_by_text("Nothing here yet.")).to_be_visible()

    # bob posts: alice gets a banner, and the post only when she asks (nothing moves while she reads)
    bob_page.get_by_label("What's happening?").fill("Hello world")
    bob_page.get_by_role("button", name="Post").click()
    banner = alice_page.get_by_role("button", name=re.compile(r"^1 new post"))
    expect(banner).to_be_visible()
    expect(alice_page.locator(".post")).to_have_count(0)
    shot(alice_page, "live-feed-banner")
    banner.click()
    alice_post = alice_page.locator(".post").filter(has_text="Hello world")
    expect(alice_post).to_be_visible()
    expect(banner).to_be_hidden()

    # alice likes it: bob's own ♡ count follows live
    bob_post = bob_page.locator(".post").filter(has_text="Hello world")
    expect(bob_post.get_by_role("button", name="Like (0 likes)")).to_be_visible()
    alice_post.get_by_role("button", name=re.compile(r"^Like")).click()
    expect(bob_post.get_by_role("button", name="Like (1 likes)")).to_be_visible()

    # bob has his thread open; alice's comment appears in it, and both pages say "1 comment"
    bob_post.get_by_role("button", name="0 comments").click()
    alice_post.get_by_role("button", name="0 comments").click()
    alice_post.get_by_label("Comment", exact=True).fill("Nice one, Bob")
    alice_post.get_by_role("button", name="Comment", exact=True).click()
    expect(alice_post.locator(".comment").filter(has_text="Nice one, Bob")).to_be_visible()
    expect(alice_post.get_by_role("button", name="1 comment")).to_be_visible()
    expect(bob_post.locator(".comment").filter(has_text="Nice one, Bob")).to_be_visible()
    expect(bob_post.get_by_role("button", name="1 comment")).to_be_visible()

    # the comment is high priority: a toast by bob's bell, dismissable, that leads to the comment
    toast = bob_page.locator("#bell-toasts").get_by_role("alert").filter(has_text=alice.username)
    expect(toast).to_be_visible()
    expect(toast.get_by_role("button", name="Dismiss notification")).to_be_visible()
    shot(bob_page, "live-feed-toast-phone")
    assert not axe_violations(bob_page, "feed with a toast (phone)")
    toast.get_by_role("link").click()
    bob_page.wait_for_url(re.compile(r"/p/\d+/#comment-\d+$"))
    expect(bob_page.locator(".comment.highlight")).to_contain_text("Nice one, Bob")
    expect(bob_page.locator(".comment.highlight")).to_be_focused()

    # the like (low priority) is in the bell's list, names the post, and leads to it; it is read once followed
    bob_page.get_by_role("button", name=re.compile(r"^Notifications")).click()
    like = bob_page.get_by_role("region", name="Notifications list").get_by_role(
        "button", name=re.compile(rf"{alice.username} liked your post “Hello world”")
    )
    expect(like).to_be_visible()
    bob_page.keyboard.press("Escape")
    expect(bob_page.get_by_role("button", name=re.compile(r"^Notifications"))).to_be_focused()
    bob_page.get_by_role("button", name=re.compile(r"^Notifications")).click()
    like.click()
    bob_page.wait_for_url(re.compile(r"/p/\d+/$"))
    expect(bob_page.locator(".post").filter(has_text="Hello world")).to_be_visible()
    expect(bob_page.locator("#bell-count")).to_be_hidden()
    assert not axe_violations(alice_page, "feed (desktop)")


PAGES = [("feed", "/"), ("profile", "/u/{bob}/"), ("chat", "/chat/"), ("live", "/live/"), ("rooms", "/rooms/")]


def test_main_pages_in_light_and_dark_at_both_sizes_have_no_serious_axe_violations(
    contexts: Any, base_url: str, users: Any
) -> None:
    from playwright.sync_api import expect

    from accounts.models import Follow
    from items.models import Item
    from social.models import Comment, Post

    alice, bob = users("alice", "bob")
    Follow.objects.create(follower=alice, followee=bob)
    post = Post.objects.create(author=bob, text=f"A post by Bob for @{alice.username}")
    Comment.objects.create(post=post, author=alice, text="A comment by Alice")
    Item.objects.create(owner=alice, title="An item to look at")
    pages = [*PAGES, ("post", f"/p/{post.pk}/"), ("items", "/items/")]

    found: list[str] = []
    anonymous = contexts(viewport=DESKTOP).new_page()
    page = login(contexts(viewport=DESKTOP), base_url, alice, "/")
    for scheme in ("light", "dark"):
        for size_name, size in (("desktop", DESKTOP), ("phone", PHONE)):
            anonymous.set_viewport_size(size)
            theme(anonymous, scheme)
            anonymous.goto(f"{base_url}/login/")
            expect(anonymous.get_by_label("Username")).to_be_visible()
            shot(anonymous, f"theme-login-{scheme}-{size_name}")
            found += axe_violations(anonymous, f"login {scheme} {size_name}")
            page.set_viewport_size(size)
            theme(page, scheme)
            for name, path in pages:
                page.goto(base_url + path.format(bob=bob.username))
                online(page)
                expect(page.locator("main .muted").filter(has_text="Loading…")).to_have_count(0)
                shot(page, f"theme-{name}-{scheme}-{size_name}")
                found += axe_violations(page, f"{name} {scheme} {size_name}")
    assert not found, "axe-core found serious or critical violations:\n" + "\n".join(found)

    # the toggle overrides the system's scheme and is remembered across pages
    page.set_viewport_size(DESKTOP)
    theme(page, "light")
    page.goto(f"{base_url}/")
    toggle = page.get_by_role("button", name="Dark mode")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.goto(f"{base_url}/items/")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.get_by_role("button", name="Dark mode")).to_have_attribute("aria-pressed", "true")
    background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert background == "rgb(15, 17, 21)", background


def test_processing_an_item_updates_live_under_the_make_run_defaults(browser: Any, tmp_path: Path) -> None:
    """SQLite, the in-memory channel layer, no worker process: queued → processing → processed reach the page."""
    import os
    import subprocess
    import sys

    from playwright.sync_api import expect

    from scripts.cluster import BASE_DIR, Cluster

    url = f"sqlite:///{tmp_path / 'run.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "TASKS_BACKEND"}}
    env.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings", DEBUG="true")
    for command in (["migrate", "--noinput"], ["seed_demo"]):  # what `make run` does first
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, done.stdout + done.stderr
    # Long enough to see `processing` on the page.
    run_env = {"DATABASE_URL": url, "DEBUG": "true", "ITEMS_PROCESS_SECONDS": "1.5"}
    cluster = Cluster(size=1, env=run_env, server="daphne")
    saved = {
        k: os.environ.pop(k)
        for k in ("REDIS_URL", "CHANNEL_LAYER_PREFIX", "PRESENCE_PREFIX", "TASKS_BACKEND")
        if k in os.environ
    }
    try:
        cluster.start()
    finally:
        os.environ.update(saved)
    try:
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        base = cluster.servers[0].http_url
        page.goto(f"{base}/login/?next=/items/")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill(os.environ.get("DEMO_PASSWORD", "demo-pass-123"))
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base}/items/")
        online(page)
        page.get_by_label("Title", exact=True).fill("Run me under make run")
        page.get_by_role("button", name="Create item").click()
        row = page.locator("li.item").filter(has_text="Run me under make run")
        expect(row).to_have_count(1)
        # Every status the row shows, in order (the row may be re-rendered, so watch the whole page).
        page.evaluate(
            """(title) => {
                 window.seenStatuses = [];
                 new MutationObserver(() => {
                   const li = [...document.querySelectorAll("li.item")].find((n) => n.textContent.includes(title));
                   const status = li?.querySelector(".status")?.dataset.status;
                   if (status && window.seenStatuses.at(-1) !== status) window.seenStatuses.push(status);
                 }).observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
               }""",
            "Run me under make run",
        )
        row.get_by_role("button", name=re.compile(r"^Process ")).click()
        expect(row.get_by_label("Status: processed")).to_be_visible(timeout=30_000)
        statuses = page.evaluate("window.seenStatuses")
        assert statuses[-3:] == ["queued", "processing", "processed"], statuses
        shot(page, "items-make-run")
        context.close()
    finally:
        cluster.stop()


def test_staff_see_owners_edit_status_inline_and_a_phone_starts_on_the_list(
    contexts: Any, base_url: str, users: Any
) -> None:
    from playwright.sync_api import expect

    from items.models import Item

    staff, bob = users("staff", "bob")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    Item.objects.create(owner=bob, title="Bob's report")
    page = login(contexts(viewport=DESKTOP), base_url, staff, "/items/")
    row = page.locator("li.item").filter(has_text="Bob's report")
    expect(row.get_by_text(f"Owner: {bob.username}")).to_be_visible()
    row.get_by_role("button", name="Edit Bob's report").click()
    editing = page.locator("li.item.editing")
    editing.get_by_label("Status").select_option("inactive")
    editing.get_by_role("button", name="Save").click()
    expect(row.get_by_label("Status: inactive")).to_be_visible()
    assert Item.objects.get(title="Bob's report").status == "inactive"
    # the bulk actions are a group of their own, apart from the filter
    bulk = page.get_by_role("group", name="Selected items")
    expect(bulk.get_by_role("button", name="Apply to selected")).to_be_visible()

    page.set_viewport_size(PHONE)
    top = page.get_by_role("list", name="Items").bounding_box()
    assert top is not None and top["y"] < PHONE["height"], top
    shot(page, "items-staff-phone")
    assert not axe_violations(page, "items (phone)")


def test_chat_badge_and_toast_on_another_page_then_a_failed_message_is_retried_once(
    contexts: Any, base_url: str, users: Any
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from playwright.sync_api import expect

    from chat.services import conversation_get_or_create_direct

    alice, bob = users("alice", "bob")
    with ThreadPoolExecutor(max_workers=1) as pool:  # services publish with async_to_sync: not in this thread
        conversation, _ = pool.submit(conversation_get_or_create_direct, user=alice, other=bob).result()
    alice_page = login(contexts(viewport=PHONE, is_mobile=True, has_touch=True), base_url, alice, "/items/")
    bob_context = contexts(viewport=DESKTOP)
    # bob's first chat_message frame is lost on the way (a flaky network): it must fail, then go out on Retry
    dropped: list[str] = []

    def lose_first_message(ws: Any) -> None:
        server = ws.connect_to_server()

        def from_page(message: str | bytes) -> None:
            if isinstance(message, str) and '"chat_message"' in message and not dropped:
                dropped.append(message)
                return
            server.send(message)

        ws.on_message(from_page)

    bob_context.route_web_socket(re.compile(r"/ws/chat/"), lose_first_message)
    bob_page = login(bob_context, base_url, bob, f"/chat/{conversation.pk}/")
    # the header names alice once (the member link), not twice
    expect(bob_page.locator(".chat-head").get_by_text(alice.username, exact=True)).to_have_count(1)

    bob_page.get_by_label("Message", exact=True).fill("Are you there?")
    bob_page.get_by_role("button", name="Send").click()
    mine = bob_page.locator(".message.mine").filter(has_text="Are you there?")
    expect(mine.get_by_label("Sending")).to_be_visible()
    expect(mine.get_by_label("Not sent")).to_be_visible(timeout=15_000)
    shot(bob_page, "chat-failed")
    assert len(dropped) == 1
    mine.get_by_role("button", name="Retry").click()
    expect(mine.get_by_label("Sent").or_(mine.get_by_label("Delivered"))).to_be_visible()

    # alice is on another page: the Chat tab counts it, and a toast says who wrote
    chat_tab = alice_page.get_by_role("link", name="Chat (1 unread)")
    expect(chat_tab).to_be_visible()
    toast = alice_page.locator("#toasts").get_by_text(f"New message from {bob.username}: Are you there?")
    expect(toast).to_be_visible()
    shot(alice_page, "chat-badge-phone")
    chat_tab.click()
    alice_page.get_by_role("link", name=re.compile(bob.username)).first.click()
    expect(alice_page.locator(".message").filter(has_text="Are you there?")).to_have_count(1)  # stored once
    # the unread message comes after a "New messages" line
    divider = alice_page.locator(".unread-divider").filter(has_text="New messages")
    expect(divider).to_be_visible()
    assert alice_page.evaluate(
        "() => document.querySelector('.unread-divider').nextElementSibling.textContent.includes('Are you there?')"
    )
    expect(mine.get_by_label("Read")).to_be_visible()
    expect(alice_page.get_by_role("link", name="Chat", exact=True)).to_be_visible()  # read: the badge is gone
    assert not axe_violations(alice_page, "conversation with the unread line (phone)")

    # starting a chat with someone who does not exist says so in words
    bob_page.goto(f"{base_url}/chat/")
    bob_page.get_by_label("Start a chat with (username)").fill("zed_nobody")
    bob_page.get_by_role("button", name="Start chat").click()
    expect(bob_page.get_by_role("alert").filter(has_text="No user named 'zed_nobody'.")).to_be_visible()
    assert not axe_violations(bob_page, "chat list with an error (desktop)")
