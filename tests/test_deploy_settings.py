"""Deployment defaults: what a production process refuses, and what it turns on.

Settings are read once per process, so each case runs Django in a subprocess with
an environment built here from nothing (no DJANGO_SECRET_KEY or DEBUG leaking in
from the test session). The shipped files (docker-compose.yml, Dockerfile,
nginx.conf) are checked as text.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

from scripts.cluster import BASE_DIR

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
STRONG = secrets.token_urlsafe(50)
PRODUCTION = {"DJANGO_SECRET_KEY": STRONG, "ALLOWED_HOSTS": "social.example.com", "BEHIND_TLS_PROXY": "true"}


def run_django(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        **env,
    }
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=120)


def settings_of(names: list[str], env: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {names!r}}}, default=str))"
    )
    result = run_django(["-c", code], env, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the secret key ---------------------------------------------------------------

BAD_SECRETS = {
    "missing": None,
    "empty": "",
    "short": "x7$Kq2!vLp9#",
    "compose placeholder": "change-me-in-production",
    "example placeholder": "change-me",
    "dockerfile placeholder": "build-only",
    "dev key": "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz",
    "startproject key": "django-insecure-" + "k" * 20 + secrets.token_urlsafe(40),
}


@pytest.mark.parametrize("secret", BAD_SECRETS.values(), ids=BAD_SECRETS.keys())
def test_manage_py_refuses_to_start_outside_debug_without_a_strong_secret(secret: str | None, tmp_path: Path) -> None:
    env = {"ALLOWED_HOSTS": "social.example.com"}
    if secret is not None:
        env["DJANGO_SECRET_KEY"] = secret
    result = run_django(["manage.py", "check"], env, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr


def test_asgi_application_refuses_without_a_secret_and_loads_with_a_strong_one(tmp_path: Path) -> None:
    refused = run_django(["-c", "import config.asgi"], {"ALLOWED_HOSTS": "social.example.com"}, tmp_path)
    assert refused.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in refused.stderr
    started = run_django(["-c", "import config.asgi; print(config.asgi.application)"], PRODUCTION, tmp_path)
    assert started.returncode == 0, started.stderr
    assert "ProtocolTypeRouter" in started.stdout
    assert run_django(["manage.py", "check"], PRODUCTION, tmp_path).returncode == 0


def test_debug_is_off_when_the_environment_is_silent_and_on_only_when_asked(tmp_path: Path) -> None:
    names = ["DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"]
    assert settings_of(names, {"DJANGO_SECRET_KEY": STRONG}, tmp_path) == dict.fromkeys(
        ["DEBUG"], False
    ) | dict.fromkeys(names[1:], True)
    # `make run` sets DEBUG=true and needs no secret.
    assert settings_of(names, {"DEBUG": "true"}, tmp_path) == dict.fromkeys(names[:1], True) | dict.fromkeys(
        names[1:], False
    )


def test_jwt_signing_key_follows_jwt_signing_key_and_defaults_to_the_secret(tmp_path: Path) -> None:
    jwt_key = secrets.token_urlsafe(50)
    own = settings_of(["SIMPLE_JWT"], {**PRODUCTION, "JWT_SIGNING_KEY": jwt_key}, tmp_path)
    assert own["SIMPLE_JWT"]["SIGNING_KEY"] == jwt_key
    default = settings_of(["SIMPLE_JWT"], PRODUCTION, tmp_path)
    assert default["SIMPLE_JWT"]["SIGNING_KEY"] == STRONG
    weak = run_django(["manage.py", "check"], {**PRODUCTION, "JWT_SIGNING_KEY": "change-me"}, tmp_path)
    assert weak.returncode != 0 and "ImproperlyConfigured: JWT_SIGNING_KEY" in weak.stderr


def test_wildcard_websocket_origin_is_refused_at_start(tmp_path: Path) -> None:
    result = run_django(["manage.py", "check"], {**PRODUCTION, "WS_ALLOWED_ORIGINS": "*"}, tmp_path)
    assert result.returncode != 0 and "WS_ALLOWED_ORIGINS" in result.stderr


# --- HTTPS and the deploy checklist -------------------------------------------------


def test_check_deploy_is_clean_in_a_production_environment(tmp_path: Path) -> None:
    result = run_django(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    values = settings_of(
        [
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            "SECURE_PROXY_SSL_HEADER",
            "X_FRAME_OPTIONS",
        ],
        PRODUCTION,
        tmp_path,
    )
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000 and values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["X_FRAME_OPTIONS"] == "DENY"


@pytest.mark.django_db
def test_ssl_redirect_spares_the_probes(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["social.example.com"]
    client = Client(HTTP_HOST="social.example.com")
    login = client.get("/login/")
    assert login.status_code == 301 and login["Location"] == "https://social.example.com/login/"
    assert client.get("/health/").status_code == 200
    assert client.get("/ready/").status_code != 301
    secure = client.get("/health/", secure=True)
    assert secure["Strict-Transport-Security"].startswith(f"max-age={settings.SECURE_HSTS_SECONDS}")


# --- shipped deployment files ------------------------------------------------------


def compose() -> dict[str, Any]:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def test_compose_has_no_default_secret() -> None:
    text = (BASE_DIR / "docker-compose.yml").read_text()
    assert compose()["x-app"]["environment"]["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")
    assert re.findall(r"\$\{DJANGO_SECRET_KEY[^}]*\}", text) == ["${DJANGO_SECRET_KEY:?set DJANGO_SECRET_KEY}"]
    assert "change-me" not in text and "DEBUG: ${DEBUG:-false}" in text
    for service in compose()["services"].values():
        env = service.get("environment") or {}
        secret = env.get("DJANGO_SECRET_KEY") if isinstance(env, dict) else None
        assert secret is None or secret.startswith("${DJANGO_SECRET_KEY:?")


def test_compose_migrate_only_migrates_and_demo_data_is_opt_in() -> None:
    services = compose()["services"]
    assert "seed_demo" not in " ".join(services["migrate"]["command"])
    seeding = [name for name, service in services.items() if "seed_demo" in " ".join(service.get("command") or [])]
    assert seeding, "the demo profile must still be able to seed"
    for name in seeding:
        assert services[name].get("profiles") == ["demo"], name
    for name, service in services.items():
        if not service.get("profiles"):
            assert not set(service.get("depends_on") or {}) & set(seeding), name


def test_dockerfile_collectstatic_runs_with_a_throwaway_secret(tmp_path: Path) -> None:
    line = next(line for line in (BASE_DIR / "Dockerfile").read_text().splitlines() if "collectstatic" in line)
    command = line.removeprefix("RUN ").replace("python ", f"{shlex.quote(sys.executable)} ") + " --dry-run"
    assert "build-only" not in command and "DEBUG=false" in command
    result = subprocess.run(
        ["sh", "-c", command],
        cwd=BASE_DIR,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'build.sqlite3'}",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


NGINX_FORBIDDEN = re.compile(r"\$(request|request_uri|args|query_string|is_args|arg_\w+|http_referer)\b")


def nginx_text() -> str:
    return (BASE_DIR / "nginx.conf").read_text()


def test_nginx_access_log_never_holds_the_query_string() -> None:
    text = nginx_text()
    formats = dict(re.findall(r"log_format\s+(\w+)\s+(.*?);", text, flags=re.S))
    access_logs = re.findall(r"^\s*access_log\s+([^;]*);", text, flags=re.M)
    assert access_logs, "without access_log nginx uses the `combined` format, which logs $request"
    for directive in access_logs:
        parts = directive.split()
        assert parts[0] == "off" or (len(parts) >= 2 and parts[1] in formats), directive
    for name, fmt in formats.items():
        assert "$uri" in fmt and "$request_id" in fmt, name
        assert not NGINX_FORBIDDEN.search(fmt), (name, NGINX_FORBIDDEN.search(fmt))


def test_nginx_passes_the_host_with_its_port_for_origin_checks() -> None:
    hosts = re.findall(r"proxy_set_header\s+Host\s+(\S+);", nginx_text())
    assert hosts and set(hosts) == {"$http_host"}


def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    from tests.nginx import Nginx, nginx_binary

    binary = nginx_binary()
    if binary is None:
        if IN_CI:
            pytest.fail("nginx is not installed (.ci/run installs nginx-light)", pytrace=False)
        pytest.skip("nginx is not installed")
    # The upstream name only resolves inside compose; ports, certificates and logs move to tmp_path.
    nginx = Nginx(workdir=tmp_path, upstreams=["127.0.0.1:8000"], binary=binary)
    nginx.write_config()
    tested = nginx.test_config()
    assert tested.returncode == 0, tested.stderr
    dumped = nginx.dump_config()
    assert len(re.findall(r"access_log\s+\S+\s+social_access;", dumped)) == 2  # both servers, the redirecting one too
    assert re.search(r"return 301 https://\$host\$request_uri;", dumped)
    assert re.search(r"ssl_protocols TLSv1\.2 TLSv1\.3;", dumped)


# --- ICE / TURN: seed 004's variable names, and no silently dropped TURN entry -------------------


def test_seed_webrtc_variables_are_aliases_and_fixed_turn_credentials_are_served(tmp_path: Path) -> None:
    seed_env = {  # 004_a18be2df4adc6a41.txt, "Configuration"
        "WEBRTC_STUN_URLS": "stun:stun.l.google.com:19302,stun:stun1.l.google.com:19302",
        "WEBRTC_TURN_URLS": "turn:turn.example.com:3478",
        "WEBRTC_TURN_USERNAME": "username",
        "WEBRTC_TURN_CREDENTIAL": "password",
        "WEBRTC_ICE_TRANSPORT_POLICY": "all",
        "WEBRTC_BUNDLE_POLICY": "balanced",
        "WEBRTC_RTCP_MUX_POLICY": "require",
        "WEBRTC_MAX_PARTICIPANTS_PER_ROOM": "50",
    }
    code = (
        "import json, django; django.setup(); from rtc.ice import ice_configuration; "
        "print(json.dumps(ice_configuration(user_id=1)))"
    )
    result = run_django(["-c", code], {**PRODUCTION, **seed_env}, tmp_path)
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout.strip().splitlines()[-1])
    assert config["iceServers"] == [
        {"urls": ["stun:stun.l.google.com:19302", "stun:stun1.l.google.com:19302"]},
        {"urls": ["turn:turn.example.com:3478"], "username": "username", "credential": "password"},
    ]
    assert (config["iceTransportPolicy"], config["bundlePolicy"]) == ("all", "balanced")


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"RTC_TURN_URLS": "turn:t.example.org:3478"}, "RTC_TURN_URLS is set without credentials"),
        ({"WEBRTC_TURN_URLS": "turn:t.example.org", "WEBRTC_TURN_USERNAME": "u"}, "go together"),
        ({"RTC_TURN_URLS": "turn:a", "WEBRTC_TURN_URLS": "turn:b"}, "alias WEBRTC_TURN_URLS"),
        ({"WEBRTC_ICE_TRANSPORT_POLICY": "relay"}, "needs a TURN server"),
    ],
)
def test_ice_misconfiguration_is_an_error_at_start(env: dict[str, str], complaint: str, tmp_path: Path) -> None:
    result = run_django(["manage.py", "check"], {**PRODUCTION, **env}, tmp_path)
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr and complaint in result.stderr


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"CORS_ALLOWED_ORIGINS": "*"}, "CORS_ALLOWED_ORIGINS entries must be exact origins"),
        ({"CORS_ALLOWED_ORIGINS": "https://app.example.com/"}, "no path"),
        ({"CORS_ALLOW_CREDENTIALS": "true"}, "needs CORS_ALLOWED_ORIGINS"),
        ({"CORS_ALLOWED_ORIGINS": "http://app.example.com", "CORS_ALLOW_CREDENTIALS": "true"}, "https://"),
    ],
)
def test_cors_misconfiguration_is_an_error_at_start(env: dict[str, str], complaint: str, tmp_path: Path) -> None:
    result = run_django(["manage.py", "check"], {**PRODUCTION, **env}, tmp_path)
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr and complaint in result.stderr


def test_cors_origins_with_credentials_are_trusted_for_csrf(tmp_path: Path) -> None:
    env = {**PRODUCTION, "CORS_ALLOWED_ORIGINS": "https://app.example.com", "CORS_ALLOW_CREDENTIALS": "true"}
    assert settings_of(["CSRF_TRUSTED_ORIGINS"], env, tmp_path)["CSRF_TRUSTED_ORIGINS"] == ["https://app.example.com"]
