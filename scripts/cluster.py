#!/usr/bin/env python
"""Start N real ASGI server processes (uvicorn, the production server) sharing one
database and one Redis, wait until each answers /ready/, and stop them.

Used by the test suite (see `conftest.py`: `cluster`, `cluster_factory`) and
from the shell to run the multi-process topology natively, without Docker:

    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/social \
    REDIS_URL=redis://127.0.0.1:6379/0 python scripts/cluster.py -n 2 --worker

(Without DEBUG=true the processes need a strong DJANGO_SECRET_KEY and ALLOWED_HOSTS,
as in production; `make cluster` sets DEBUG=true.)

It prints the URLs and runs until Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
LOG_CONFIG = BASE_DIR / "config" / "uvicorn_logging.json"

# On SIGTERM uvicorn stops accepting, closes every WebSocket with 1012 (the consumers'
# disconnect runs: presence is released at once) and waits this long for HTTP requests in
# flight before cancelling them. Below Docker's 10 s stop grace period, so the process
# always exits on its own rather than by SIGKILL.
GRACEFUL_SHUTDOWN_SECONDS = 5
# Hard cap on one WebSocket message, after permessage-deflate decompression: frames
# above it close with 1009 before they are buffered. 16 x WS_MAX_FRAME_BYTES, so a frame
# between the two still gets the app's readable `frame_too_large` error instead.
WS_MAX_MESSAGE_BYTES = 1024 * 1024


def uvicorn_command(
    app: str, *, host: str = "127.0.0.1", port: int = 8000, forwarded_allow_ips: str = "127.0.0.1"
) -> list[str]:
    """The production server command (the Dockerfile's CMD says the same).

    `websockets-sansio`: the `websockets` library (permessage-deflate on) through its current
    protocol implementation; uvicorn 0.54's `--ws websockets` is the legacy one, deprecated (it
    prints a plain-text warning at every start) and due to become an alias of this one.
    No lifespan (Django has none), no access log (the app's JSON "request" line replaces it).
    """
    return [
        sys.executable, "-m", "uvicorn", app,
        "--host", host, "--port", str(port),
        "--loop", "uvloop", "--http", "httptools", "--ws", "websockets-sansio",
        "--lifespan", "off", "--no-access-log", "--log-config", str(LOG_CONFIG),
        "--proxy-headers", "--forwarded-allow-ips", forwarded_allow_ips,
        "--timeout-graceful-shutdown", str(GRACEFUL_SHUTDOWN_SECONDS),
        "--ws-max-size", str(WS_MAX_MESSAGE_BYTES),
    ]  # fmt: skip


def daphne_command(app: str, *, host: str = "127.0.0.1", port: int = 8000) -> list[str]:
    """What `make run` serves (daphne: Channels' runserver server); not the production server."""
    return [sys.executable, "-m", "daphne", "-v", "0", "-b", host, "-p", str(port), app]


def free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    """A port of 127.0.0.1 that nothing listens on right now (TCP, or UDP with `socket.SOCK_DGRAM`)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process_groups(processes: list[subprocess.Popen], *, timeout: float = 10) -> None:
    """SIGTERM every process group still running, then wait for each; one still there after `timeout` s is killed."""
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


@dataclass
class Cluster:
    """N uvicorn processes (and optionally one task worker) with a shared environment."""

    size: int = 2
    app: str = "config.asgi:application"
    server: str = "uvicorn"  # or "daphne", as `make run` serves
    env: dict[str, str] = field(default_factory=dict)
    worker: bool = False
    log_dir: Path = field(default_factory=lambda: Path(os.environ.get("CLUSTER_LOG_DIR", "/tmp")))
    log_prefix: str = "cluster"
    servers: list[Server] = field(default_factory=list)
    worker_process: subprocess.Popen | None = None

    metrics_dir: str | None = None

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        env.update(self.env)
        env["PYTHONUNBUFFERED"] = "1"
        if not env.get("PROMETHEUS_MULTIPROC_DIR"):
            # Prometheus multiprocess mode: every process (worker too) writes here, /metrics on any one sums them.
            self.metrics_dir = tempfile.mkdtemp(prefix="cluster-metrics-")
            env["PROMETHEUS_MULTIPROC_DIR"] = self.metrics_dir
        return env

    def start(self, timeout: float = 60.0) -> Cluster:
        env = self._env()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for _ in range(self.size):
            port = free_port()
            log_path = self.log_dir / f"{self.log_prefix}-{os.getpid()}-{port}.log"
            log_file = log_path.open("wb")
            process = subprocess.Popen(
                uvicorn_command(self.app, port=port)
                if self.server == "uvicorn"
                else daphne_command(self.app, port=port),
                cwd=BASE_DIR,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.servers.append(Server(port=port, process=process, log_path=log_path))
        if self.worker:
            log_path = self.log_dir / f"cluster-{os.getpid()}-worker.log"
            worker = f"{shlex.quote(sys.executable)} manage.py db_worker --interval 0.2 --no-startup-delay --no-reload"
            # Supervised like `restart: unless-stopped` in docker-compose: a worker that dies is started again.
            self.worker_process = subprocess.Popen(
                ["bash", "-c", f"while true; do {worker}; sleep 0.5; done"],
                cwd=BASE_DIR,
                env=env,
                stdout=log_path.open("wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        for server in self.servers:
            self._wait_ready(server, deadline)
        return self

    def _wait_ready(self, server: Server, deadline: float) -> None:
        last_error = ""
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"server on port {server.port} exited early:\n{server.log()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{server.http_url}/ready/", timeout=2) as response:
                    if response.status == 200:
                        return
            except Exception as exc:  # not up yet
                last_error = repr(exc)
            time.sleep(0.1)
        raise RuntimeError(f"server on port {server.port} not ready ({last_error}):\n{server.log()[-4000:]}")

    def kill(self, index: int) -> None:
        """Kill one server with SIGKILL: no disconnect handlers run (a crashed process)."""
        server = self.servers[index]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)

    def terminate(self, index: int, timeout: float = GRACEFUL_SHUTDOWN_SECONDS + 5) -> int:
        """Stop one server with SIGTERM, as Docker and systemd do, and wait for it to exit.

        Sockets close with 1012 and their disconnect handlers run. Returns the exit code:
        -SIGTERM after a clean shutdown (uvicorn re-raises the signal once it has finished, so
        its parent sees how it ended). A server still running after `timeout` is killed and
        TimeoutExpired raised.
        """
        server = self.servers[index]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGTERM)
        try:
            return server.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=5)
            raise

    def stop(self) -> None:
        processes = [s.process for s in self.servers]
        if self.worker_process is not None:
            processes.append(self.worker_process)
        stop_process_groups(processes)
        if self.metrics_dir:
            shutil.rmtree(self.metrics_dir, ignore_errors=True)

    def __enter__(self) -> Cluster:
        try:
            return self.start()
        except BaseException:
            self.stop()  # a server that missed the ready timeout must not outlive the `with`
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--size", type=int, default=2)
    parser.add_argument("--worker", action="store_true", help="also start the task worker (db_worker)")
    args = parser.parse_args()
    cluster = Cluster(size=args.size, worker=args.worker).start()
    for server in cluster.servers:
        print(f"server pid={server.process.pid} {server.http_url}  log={server.log_path}")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
