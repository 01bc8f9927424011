"""The production server starts the same way everywhere: the e2e harness, `make cluster`, the
benchmarks (scripts/cluster.py) and the Docker image run one uvicorn command."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

from realtime import closecodes
from scripts.cluster import GRACEFUL_SHUTDOWN_SECONDS, LOG_CONFIG, WS_MAX_MESSAGE_BYTES, uvicorn_command

ROOT = Path(__file__).resolve().parent.parent


def _options(argv: list[str]) -> list[str]:
    """The command after `python -m uvicorn <app>`, without the bind address and log config path."""
    rest = argv[argv.index("uvicorn") + 2 :]
    out: list[str] = []
    skip = {"--host", "--port", "--forwarded-allow-ips", "--log-config"}
    it = iter(rest)
    for arg in it:
        if arg in skip:
            next(it)
            continue
        out.append(arg)
    return out


def test_dockerfile_runs_the_harness_command():
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.M).group(1))
    ours = uvicorn_command("config.asgi:application")
    assert cmd[:4] == ["python", "-m", "uvicorn", "config.asgi:application"] and ours[1:4] == cmd[1:4]
    assert _options(cmd) == _options(ours)
    assert cmd[cmd.index("--log-config") + 1] == str(LOG_CONFIG.relative_to(ROOT))


def test_server_command_choices():
    argv = uvicorn_command("config.asgi:application", port=9000)
    opts = dict(itertools.pairwise(argv))
    assert opts["--loop"] == "uvloop" and opts["--http"] == "httptools" and opts["--ws"] == "websockets-sansio"
    assert "--no-access-log" in argv and opts["--lifespan"] == "off" and "--proxy-headers" in argv
    assert int(opts["--timeout-graceful-shutdown"]) == GRACEFUL_SHUTDOWN_SECONDS < 10  # Docker's stop grace period
    assert int(opts["--ws-max-size"]) == WS_MAX_MESSAGE_BYTES == 1024 * 1024  # docs/protocol.md, close code 1009
    assert closecodes.SERVICE_RESTART == 1012 and closecodes.MESSAGE_TOO_BIG == 1009
