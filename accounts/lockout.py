"""Login lockout: too many failed logins for a username (or from an address) refuse every login.

Failures are counted in the shared cache by `user_login_failed` (sent by Django's
`authenticate()` for every login path: /login/, /admin/login/, /api-auth/login/
and the JWT token endpoint). Once a username has LOGIN_LOCKOUT_ATTEMPTS failures
(or an address LOGIN_LOCKOUT_IP_ATTEMPTS) within LOGIN_LOCKOUT_WINDOW_SECONDS,
`LockoutModelBackend` refuses it, the right password included, until the window
that started with the first failure has passed. A successful login does not reset
the counter: an attacker who learns the password mid-attack gains nothing.

The forms and the token endpoint check first to say so clearly (a form error, a 429).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied

from realtime.throttles import client_ip


@dataclass(frozen=True)
class Lockout:
    scope: str  # "username" or "address"
    retry_after: int  # seconds

    @property
    def summary(self) -> str:
        what = "this account" if self.scope == "username" else "this address"
        return f"Too many failed login attempts for {what}."

    @property
    def message(self) -> str:
        return f"{self.summary} Try again in {self.retry_after} seconds."


def _username_key(username: str) -> str:
    digest = hashlib.sha256(username.casefold().encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"lockout:user:{digest}"


def _ip_key(ip: str) -> str:
    return f"lockout:ip:{ip}"


def _keys(request: Any, username: str | None) -> list[tuple[str, str, int]]:
    keys = []
    if isinstance(username, str) and username:
        keys.append(("username", _username_key(username), settings.LOGIN_LOCKOUT_ATTEMPTS))
    if request is not None:
        keys.append(("address", _ip_key(client_ip(request)), settings.LOGIN_LOCKOUT_IP_ATTEMPTS))
    return keys


def lockout_for(request: Any, username: str | None) -> Lockout | None:
    """The lockout that applies to this login attempt, if any."""
    keys = _keys(request, username)
    values = cache.get_many([f"{key}:{part}" for _, key, _ in keys for part in ("n", "start")])
    now = time.time()
    for scope, key, limit in keys:
        count = values.get(f"{key}:n") or 0
        started = values.get(f"{key}:start")
        if limit <= 0 or count < limit or started is None:
            continue
        remaining = started + settings.LOGIN_LOCKOUT_WINDOW_SECONDS - now
        if remaining > 0:
            return Lockout(scope, max(1, math.ceil(remaining)))
    return None


def record_failure(request: Any, username: str | None) -> None:
    """Count one failed login for the username and the address: a fixed window from the first
    failure, counted with atomic increments so concurrent guesses on several processes all count."""
    window = settings.LOGIN_LOCKOUT_WINDOW_SECONDS
    for _, key, _ in _keys(request, username):
        cache.add(f"{key}:start", time.time(), timeout=window)
        cache.add(f"{key}:n", 0, timeout=window)
        try:
            cache.incr(f"{key}:n")
        except ValueError:  # expired between add and incr: a new window
            cache.set(f"{key}:n", 1, timeout=window)


def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    record_failure(request, credentials.get(get_user_model().USERNAME_FIELD))


class LockoutModelBackend(ModelBackend):
    """ModelBackend that refuses locked-out usernames and addresses before checking the password."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if lockout_for(request, username) is not None:
            # Stops authenticate() for every backend; it still sends user_login_failed.
            raise PermissionDenied("login locked out")
        return super().authenticate(request, username=username, password=password, **kwargs)
