"""Closing the sockets of revoked credentials, on every process.

Every socket joins `user_control_group(user)` and, when it was opened with a
session cookie, `session_control_group(session_key)` (see BaseConsumer.connect).
These functions publish, after the current transaction commits, one `error`
frame (`credentials_revoked`) with close code 4401 to such a group: each socket
that gets it sends the frame and closes, whichever process holds it.
"""

from __future__ import annotations

from realtime import closecodes
from realtime.events import error
from realtime.groups import session_control_group, user_control_group
from realtime.publish import publish

REVOKED = "credentials_revoked"


def user_sockets_close(*, user_id: int, reason: str) -> None:
    """Close every socket of the user (deactivation, password change, deletion)."""
    _close(user_control_group(user_id), reason)


def session_sockets_close(*, session_key: str, reason: str) -> None:
    """Close the sockets opened with this login session (logout)."""
    _close(session_control_group(session_key), reason)


def _close(group: str, reason: str) -> None:
    publish(group, error(REVOKED, reason), close_code=closecodes.UNAUTHENTICATED, meta={"close_reason": REVOKED})
