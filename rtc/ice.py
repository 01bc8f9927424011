"""ICE configuration for WebRTC clients, with time-limited TURN credentials.

TURN credentials follow the "TURN REST API" scheme (draft-uberti-behave-turn-rest)
that coturn implements with `use-auth-secret` / `static-auth-secret`: the server
and coturn share a secret; the server hands out

    username   = "<expiry unix time>:<user id>"
    credential = base64(HMAC-SHA1(secret, username))

coturn recomputes the HMAC and refuses a username whose expiry has passed, so a
leaked credential is only good until then and the secret itself never leaves
the server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class TurnCredentials:
    username: str
    credential: str
    expires_at: int


def turn_credentials(*, secret: str, user_id: int | str, ttl_seconds: int, now: float | None = None) -> TurnCredentials:
    """Pure function: credentials valid until `now + ttl_seconds` for `user_id`."""
    expires_at = int(now if now is not None else time.time()) + int(ttl_seconds)
    username = f"{expires_at}:{user_id}"
    digest = hmac.new(secret.encode("utf-8"), username.encode("utf-8"), hashlib.sha1).digest()
    return TurnCredentials(
        username=username, credential=base64.b64encode(digest).decode("ascii"), expires_at=expires_at
    )


def ice_configuration(*, user_id: int | str, now: float | None = None) -> dict[str, Any]:
    """The RTCConfiguration a client should use, built from settings.

    TURN entries appear only when both `RTC_TURN_URLS` and `RTC_TURN_SECRET` are
    set (TURN without credentials would fail anyway). In TURN-only mode the STUN
    entries are dropped and `iceTransportPolicy` is `relay`, so no host or
    server-reflexive address of the client is exposed to peers.
    """
    ttl = int(getattr(settings, "RTC_TURN_TTL_SECONDS", 600))
    turn_only = bool(getattr(settings, "RTC_TURN_ONLY", False))
    turn_urls = list(getattr(settings, "RTC_TURN_URLS", []) or [])
    secret = getattr(settings, "RTC_TURN_SECRET", "") or ""
    ice_servers: list[dict[str, Any]] = []
    stun_urls = list(getattr(settings, "RTC_STUN_URLS", []) or [])
    if stun_urls and not turn_only:
        ice_servers.append({"urls": stun_urls})
    if turn_urls and secret:
        creds = turn_credentials(secret=secret, user_id=user_id, ttl_seconds=ttl, now=now)
        ice_servers.append({"urls": turn_urls, "username": creds.username, "credential": creds.credential})
    return {
        "iceServers": ice_servers,
        "iceTransportPolicy": "relay" if turn_only else "all",
        "bundlePolicy": getattr(settings, "RTC_BUNDLE_POLICY", "max-bundle"),
        "rtcpMuxPolicy": getattr(settings, "RTC_RTCP_MUX_POLICY", "require"),
        "ttl": ttl,
    }
