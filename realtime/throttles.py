"""HTTP rate limits, counted in the shared cache so they hold across processes.

Each throttle has a scope whose rate comes from `settings.THROTTLE_RATES` at
request time (so deployments set THROTTLE_* in the environment and tests can
use override_settings). A refused request is a 429 with `Retry-After` and a body
naming the limit (`realtime.api.exception_handler`). Used by accounts, chat and social.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

# What each scope limits, for the 429 body.
DESCRIPTIONS = {
    "login": "login attempts",
    "login_username": "login attempts for this username",
    "login_lockout": "failed login attempts",
    "register": "registrations from this address",
    "refresh": "token refreshes from this address",
    "chat_message": "chat messages",
    "post_write": "new posts and comments",
}


def client_ip(request: Any) -> str:
    """The client's address, the same way for DRF and plain Django views (honours NUM_PROXIES)."""
    return BaseThrottle().get_ident(request)


class ProjectThrottle(SimpleRateThrottle):
    """A SimpleRateThrottle whose rate is read from settings.THROTTLE_RATES[rate_scope]."""

    # The rate's name in THROTTLE_RATES (several throttles may share one rate).
    rate_scope = ""

    def __init__(self) -> None:  # the base class reads the rate at init from a class attribute
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_rate(self) -> str | None:
        return settings.THROTTLE_RATES.get(self.rate_scope or self.scope or "")

    def allow_request(self, request: Any, view: Any) -> bool:
        allowed = super().allow_request(request, view)
        if not allowed:
            # Read by the exception handler to say what is limited.
            request._throttled_scope = self.scope
        return allowed


class PerIPThrottle(ProjectThrottle):
    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PerUserThrottle(ProjectThrottle):
    """Counts per authenticated user; anonymous requests (refused by permissions anyway) per IP."""

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        ident = f"u{request.user.pk}" if request.user and request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class WriteOnlyMixin:
    """Only POST requests count (reads of the same view are not limited)."""

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)  # type: ignore[misc]


class LoginIPThrottle(PerIPThrottle):
    scope = "login"


class LoginUsernameThrottle(ProjectThrottle):
    """Per username, whatever the address: a botnet guessing one account's password is slowed too."""

    scope = "login_username"
    rate_scope = "login"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        try:
            username = request.data.get("username")
        except AttributeError:
            return None
        if not isinstance(username, str) or not username:
            return None
        digest = hashlib.sha256(username.casefold().encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": digest}


class RegisterThrottle(PerIPThrottle):
    scope = "register"


class RefreshThrottle(PerIPThrottle):
    scope = "refresh"


class ChatMessageThrottle(WriteOnlyMixin, PerUserThrottle):
    scope = "chat_message"


class PostWriteThrottle(WriteOnlyMixin, PerUserThrottle):
    scope = "post_write"
