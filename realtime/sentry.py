"""Optional error reporting to Sentry (SENTRY_DSN), with the redaction the logs get.

Every string of an event is passed through `realtime.logging.redact` before it leaves the
process (JWTs, `token=` query parameters, bearer subprotocols, password fields), request
bodies and cookies are never sent (`send_default_pii` off, `max_request_body_size` never),
and the request id of the log lines is attached as a tag, so a Sentry issue and its log
lines can be found from each other.
"""

from __future__ import annotations

import re
from typing import Any

from realtime.logging import redact, request_id_var, user_id_var

_SECRET_KEY = re.compile(r"(?i)password|token|secret|credential|authorization|cookie|invite|access|refresh")


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
    return _clean(event)


def _clean(value: Any) -> Any:
    """Every string through `redact`; the value of a secret-named key replaced whole."""
    if isinstance(value, dict):
        return {
            k: "[REDACTED]" if isinstance(k, str) and _SECRET_KEY.search(k) else _clean(v) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, str):
        return redact(value)
    return value


def init_sentry(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        max_request_body_size="never",
        before_send=scrub,  # type: ignore[arg-type]  # sentry types events as its TypedDict; scrub takes plain dicts
        before_send_transaction=scrub,  # type: ignore[arg-type]
    )
