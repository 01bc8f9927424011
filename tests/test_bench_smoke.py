"""The benchmarks still run end to end (tiny sizes, figures not checked against targets).

Each script runs as the README shows it, in a subprocess, on a database of its own next to the
test database (created and migrated by the script) and the session's Redis, and must write its
JSON report with the structure the README tables are read from.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench_env(server_env: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    env["DATABASE_URL"] = server_env["DATABASE_URL"] + "_bench"
    env["REDIS_URL"] = server_env["REDIS_URL"]
    env["DJANGO_SECRET_KEY"] = ""  # the script draws one for itself and its servers
    return env


def run_bench(module: str, args: list[str], env: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / f"{module}.json"
    proc = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *args, "--output", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text())


def test_chat_fanout_sweeps_every_path(bench_env: dict[str, str], tmp_path: Path) -> None:
    report = run_bench(
        "chat_fanout",
        ["--rooms", "2", "--members", "3", "--duration", "0.5", "--drain", "3", "--max-points", "1", "--refine", "0",
         "--layers", "pubsub", "--start", "2"],
        bench_env,
        tmp_path,
    )  # fmt: skip
    paths = {row["path"] for row in report["summary"]}
    assert paths == {"raw", "tutorial/pubsub", "chat/pubsub", "chat-read/pubsub"}
    for point in report["points"]:
        assert point["connections"] == 6 and point["sent"] > 0, point
        assert point["received"] == point["expected"], point  # 4 msg/s on an idle path: all delivered
    read = next(p for p in report["points"] if p["path"] == "chat-read")
    assert read["receipts_sent"] == read["sent"] * 2 and read["receipt_frames"] > 0


def test_idle_memory_measures_every_path(bench_env: dict[str, str], tmp_path: Path) -> None:
    report = run_bench(
        "idle_memory",
        ["--sockets", "20", "--warm", "10", "--settle", "0.2", "--layers", "pubsub", "--compression-modes", "deflate"],
        bench_env,
        tmp_path,
    )
    rows = {row["path"]: row for row in report["results"]}
    assert set(rows) == {"raw", "tutorial/pubsub", "chat/pubsub"}
    for row in rows.values():
        assert row["sockets"] == 20 and row["failed"] == 0 and row["received_first_msg"] == 20, row
        assert row["rss_idle_mb"] > 0 and row["compression"] == "deflate"


def test_connect_storm_resumes_every_dropped_socket(bench_env: dict[str, str], tmp_path: Path) -> None:
    report = run_bench("connect_storm", ["--sockets", "40", "--clients", "2", "--wait", "20"], bench_env, tmp_path)[
        "result"
    ]
    assert report["opened"] == 40 and report["failed_connects"] == 0 and report["missing_first_message"] == 0
    assert report["dropped"] == report["storm_reconnected"] == 8 and report["storm_failed"] == 0
    assert report["lost"] == 0 and report["duplicates"] == 0 and report["storm_p99_ms"] > 0


def test_deflate_compares_wire_bytes_with_and_without(bench_env: dict[str, str], tmp_path: Path) -> None:
    rows = run_bench(
        "deflate", ["--rooms", "2", "--members", "3", "--duration", "1", "--rate", "2"], bench_env, tmp_path
    )["results"]
    by_mode = {row["compression"]: row for row in rows}
    assert set(by_mode) == {"none", "deflate"} and all(row["delivery_ratio"] == 1.0 for row in rows)
    # JSON chat frames compress: fewer bytes on the wire than the text they carry, and fewer than without.
    assert by_mode["none"]["wire_over_payload"] > 1.0 > by_mode["deflate"]["wire_over_payload"]
