"""Fixtures of the browser tests (web/tests/test_browser*.py): Chromium, its contexts, users, the server.

Chromium comes from Debian (`chromium`), never from `playwright install`; when it is
missing the tests skip on a developer machine and fail in CI.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from conftest import PASSWORD, _unavailable
from web.tests.pages import TIMEOUT_MS

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    # Host ICE candidates as plain loopback addresses instead of mDNS names: the test
    # machine has no mDNS resolver, and the peers run in the same browser anyway.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is in the dev requirements
        _unavailable("the playwright package is not installed")
    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        _unavailable("chromium is not installed (apt-get install chromium)")
    # Playwright's sync API keeps an event loop running in this thread (it drives it with
    # greenlets), so Django's async-safety guard would refuse the ORM calls of the test and
    # of live_db's teardown. Nothing runs concurrently here; Playwright's docs give the same advice.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            from playwright.sync_api import expect

            expect.set_options(timeout=TIMEOUT_MS)  # servers share 2 CPUs with other test runs
            instance = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def base_url(live_db: None, cluster: Any) -> str:
    return cluster.servers[0].http_url


@pytest.fixture
def users(live_db: None) -> Any:
    def make(*names: str) -> list[Any]:
        suffix = uuid.uuid4().hex[:6]
        return [
            get_user_model().objects.create_user(
                username=f"{name}_{suffix}", password=PASSWORD, email=f"{name}_{suffix}@example.com"
            )
            for name in names
        ]

    return make


@pytest.fixture
def contexts(browser: Any) -> Iterator[Any]:
    opened: list[Any] = []

    def new(**options: Any) -> Any:
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        opened.append(context)
        return context

    yield new
    for context in opened:
        context.close()
