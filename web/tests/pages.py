"""What the browser tests do on a page: log in, wait for the sockets, screenshot, check names and widths.

Shared by web/tests/test_browser*.py (their fixtures are in web/tests/conftest.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings

from conftest import PASSWORD

SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
TIMEOUT_MS = 20_000


def login(context: Any, base_url: str, user: Any, next_path: str = "/") -> Any:
    page = context.new_page()
    page.goto(f"{base_url}/login/?next={next_path}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(re.escape(base_url + next_path) + r"$"))
    online(page)
    return page


def online(page: Any) -> None:
    """The top bar's connection indicator says the sockets are up."""
    from playwright.sync_api import expect

    expect(page.locator("#conn-state")).to_have_attribute("data-state", "online", timeout=TIMEOUT_MS)


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def create_room_in_the_ui(
    page: Any, base_url: str, room: str, *, title: str, public: bool = False, lobby: bool = True
) -> None:
    """The owner fills the rooms page's form and lands on the new room's page."""
    page.get_by_label("Room id").fill(room)
    page.get_by_label("Title").fill(title)
    page.get_by_role("checkbox", name="Public room").set_checked(public)
    page.get_by_role("checkbox", name="Ask to join (lobby)").set_checked(lobby)
    page.get_by_role("button", name="Create room").click()
    page.wait_for_url(f"{base_url}/rooms/{room}/")


def connect(page: Any) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Connect").click()
    expect(page.locator("#my-peer-id")).not_to_have_text("–")


# Computes each visible form control's accessible name the way assistive technology does,
# in the order that matters for our markup: aria-labelledby, aria-label, <label for>/wrapping
# <label>, a button's own text (or an input button's value), then title. Placeholders do not
# count: they vanish as soon as someone types.
ACCESSIBLE_NAMES_JS = """
() => {
  const text = (node) => (node.textContent || "").replace(/\\s+/g, " ").trim();
  const visible = (node) => {
    const box = node.getBoundingClientRect();
    const style = getComputedStyle(node);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden" && style.display !== "none";
  };
  const nameOf = (node) => {
    const ids = (node.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean);
    const byIds = ids.map((id) => document.getElementById(id)).filter(Boolean).map(text).join(" ").trim();
    if (byIds) return byIds;
    const aria = (node.getAttribute("aria-label") || "").trim();
    if (aria) return aria;
    const labels = Array.from(node.labels || []).map(text).join(" ").trim();
    if (labels) return labels;
    if (node.tagName === "BUTTON" && text(node)) return text(node);
    if (node.tagName === "INPUT" && ["submit", "button", "reset"].includes(node.type) && node.value.trim())
      return node.value.trim();
    return (node.getAttribute("title") || "").trim();
  };
  return Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea, button"))
    .filter(visible)
    .map((node) => ({ name: nameOf(node), control: node.outerHTML.slice(0, 200) }));
}
"""
# Content wider than the window scrolls sideways; a control or an open panel pushed past the LEFT
# edge does not (scrollWidth ignores negative overflow) but is just as cut off, so check both.
OVERFLOW_JS = """
() => {
  const width = window.innerWidth;
  const outside = Array.from(document.querySelectorAll("input, select, textarea, button, [role=region], [role=dialog]"))
    .filter((node) => {
      const box = node.getBoundingClientRect();
      // sr-only labels and hidden parts are 1 px or less: nothing a person sees
      return box.width > 1 && box.height > 1 && getComputedStyle(node).visibility !== "hidden"
        && (box.left < -1 || box.right > width + 1);
    })
    .map((node) => node.outerHTML.slice(0, 120));
  return { scroll: document.documentElement.scrollWidth, viewport: width, outside };
}
"""
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}


def assert_controls_are_named(page: Any, where: str) -> int:
    controls = page.evaluate(ACCESSIBLE_NAMES_JS)
    unnamed = [c["control"] for c in controls if not c["name"]]
    assert not unnamed, f"{where}: form controls without an accessible name:\n" + "\n".join(unnamed)
    return len(controls)


def assert_fits_the_phone(page: Any, where: str) -> None:
    size = page.evaluate(OVERFLOW_JS)
    assert not size["outside"], f"{where}: cut off at the window's edge:\n" + "\n".join(size["outside"])
    assert size["scroll"] <= size["viewport"] + 1, (
        f"{where}: {size['scroll']} px wide content scrolls sideways in a {size['viewport']} px window"
    )


def check_both_widths(page: Any, name: str) -> None:
    """Named controls on the desktop and on a phone; no sideways scrolling on the phone."""
    page.set_viewport_size(DESKTOP)
    named = assert_controls_are_named(page, f"{name} at 1280 px")
    shot(page, f"a11y-{name}-desktop")
    page.set_viewport_size(PHONE)
    assert_controls_are_named(page, f"{name} at 375 px")
    assert_fits_the_phone(page, f"{name} at 375 px")
    shot(page, f"a11y-{name}-phone")
    assert named > 0, f"{name}: no form control found, the page did not render"
