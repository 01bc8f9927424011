"""Debian's nginx running the shipped nginx.conf, for tests.

`render_site` turns nginx.conf into a config for this machine: the upstream lists the
given server processes instead of the compose `web` service, the listen ports and the
certificate and log paths point at a temporary directory. Nothing else changes, so the
tests exercise the file operators deploy.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from scripts.cluster import BASE_DIR, free_port

UPSTREAM_LINE = "server web:8000 resolve max_fails=3 fail_timeout=10s;"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def self_signed_certificate(directory: Path) -> Path:
    """fullchain.pem + privkey.pem for localhost / 127.0.0.1 in `directory` (the nginx certs volume layout)."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(directory / "privkey.pem"), "-out", str(directory / "fullchain.pem"), "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return directory / "fullchain.pem"


def render_site(workdir: Path, upstreams: list[str], http_port: int, https_port: int) -> str:
    text = (BASE_DIR / "nginx.conf").read_text()
    assert text.count(UPSTREAM_LINE) == 1 and text.count("listen 80;") == 1 and text.count("listen 443 ssl;") == 1
    servers = "\n    ".join(f"server {address} max_fails=3 fail_timeout=10s;" for address in upstreams)
    text = text.replace(UPSTREAM_LINE, servers)
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http_port};").replace(
        "listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;"
    )
    text = text.replace("/etc/nginx/certs/", f"{workdir}/certs/").replace("/var/log/nginx/", f"{workdir}/")
    return text.replace("/var/www/certbot", f"{workdir}/acme")


@dataclass
class Nginx:
    workdir: Path
    upstreams: list[str]
    binary: str
    http_port: int = field(default_factory=free_port)
    https_port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def cafile(self) -> Path:
        return self.workdir / "certs" / "fullchain.pem"

    @property
    def access_log(self) -> Path:
        return self.workdir / "access.log"

    def args(self) -> list[str]:
        return [
            self.binary,
            "-p",
            f"{self.workdir}/",
            "-e",
            f"{self.workdir}/error.log",
            "-c",
            f"{self.workdir}/nginx.conf",
        ]

    def write_config(self) -> None:
        self_signed_certificate(self.workdir / "certs")
        (self.workdir / "site.conf").write_text(
            render_site(self.workdir, self.upstreams, self.http_port, self.https_port)
        )
        temp = "\n".join(
            f"    {name}_temp_path {self.workdir}/{name}_temp;"
            for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        # As root, workers would drop to www-data and could not use the private temp directory.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (self.workdir / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {self.workdir}/nginx.pid;\nevents {{}}\n"
            f"http {{\n{temp}\n    include {self.workdir}/site.conf;\n}}\n"
        )

    def test_config(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.args(), "-t"], capture_output=True, text=True, timeout=30)

    def dump_config(self) -> str:
        return subprocess.run([*self.args(), "-T"], capture_output=True, text=True, timeout=30).stdout

    def start(self, timeout: float = 15.0) -> Nginx:
        self.write_config()
        self.process = subprocess.Popen(
            [*self.args(), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    "nginx exited: "
                    f"{self.process.stderr.read().decode(errors='replace') if self.process.stderr else ''}"
                )
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.https_port), timeout=0.5):
                return self
            time.sleep(0.05)
        raise RuntimeError("nginx did not start listening")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGQUIT)  # graceful: the access log is complete
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)

    def log_lines(self, path_prefix: str) -> list[str]:
        text = self.access_log.read_text() if self.access_log.exists() else ""
        return [line for line in text.splitlines() if re.search(rf'"[A-Z]+ {re.escape(path_prefix)}', line)]
