"""ICE configuration for WebRTC clients, with time-limited TURN credentials.

TURN credentials follow the "TURN REST API" scheme (draft-uberti-behave-turn-rest)
that coturn implements with `use-auth-secret` / `static-auth-secret`: the server
and coturn share a secret; the server hands out

    username   = "<expiry unix time>:<user id>"
    credential = base64(HMAC-SHA1(secret, username))

coturn recomputes the HMAC and refuses a username whose expiry has passed, so a
leaked credential is only good until then and the secret itself never leaves
the server.

Beside it, **fixed credentials** (`RTC_TURN_USERNAME` / `RTC_TURN_CREDENTIAL`, seed 004's
`WEBRTC_TURN_USERNAME` / `WEBRTC_TURN_CREDENTIAL`) for a TURN service that hands out one long-lived
login (a managed TURN provider): they go to `RTC_TURN_STATIC_URLS`, or to `RTC_TURN_URLS` when no
secret is set. `turn_settings_problem` refuses, at start, every combination that would silently
drop a TURN entry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

TURN_SCHEMES = ("turn:", "turns:")
STUN_SCHEMES = ("stun:", "stuns:")


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

    A TURN entry has time-limited credentials (`RTC_TURN_URLS` + `RTC_TURN_SECRET`) or fixed ones
    (`RTC_TURN_USERNAME` / `RTC_TURN_CREDENTIAL`); settings that would leave a TURN URL without
    credentials are refused at start (`turn_settings_problem`). In TURN-only mode the STUN
    entries are dropped and `iceTransportPolicy` is `relay`, so no host or
    server-reflexive address of the client is exposed to peers.
    """
    ttl = int(getattr(settings, "RTC_TURN_TTL_SECONDS", 600))
    username = getattr(settings, "RTC_TURN_USERNAME", "") or ""
    password = getattr(settings, "RTC_TURN_CREDENTIAL", "") or ""
    static_urls = list(getattr(settings, "RTC_TURN_STATIC_URLS", []) or [])
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
    fixed_urls = static_urls or (turn_urls if not secret else [])
    if fixed_urls and username and password:
        ice_servers.append({"urls": fixed_urls, "username": username, "credential": password})
    return {
        "iceServers": ice_servers,
        "iceTransportPolicy": "relay" if turn_only else "all",
        "bundlePolicy": getattr(settings, "RTC_BUNDLE_POLICY", "max-bundle"),
        "rtcpMuxPolicy": getattr(settings, "RTC_RTCP_MUX_POLICY", "require"),
        "ttl": ttl,
    }


def turn_settings_problem(
    *,
    stun_urls: list[str],
    turn_urls: list[str],
    secret: str,
    username: str,
    credential: str,
    static_urls: list[str],
    turn_only: bool,
) -> str | None:
    """What is wrong with the ICE settings (config/settings.py raises ImproperlyConfigured), or None.

    Each case would otherwise drop a TURN entry without a word, and calls behind NAT would fail.
    """
    for name, urls, schemes in (
        ("RTC_STUN_URLS", stun_urls, STUN_SCHEMES),
        ("RTC_TURN_URLS", turn_urls, TURN_SCHEMES),
        ("RTC_TURN_STATIC_URLS", static_urls, TURN_SCHEMES),
    ):
        wrong = [url for url in urls if not url.startswith(schemes)]
        if wrong:
            return f"{name} entries must start with {' or '.join(schemes)}: {', '.join(wrong)}"
    if bool(username) != bool(credential):
        return "RTC_TURN_USERNAME and RTC_TURN_CREDENTIAL go together: set both or neither"
    fixed = bool(username)
    if static_urls and not fixed:
        return "RTC_TURN_STATIC_URLS needs RTC_TURN_USERNAME and RTC_TURN_CREDENTIAL"
    if fixed and secret and not static_urls:
        return (
            "RTC_TURN_SECRET and fixed credentials (RTC_TURN_USERNAME/RTC_TURN_CREDENTIAL) are both set: "
            "say which TURN URLs take the fixed ones with RTC_TURN_STATIC_URLS"
        )
    if fixed and not (static_urls or turn_urls):
        return "RTC_TURN_USERNAME/RTC_TURN_CREDENTIAL are set but no TURN URL is (RTC_TURN_URLS)"
    if turn_urls and not (secret or fixed):
        return (
            "RTC_TURN_URLS is set without credentials: set RTC_TURN_SECRET, "
            "or RTC_TURN_USERNAME and RTC_TURN_CREDENTIAL"
        )
    if secret and not turn_urls:
        return "RTC_TURN_SECRET is set but RTC_TURN_URLS is empty"
    if turn_only and not (turn_urls or static_urls):
        return "RTC_TURN_ONLY (relay only) needs a TURN server: set RTC_TURN_URLS"
    return None
