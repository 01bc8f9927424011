"""The production server's own log lines (uvicorn) are JSON and redacted like the app's."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from django.conf import settings

from realtime.logging import ContextFilter, JsonFormatter, RedactSecretsFilter

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjo0Mn0.c2lnbmF0dXJlLXNlY3JldC1wYXJ0"
UVICORN_LOG_CONFIG = Path(settings.BASE_DIR) / "config" / "uvicorn_logging.json"


def _line(record: logging.LogRecord) -> str:
    ContextFilter().filter(record)
    RedactSecretsFilter().filter(record)
    return JsonFormatter().format(record)


def test_uvicorn_handshake_line_is_valid_json_without_the_token():
    # uvicorn.error logs every handshake with its query string, the path between quotes
    for token in (JWT, "not-a-jwt-0123456789abcdef"):
        record = logging.LogRecord(
            "uvicorn.error",
            logging.INFO,
            __file__,
            1,
            '%s - "WebSocket %s" [accepted]',
            ("127.0.0.1:5000", f"/ws/notifications/?token={token}&after=3"),
            None,
        )
        record.color_message = '%s - "WebSocket %s" \x1b[32m[accepted]\x1b[0m'
        record.websocket = object()
        line = _line(record)
        payload = json.loads(line)
        assert token not in line and token[-12:] not in line
        assert payload["event"].startswith('127.0.0.1:5000 - "WebSocket /ws/notifications/?token=[REDACTED]')
        assert payload["event"].endswith('" [accepted]')
        assert "color_message" not in payload and "websocket" not in payload


def test_escaped_quotes_after_a_secret_keep_the_line_valid_json():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, 'GET "/?token=%s" then "/?access=abc"', ("opaque-value",), None
    )
    line = JsonFormatter().format(record)  # no filter: the formatter's own pass must not break the JSON
    assert "opaque-value" not in line and "abc" not in json.loads(line)["event"]


def test_uvicorn_log_config_matches_settings_logging():
    """uvicorn applies config/uvicorn_logging.json before Django loads, settings.LOGGING after: same handler."""
    early = json.loads(UVICORN_LOG_CONFIG.read_text())
    for section in ("filters", "formatters", "handlers"):
        assert early[section] == settings.LOGGING[section], section
    assert early["root"]["handlers"] == settings.LOGGING["root"]["handlers"]
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        assert early["loggers"][name] == settings.LOGGING["loggers"][name], name
    # no access log: it would print query strings in plain text; the app's "request" line replaces it
    assert settings.LOGGING["loggers"]["uvicorn.access"] == {"handlers": [], "propagate": False}
