from __future__ import annotations

import logging

import pytest

from realtime.logging import JsonFormatter, RedactSecretsFilter, redact


@pytest.mark.django_db
def test_ready_checks_database_and_channel_layer(client):
    body = client.get("/ready/").json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["channel_layer"]["ok"] is True


def test_health_needs_nothing(client):
    response = client.get("/health/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_responses_carry_request_id(client):
    response = client.get("/health/", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    assert len(client.get("/health/", HTTP_X_REQUEST_ID="bad id with spaces")["X-Request-ID"]) == 32


JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxLCJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


@pytest.mark.parametrize(
    "line",
    [
        f"GET /ws/chat/1/?token={JWT}&after=5",
        f"subprotocols ['bearer', '{JWT}']",
        'body {"username": "a", "password": "hunter22"}',
        f"Authorization: Bearer {JWT}",
    ],
)
def test_secrets_are_redacted_from_log_lines(line):
    cleaned = redact(line)
    assert JWT not in cleaned and "hunter22" not in cleaned
    assert "[REDACTED]" in cleaned


def test_formatter_outputs_one_json_line_without_token():
    record = logging.LogRecord(
        "daphne.access", logging.INFO, __file__, 1, "WSCONNECT /ws/notifications/?token=%s", (JWT,), None
    )
    RedactSecretsFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "\n" not in line and JWT not in line and '"logger": "daphne.access"' in line


def test_api_root_links_every_resource_for_the_browsable_api(client):
    body = client.get("/api/", HTTP_ACCEPT="application/json").json()
    assert body["items"].endswith("/api/items/") and body["chat_conversations"].endswith("/api/chat/conversations/")
    page = client.get("/api/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and "Api Root" in page.content.decode()
