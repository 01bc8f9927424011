"""Who is on a socket: authentication at connect (4401), re-authentication, token expiry."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from realtime import closecodes, heartbeat
from realtime.auth import auser_for_access_token
from realtime.events import Authenticated

logger = logging.getLogger("realtime")


class AuthMixin:
    """Needs from the consumer: `scope`, `user`, `closed`, `send_error`, `send_event`, `close_with`,
    `accept_if_present`."""

    def start_auth(self) -> None:
        self.user = self.scope.get("user")
        # The JWT's exp (epoch seconds); None for session sockets. `reauthenticate` moves it.
        self.auth_exp: float | None = self.scope.get("auth_exp")

    def subprotocol(self) -> str | None:
        protocols = [p.lower() for p in self.scope.get("subprotocols") or []]
        # Answer "bearer" only: the token, if sent as a subprotocol, is never echoed.
        return "bearer" if "bearer" in protocols else None

    async def refuse_unauthenticated(self) -> bool:
        """Accept and close 4401 an anonymous socket (so the client can read why); True if refused."""
        if self.user is not None and self.user.is_authenticated:
            return False
        reason = self.scope.get("auth_error") or "authentication required"
        if await self.accept_if_present():
            await self.send_error("unauthenticated", f"Authentication failed: {reason}.")
            await self.close_with(closecodes.UNAUTHENTICATED, reason)
        return True

    def watch_expiry(self) -> None:
        """Close with 4401 once the token has expired (the process's one expiry timer, realtime.heartbeat)."""
        if self.auth_exp is not None:
            heartbeat.expire_at(self, self.auth_exp)

    async def reauthenticate(self, data: dict[str, Any]) -> None:
        """`authenticate {token}`: a fresh access token of the same user extends a JWT socket's life.

        A bad or expired token is an error frame (the socket keeps its current expiry); a
        token of another user closes the socket with 4401: a socket never changes hands.
        """
        raw = data.get("token")
        if not isinstance(raw, str) or not raw or len(raw) > 4096:
            await self.send_error(
                "invalid",
                "token: a JWT access token string is required.",
                type="authenticate",
                errors={"token": ["This field is required."]},
            )
            return
        user, exp, error = await auser_for_access_token(raw)
        if error:
            await self.send_error(
                error, "The token is not valid: the socket keeps its current expiry.", type="authenticate"
            )
            return
        if user.pk != self.user.pk:
            await self.send_error("user_mismatch", "The token belongs to another user; closing.", type="authenticate")
            await self.close_with(closecodes.UNAUTHENTICATED, "user mismatch")
            return
        if self.auth_exp is not None and exp is not None:
            self.auth_exp = max(self.auth_exp, exp)
        await self.send_event(Authenticated(user_id=self.user.pk, expires_at=_iso(self.auth_exp)))

    async def expire_now(self) -> None:
        """The token expired (and no `authenticate` moved it): tell the client and close 4401."""
        await self.send_error(
            "token_expired", "The access token expired; reconnect or send authenticate with a fresh token."
        )
        await self.close_with(closecodes.UNAUTHENTICATED, "token expired")


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=UTC).isoformat().replace("+00:00", "Z")
