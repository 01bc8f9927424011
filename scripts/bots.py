"""Two headless browser bots for demos and smoke tests (`make bots`, compose `--profile with-clients`).

They replace the seeds' Selenium/VNC pair (seed 002, "Clientes simulados") with Playwright driving
Debian's chromium, with fake camera and microphone:

* the **host** logs in, makes sure the public room `--room` exists, connects to it, and goes live;
* the **guest** logs in, connects to the same room, and watches the host's stream.

They use the web UI like people do (login form, the room page's Connect, the go-live and watch pages).
The run succeeds once the two are connected peer to peer in the room and the guest's video of the
stream is playing; with `--stay` they then stay until stopped (demo), else they leave (smoke test).
Exit status: 0 on success, 1 if a step did not happen within `--timeout` seconds.

    python scripts/bots.py --base-url http://127.0.0.1:8000 --host alice:demo-pass-123 --guest bob:demo-pass-123
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpx

CHROMIUM_ARGS = [
    "--no-sandbox",  # containers run without the user namespaces chromium's sandbox needs
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-pass-123")


@dataclass(frozen=True)
class Account:
    username: str
    password: str

    @classmethod
    def parse(cls, value: str) -> Account:
        username, _, password = value.partition(":")
        return cls(username, password or DEMO_PASSWORD)


def log(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, "t": round(time.monotonic(), 2), **fields}), flush=True)


async def ensure_room(base_url: str, owner: Account, room: str, *, insecure: bool, wait_seconds: float) -> None:
    """The public room the bots meet in (created by the host over the API if it does not exist).

    Waits up to `wait_seconds` for the server and the host's account (compose starts the bots with the
    server, the demo users come a little later)."""
    deadline = time.monotonic() + wait_seconds
    async with httpx.AsyncClient(base_url=base_url, timeout=20, verify=not insecure) as http:
        while True:
            try:
                token = await http.post(
                    "/api/auth/token/", json={"username": owner.username, "password": owner.password}
                )
                if token.status_code == 200:
                    break
                problem = f"{token.status_code} {token.text[:200]}"
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if time.monotonic() > deadline:
                raise RuntimeError(f"cannot log in as {owner.username}: {problem}")
            log("waiting_for_server", problem=problem)
            await asyncio.sleep(2)
        auth = {"Authorization": f"Bearer {token.json()['access']}"}
        if (await http.get(f"/api/rtc/rooms/{room}/", headers=auth)).status_code == 200:
            return
        made = await http.post(
            "/api/rtc/rooms/",
            headers=auth,
            json={"room_id": room, "title": "Bots' room", "visibility": "public", "lobby_enabled": False},
        )
        if made.status_code not in (200, 201):
            raise RuntimeError(f"cannot create room {room}: {made.status_code} {made.text[:200]}")


async def login(context: Any, base_url: str, account: Account, next_path: str) -> Any:
    page = await context.new_page()
    await page.goto(f"{base_url}/login/?next={next_path}")
    await page.get_by_label("Username").fill(account.username)
    await page.get_by_label("Password").fill(account.password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(re.compile(re.escape(base_url + next_path) + r"$"))
    return page


async def join_room(page: Any, base_url: str, room: str, other: str) -> None:
    await page.goto(f"{base_url}/rooms/{room}/")
    await page.get_by_role("button", name="Connect").click()
    # Connected peer to peer with the other bot (the page marks the peer once its data channel is open).
    await page.locator("#peers li.connected").filter(has_text=other).wait_for()


async def run(args: argparse.Namespace) -> int:
    from playwright.async_api import async_playwright

    host, guest = Account.parse(args.host), Account.parse(args.guest)
    base = args.base_url.rstrip("/")
    executable = args.chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        log("failed", step="start", error="chromium not found (apt-get install chromium, or --chromium)")
        return 1
    try:
        await ensure_room(base, host, args.room, insecure=args.insecure, wait_seconds=args.timeout)
    except RuntimeError as exc:
        log("failed", step="room", error=str(exc))
        return 1
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        step = "login"
        try:
            host_context = await browser.new_context(ignore_https_errors=args.insecure)
            guest_context = await browser.new_context(ignore_https_errors=args.insecure)
            for context in (host_context, guest_context):
                context.set_default_timeout(args.timeout * 1000)
            host_page = await login(host_context, base, host, "/rooms/")
            guest_page = await login(guest_context, base, guest, "/rooms/")
            log("logged_in", host=host.username, guest=guest.username)

            step = "room"
            await asyncio.gather(
                join_room(host_page, base, args.room, guest.username),
                join_room(guest_page, base, args.room, host.username),
            )
            log("room_connected", room=args.room)

            step = "live"
            studio = await host_context.new_page()
            await studio.goto(f"{base}/live/go/")
            title = f"Bots live {int(time.time())}"
            await studio.get_by_label("Stream title").fill(title)
            await studio.get_by_role("button", name="Start streaming").click()
            await studio.get_by_role("status").filter(has_text="LIVE").wait_for()
            viewer = await guest_context.new_page()
            await viewer.goto(f"{base}/live/")
            await viewer.get_by_role("link", name=title).click()
            await viewer.wait_for_function(
                "() => { const v = document.querySelector('#remote-video'); return v && v.currentTime > 0.5; }"
            )
            log("stream_playing", title=title, url=viewer.url)
            log("ok")
            if args.stay:
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(sig, stop.set)
                await stop.wait()
            await studio.get_by_role("button", name="End stream").click()
            return 0
        except Exception as exc:  # a step that did not happen in time: say which, exit 1
            log("failed", step=step, error=f"{type(exc).__name__}: {str(exc)[:300]}")
            return 1
        finally:
            await browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default=os.environ.get("BOTS_BASE_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--host", default=os.environ.get("BOTS_HOST", "alice"), help="username[:password]")
    parser.add_argument("--guest", default=os.environ.get("BOTS_GUEST", "bob"), help="username[:password]")
    parser.add_argument("--room", default=os.environ.get("BOTS_ROOM", "bots"))
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH"))
    parser.add_argument("--timeout", type=float, default=float(os.environ.get("BOTS_TIMEOUT", "60")))
    parser.add_argument(
        "--insecure",
        action="store_true",
        default=os.environ.get("BOTS_INSECURE", "") == "true",
        help="accept any TLS certificate",
    )
    parser.add_argument("--stay", action="store_true", default=os.environ.get("BOTS_STAY", "") == "true")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
