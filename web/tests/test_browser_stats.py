"""The staff stats page in headless Chromium: figures arrive over the personal socket and change live."""

from __future__ import annotations

import re
from typing import Any

import pytest

from web.tests.pages import login, shot

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def _number(page: Any, stat: str) -> float:
    return float(page.locator(f'[data-stat="{stat}"]').inner_text())


def test_the_stats_page_shows_cluster_figures_that_change_live(contexts: Any, base_url: str, users: Any) -> None:
    from playwright.sync_api import expect

    admin, visitor = users("admin", "visitor")
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])

    page = login(contexts(), base_url, admin, "/stats/")
    expect(page.get_by_role("heading", name="Cluster stats")).to_be_visible()
    expect(page.locator('[data-stat="sockets"]')).to_have_text(re.compile(r"^\d+$"))
    before = _number(page, "sockets")
    assert before >= 1  # at least this page's own personal socket

    # Another user opens the app: the socket count goes up without a reload.
    visitor_page = login(contexts(), base_url, visitor, "/")
    page.wait_for_function("n => Number(document.querySelector('[data-stat=\"sockets\"]').textContent) > n", arg=before)
    page.wait_for_function("() => Number(document.getElementById('chart-sockets').dataset.samples) >= 2")
    expect(page.locator("#stats-processes tr").first).to_be_visible()
    shot(page, "stats")

    # The visitor leaves: the count comes back down, live.
    during = _number(page, "sockets")
    visitor_page.context.close()
    page.wait_for_function("n => Number(document.querySelector('[data-stat=\"sockets\"]').textContent) < n", arg=during)


def test_the_stats_page_is_for_staff_only(contexts: Any, base_url: str, users: Any) -> None:
    (plain,) = users("plain")
    page = login(contexts(), base_url, plain, "/")
    response = page.goto(f"{base_url}/stats/")
    assert response is not None and response.status == 403
    assert page.get_by_role("link", name="Stats").count() == 0
