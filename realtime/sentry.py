"""Optional error reporting to Sentry (SENTRY_DSN), with the redaction the logs get.

Every event is passed through `realtime.logging.redact` as JSON before it leaves the
process (JWTs, `token=` query parameters, bearer subprotocols, password fields), request
bodies and cookies are never sent (`send_default_pii` off, `max_request_body_size` never),
and the request id of the log lines is attached as a tag, so a Sentry issue and its log
lines can be found from each other.
"""

from __future__ import annotations

import json
from typing import Any

from realtime.logging import redact, request_id_var, user_id_var


def scrub(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Sentry `before_send` / `before_send_transaction`: tag with the request id, redact secrets."""
    request_id = request_id_var.get()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    user_id = user_id_var.get()
    if user_id:
        event["user"] = {"id": str(user_id)}
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("cookies", None)
        request.pop("data", None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            for name in list(headers):
                if name.lower() in {"authorization", "cookie", "sec-websocket-protocol", "x-csrftoken"}:
                    headers[name] = "[REDACTED]"
    return json.loads(redact(json.dumps(event, default=str)))


def init_sentry(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        max_request_body_size="never",
        before_send=scrub,
        before_send_transaction=scrub,
    )
