"""docker-compose.yml, the Dockerfile and .dockerignore, read as a deployment would use them.

`docker-compose config` (Debian's docker-compose, no Docker engine needed) validates and
resolves the file against a `.env`, as `docker compose up` would; the rest reads the files.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

from conftest import _unavailable
from scripts.cluster import BASE_DIR, GRACEFUL_SHUTDOWN_SECONDS, free_port
from scripts.healthcheck import probe_host

APP_SERVICES = ["migrate", "web", "worker", "housekeeping"]
LONG_RUNNING = ["postgres", "web", "worker", "housekeeping", "nginx", "coturn"]


def compose_file() -> dict[str, Any]:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def compose_config(
    tmp_path: Path, dotenv: dict[str, str], shell: dict[str, str] | None = None, *args: str
) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    if binary is None:
        _unavailable("docker-compose is not installed (.ci/run: apt-get install docker-compose)")
    shutil.copy(BASE_DIR / "docker-compose.yml", tmp_path / "docker-compose.yml")
    (tmp_path / ".env").write_text("".join(f"{key}={value}\n" for key, value in dotenv.items()))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), **(shell or {})}
    return subprocess.run([binary, *args, "config"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_docker_compose_config_resolves_and_every_setting_comes_from_dotenv(tmp_path: Path) -> None:
    secret = secrets.token_urlsafe(50)
    dotenv = {
        "DJANGO_SECRET_KEY": secret,
        "LOG_LEVEL": "DEBUG",
        "THROTTLE_LOGIN": "5/min",
        "ALLOWED_HOSTS": "social.example.com",
    }
    result = compose_config(tmp_path, dotenv, {"NUM_PROXIES": "2"})
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    for name in APP_SERVICES:
        env = services[name]["environment"]
        # Not named in the compose file: reaches the containers through env_file.
        assert env["LOG_LEVEL"] == "DEBUG" and env["THROTTLE_LOGIN"] == "5/min", name
        assert env["DJANGO_SECRET_KEY"] == secret and env["ALLOWED_HOSTS"] == "social.example.com", name
        assert env["NUM_PROXIES"] == "2" and env["DEBUG"] == "false" and env["BEHIND_TLS_PROXY"] == "true", name
    assert services["coturn"]["profiles"] == ["with-turn"] and services["seed-demo"]["profiles"] == ["demo"]


def test_docker_compose_refuses_without_a_secret_but_needs_no_turn_secret_without_turn(tmp_path: Path) -> None:
    refused = compose_config(tmp_path, {"LOG_LEVEL": "INFO"})
    assert refused.returncode != 0 and "set DJANGO_SECRET_KEY" in refused.stderr
    without_turn = compose_config(tmp_path, {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50)})
    assert without_turn.returncode == 0, without_turn.stderr
    turn_secret = secrets.token_urlsafe(32)
    with_turn = compose_config(
        tmp_path,
        {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "RTC_TURN_SECRET": turn_secret},
        None,
        "--profile",
        "with-turn",
    )
    assert with_turn.returncode == 0, with_turn.stderr
    services = yaml.safe_load(with_turn.stdout)["services"]
    # One secret, one source: coturn and the app read the same .env.
    assert (
        services["coturn"]["environment"]["RTC_TURN_SECRET"]
        == services["web"]["environment"]["RTC_TURN_SECRET"]
        == turn_secret
    )
    assert turn_secret not in " ".join(services["coturn"]["command"])


def test_web_is_reached_through_nginx_only_with_tls_certificates_from_a_volume() -> None:
    services = compose_file()["services"]
    assert "ports" not in services["web"] and services["web"]["expose"] == ["8000"]
    nginx = services["nginx"]
    assert not nginx.get("profiles")  # always in front
    assert {port.rsplit(":", 1)[1] for port in nginx["ports"]} == {"80", "443"}
    assert any(volume.endswith(":/etc/nginx/certs:ro") for volume in nginx["volumes"])
    assert nginx["depends_on"]["web"]["condition"] == "service_healthy"


def _seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(s|m)", value)
    assert match, value
    return int(match.group(1)) * (60 if match.group(2) == "m" else 1)


def test_services_have_healthchecks_dependencies_and_grace_periods() -> None:
    services = compose_file()["services"]
    assert services["web"]["healthcheck"]["test"] == ["CMD", "python", "scripts/healthcheck.py"]
    worker = services["worker"]
    assert worker["healthcheck"]["test"] == ["CMD", "python", "scripts/healthcheck.py", "--worker"]
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
    for name in LONG_RUNNING:
        assert "stop_grace_period" in services[name], name
    # uvicorn closes sockets with 1012 and exits within GRACEFUL_SHUTDOWN_SECONDS: never SIGKILLed.
    assert _seconds(services["web"]["stop_grace_period"]) > GRACEFUL_SHUTDOWN_SECONDS + 5
    assert services["housekeeping"]["command"][:3] == ["python", "manage.py", "housekeeping"]


def test_dockerfile_installs_the_lock_has_a_healthcheck_and_copies_no_local_state() -> None:
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert "pip install --require-hashes --no-deps -r requirements.lock" in dockerfile
    assert re.search(r'^HEALTHCHECK .*CMD \["python", "scripts/healthcheck.py"\]$', dockerfile, re.M)
    ignored = set((BASE_DIR / ".dockerignore").read_text().split())
    assert {".venv", ".git", ".env", "db.sqlite3", "staticfiles"} <= ignored


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        ("social.example.com", "social.example.com"),
        ("*", "localhost"),
        (".example.com,other.org", "example.com"),
        ("", "localhost"),
    ],
)
def test_healthcheck_host_is_one_that_allowed_hosts_accepts(allowed: str, host: str) -> None:
    assert probe_host(allowed) == host


@pytest.mark.django_db
def test_ready_answers_the_healthcheck_host_where_a_bare_address_gets_400(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["social.example.com"]
    assert Client(HTTP_HOST="127.0.0.1:8000").get("/ready/").status_code == 400  # the old healthcheck
    assert Client(HTTP_HOST=probe_host("social.example.com")).get("/ready/").status_code == 200


def _worker_check(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'h.sqlite3'}",
    }
    return subprocess.run(
        [sys.executable, "scripts/healthcheck.py", "--worker"],
        cwd=BASE_DIR,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_worker_healthcheck_fails_when_redis_is_unreachable(redis_url: str, tmp_path: Path) -> None:
    assert _worker_check({"REDIS_URL": redis_url}, tmp_path).returncode == 0
    down = _worker_check({"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}, tmp_path)
    assert down.returncode == 1 and "worker dependency unreachable" in down.stderr


def test_with_clients_profile_starts_the_two_browser_bots(tmp_path: Path) -> None:
    result = compose_config(
        tmp_path, {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}, None, "--profile", "with-clients"
    )
    assert result.returncode == 0, result.stderr
    bots = yaml.safe_load(result.stdout)["services"]["bots"]
    assert bots["profiles"] == ["with-clients"]
    # nginx's network namespace: https://localhost is an origin the production defaults accept
    assert bots["network_mode"] == "service:nginx" and bots["environment"]["BOTS_BASE_URL"] == "https://localhost"
    assert (bots["environment"]["BOTS_HOST"], bots["environment"]["BOTS_GUEST"]) == ("alice", "bob")
    assert bots["build"]["dockerfile"] == "deploy/bots/Dockerfile"
    dockerfile = (BASE_DIR / "deploy" / "bots" / "Dockerfile").read_text()
    assert "apt-get install" in dockerfile and "chromium" in dockerfile and "playwright install" not in dockerfile
    assert "--require-hashes" in dockerfile
