"""Where revocation hooks into Django, so no path around it exists (connected in AccountsConfig.ready).

- A user saved inactive (admin form, admin action, shell) or with a new password
  (set_password + save: the password change views, `changepassword`, the admin form):
  `services.user_credentials_revoke`. `QuerySet.update(is_active=False)` sends no signal:
  use the service (or save()) for that.
- A user deleted: their sockets close (their tokens went with the row).
- Logout (`user_logged_out`): the sockets of that session close.
- Failed logins count towards the lockout (`user_login_failed`).
"""

from __future__ import annotations

from typing import Any

from accounts import lockout, services
from realtime.revocation import session_sockets_close, user_sockets_close


def on_user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created or kwargs.get("raw"):
        return
    # AbstractBaseUser keeps the new raw password in _password until save() has finished.
    if not instance.is_active:
        services.user_credentials_revoke(user=instance, reason="The account was deactivated.")
    elif getattr(instance, "_password", None) is not None:
        services.user_credentials_revoke(user=instance, reason="The password was changed.")


def on_user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    user_sockets_close(user_id=instance.pk, reason="The account was deleted.")


def on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        session_sockets_close(session_key=session.session_key, reason="Logged out.")


def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    lockout.on_login_failed(sender, credentials, request=request)
