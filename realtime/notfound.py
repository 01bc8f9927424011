"""The WebSocket route of last resort: a path no app routes is a 404, not a crash.

Channels' URLRouter raises `ValueError("No route found for path ...")` for an unknown path, which
the server logs as an error and answers with a 500-ish refusal. This app is routed last
(`config/routing.py`) and answers instead:

* with HTTP 404 and a JSON body at the handshake, when the server supports the ASGI
  "websocket.http.response" extension (uvicorn, the production server);
* otherwise (daphne under `make run`, in-process test clients) by accepting and closing at once
  with 4404 (`closecodes.NOT_FOUND`), so the client can still read why.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from realtime import closecodes

logger = logging.getLogger(__name__)

NOT_FOUND_BODY = json.dumps({"detail": "No WebSocket endpoint at this path.", "code": "not_found"}).encode()


async def unknown_websocket_path(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """ASGI app answering a WebSocket handshake on an unknown path (see the module docstring)."""
    message = await receive()
    if message.get("type") != "websocket.connect":
        return
    logger.info("ws_unknown_path", extra={"path": str(scope.get("path", ""))[:200]})
    if "websocket.http.response" in (scope.get("extensions") or {}):
        await send(
            {
                "type": "websocket.http.response.start",
                "status": 404,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(NOT_FOUND_BODY))],
            }
        )
        await send({"type": "websocket.http.response.body", "body": NOT_FOUND_BODY})
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": closecodes.NOT_FOUND, "reason": "no such path"})
