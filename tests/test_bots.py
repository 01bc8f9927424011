"""scripts/bots.py (`make bots`, compose --profile with-clients) against a real server: the two browser
bots meet in a room, peer to peer, and the guest watches the host's live stream."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from conftest import _unavailable
from scripts.cluster import BASE_DIR

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

PASSWORD = "bots-pass-123"


def test_bots_join_a_room_and_a_live_stream(live_db: None, cluster: Any) -> None:
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not chromium:
        _unavailable("chromium is not installed (apt-get install chromium)")
    suffix = uuid.uuid4().hex[:6]
    host, guest = (
        get_user_model().objects.create_user(username=f"{name}_{suffix}", password=PASSWORD)
        for name in ("host", "guest")
    )
    room = f"bots-{suffix}"
    done = subprocess.run(
        [
            sys.executable,
            "scripts/bots.py",
            "--base-url",
            cluster.servers[0].http_url,
            "--host",
            f"{host.username}:{PASSWORD}",
            "--guest",
            f"{guest.username}:{PASSWORD}",
            "--room",
            room,
            "--chromium",
            chromium,
            "--timeout",
            "60",
        ],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=200,
    )
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0, done.stdout + done.stderr
    assert [event["event"] for event in events] == ["logged_in", "room_connected", "stream_playing", "ok"]
    assert events[1]["room"] == room
