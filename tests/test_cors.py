"""CORS for a separately hosted frontend: nobody by default; listed origins, API paths only; credentials opt-in."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

FRONTEND = "https://app.example.com"


def preflight(client: Client, path: str, origin: str) -> Any:
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


def test_no_origin_is_allowed_by_default(client: Client) -> None:
    response = preflight(client, "/api/items/", FRONTEND)
    assert "access-control-allow-origin" not in response.headers


@override_settings(CORS_ALLOWED_ORIGINS=[FRONTEND])
def test_listed_origin_may_call_the_api_with_a_bearer_token(client: Client, make_user: Any, token_for: Any) -> None:
    response = preflight(client, "/api/items/", FRONTEND)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert "authorization" in response.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in response.headers  # cookies stay home unless asked
    # the seeds' paths are API paths too
    assert preflight(client, "/rooms", FRONTEND).headers["access-control-allow-origin"] == FRONTEND
    assert preflight(client, "/webrtc/config", FRONTEND).headers["access-control-allow-origin"] == FRONTEND
    listed = client.get("/api/items/", HTTP_ORIGIN=FRONTEND, HTTP_AUTHORIZATION=f"Bearer {token_for(make_user())}")
    assert listed.status_code == 200 and listed.headers["access-control-allow-origin"] == FRONTEND


@override_settings(CORS_ALLOWED_ORIGINS=[FRONTEND])
@pytest.mark.parametrize(
    ("path", "origin"),
    [
        ("/api/items/", "https://evil.example.net"),
        ("/api/items/", "http://app.example.com"),  # another scheme is another origin
        ("/admin/login/", FRONTEND),  # pages and the admin never answer cross-origin
        ("/metrics", FRONTEND),
    ],
)
def test_other_origins_and_non_api_paths_get_no_cors_headers(client: Client, db: None, path: str, origin: str) -> None:
    assert "access-control-allow-origin" not in preflight(client, path, origin).headers


@override_settings(CORS_ALLOWED_ORIGINS=[FRONTEND], CORS_ALLOW_CREDENTIALS=True)
def test_credentials_are_allowed_only_when_configured(client: Client) -> None:
    response = preflight(client, "/api/items/", FRONTEND)
    assert response.headers["access-control-allow-origin"] == FRONTEND  # never "*" with credentials
    assert response.headers["access-control-allow-credentials"] == "true"
