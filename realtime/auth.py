"""WebSocket authentication and origin checks (wrapped around every socket route).

Auth order: a JWT if the client sent one (`?token=<access>` or the subprotocol
pair `bearer, <access>`), else the session cookie. A JWT that is present but
invalid or expired leaves the user anonymous and records why in
`scope["auth_error"]`; the consumer then closes with 4401.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlparse

from channels.auth import AuthMiddleware
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import WebsocketDenier
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken
from rest_framework_simplejwt.utils import get_md5_hash_password

logger = logging.getLogger(__name__)


def token_from_scope(scope: dict[str, Any]) -> str | None:
    protocols = scope.get("subprotocols") or []
    if len(protocols) >= 2 and protocols[0].lower() == "bearer":
        return protocols[1]
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    values = query.get("token")
    return values[0] if values else None


def user_for_access_token(raw: str) -> tuple[Any, float | None, str | None]:
    """(user, exp, error) for an access token: error is "token_expired" or "token_invalid".

    Refused like REST refuses them: an inactive or deleted user, and a token issued
    before the user's password changed (the revoke claim, SIMPLE_JWT CHECK_REVOKE_TOKEN).
    """
    if not isinstance(raw, str) or not raw or len(raw) > 4096:
        return AnonymousUser(), None, "token_invalid"
    try:
        token = AccessToken(raw)  # type: ignore[arg-type]  # simplejwt annotates the raw token as its Token class
    except TokenError as exc:
        reason = "token_expired" if "expired" in str(exc).lower() else "token_invalid"
        return AnonymousUser(), None, reason
    user_id = token.get(api_settings.USER_ID_CLAIM)
    try:
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    except (TypeError, ValueError):
        user = None
    if user is None:
        return AnonymousUser(), None, "token_invalid"
    if api_settings.CHECK_REVOKE_TOKEN and token.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(
        user.password
    ):
        return AnonymousUser(), None, "token_revoked"
    exp = token.get("exp")
    return user, float(exp) if isinstance(exp, (int, float)) else None, None


auser_for_access_token = database_sync_to_async(user_for_access_token)


class JWTOrSessionAuthMiddleware(BaseMiddleware):
    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self.session_auth = AuthMiddleware(inner)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        raw = token_from_scope(scope)
        if raw:
            scope = dict(scope)
            user, exp, error = await auser_for_access_token(raw)
            scope["user"] = user
            scope["auth_method"] = "jwt"
            # When the token expires the socket closes, unless the client sends `authenticate`.
            scope["auth_exp"] = exp
            if error:
                scope["auth_error"] = error
            return await self.inner(scope, receive, send)
        scope = dict(scope, auth_method="session")
        return await self.session_auth(scope, receive, send)


Origin = tuple[str, str, int]
DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_origin(value: str) -> Origin | None:
    """(scheme, host, port) of an http(s) origin, with the default port filled in; None if malformed."""
    try:
        parsed = urlparse(value.strip())
        port = parsed.port
    except ValueError:
        return None
    scheme = parsed.scheme.lower()
    if (
        scheme not in DEFAULT_PORTS
        or not parsed.hostname
        or parsed.path not in ("", "/")
        or parsed.query
        or parsed.username
    ):
        return None
    return scheme, parsed.hostname.lower(), port or DEFAULT_PORTS[scheme]


def configured_ws_origins() -> set[Origin]:
    """WS_ALLOWED_ORIGINS and CSRF_TRUSTED_ORIGINS, exact entries only.

    Wildcard CSRF entries (https://*.example.com) are not honoured for sockets:
    list each origin in WS_ALLOWED_ORIGINS instead.
    """
    origins = set()
    for value in [*settings.WS_ALLOWED_ORIGINS, *settings.CSRF_TRUSTED_ORIGINS]:
        origin = None if "*" in value else parse_origin(value)
        if origin is not None:
            origins.add(origin)
    return origins


def own_origin(scope: dict[str, Any]) -> Origin | None:
    """The site's origin as the handshake names it: Host header (if in ALLOWED_HOSTS) and the connection's scheme.

    Behind BEHIND_TLS_PROXY the proxy's X-Forwarded-Proto says whether the browser used TLS.
    """
    headers = dict(scope.get("headers") or [])
    host_header = headers.get(b"host", b"").decode("latin1").strip()
    if not host_header:
        return None
    domain, port = split_domain_port(host_header)
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = ["localhost", ".localhost", "127.0.0.1", "[::1]"]  # as Django's HTTP host check in DEBUG
    if not domain or not validate_host(domain, allowed):
        return None
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    if settings.BEHIND_TLS_PROXY:
        forwarded = headers.get(b"x-forwarded-proto", b"").decode("latin1").split(",")[0].strip().lower()
        if forwarded in ("https", "wss"):
            scheme = "https"
        elif forwarded in ("http", "ws"):
            scheme = "http"
    try:
        port_number = int(port) if port else DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    return scheme, domain.strip("[]"), port_number


def ws_origin_allowed(scope: dict[str, Any], origin_header: str) -> bool:
    """Exact match (scheme, host, port) with the site's own origin or a configured one; never a wildcard."""
    origin = parse_origin(origin_header)
    if origin is None:
        return False
    return origin == own_origin(scope) or origin in configured_ws_origins()


class BrowserOriginValidator:
    """Refuses sockets whose Origin is not ours.

    Browsers always send Origin on WebSocket handshakes, so a page on another
    origin (another port on the same host included) cannot ride the user's
    cookie. Clients that send no Origin are not browsers; they have no ambient
    cookie and must authenticate with a JWT. Settings are read per handshake.
    """

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        origin = dict(scope.get("headers") or []).get(b"origin")
        if origin is not None and not ws_origin_allowed(scope, origin.decode("latin1")):
            logger.warning(
                "ws_origin_rejected", extra={"origin": origin.decode("latin1")[:200], "path": scope.get("path")}
            )
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


def websocket_stack(inner: Any) -> Any:
    """Origin check, then cookies and session, then JWT-or-session auth."""
    return BrowserOriginValidator(CookieMiddleware(SessionMiddleware(JWTOrSessionAuthMiddleware(inner))))
