"""Writes of accounts: registration, profile edits, follows.

Every function is keyword-only, runs in one transaction and sends the domain
signals of `accounts.signals` inside it, so receivers (notifications) write in
the same transaction and publish after commit.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Follow, User
from accounts.signals import user_followed, user_unfollowed
from realtime.errors import InvalidInput
from realtime.revocation import user_sockets_close

# Paths under /api/users/ that are not profiles; a user with that name could never be reached.
RESERVED_USERNAMES = frozenset({"me"})

PROFILE_FIELDS = ("bio", "display_name", "email")


def _username_taken(username: str, *, exclude_id: int | None = None) -> bool:
    # Case-insensitive: @Alice and @alice must not be two people (mentions match case-insensitively).
    qs = User.objects.filter(username__iexact=username)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return qs.exists()


def user_register(*, username: str, password: str, email: str = "") -> User:
    """Create an active, non-staff user.

    Raises InvalidInput(field="username") when the name is reserved or taken
    (case-insensitively), InvalidInput(field="password") with Django's password
    validators' messages. The password is stored hashed only.
    """
    if username.lower() in RESERVED_USERNAMES:
        raise InvalidInput(f"The username '{username}' is reserved.", code="username_reserved", field="username")
    candidate = User(username=username, email=email)
    try:
        password_validation.validate_password(password, user=candidate)
    except DjangoValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), code="password_invalid", field="password")
    with transaction.atomic():
        if _username_taken(username):
            raise InvalidInput("A user with that username already exists.", code="username_taken", field="username")
        try:
            # A savepoint so a concurrent registration of the same name is a 400, not a broken transaction.
            with transaction.atomic():
                user = User.objects.create_user(username=username, email=email, password=password)
        except IntegrityError:
            raise InvalidInput("A user with that username already exists.", code="username_taken", field="username")
    return user


def user_profile_update(*, user: User, data: dict[str, Any]) -> User:
    """Change the editable profile fields (bio, display_name, email); other keys are refused."""
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown profile field: {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    if not data:
        return user
    with transaction.atomic():
        for field, value in data.items():
            setattr(user, field, value)
        user.full_clean(exclude=[f.name for f in User._meta.fields if f.name not in data])
        user.save(update_fields=list(data))
    return user


def follow_create(*, follower: User, followee: User) -> tuple[Follow, bool]:
    """Make `follower` follow `followee`; idempotent.

    Returns (follow, created). Following twice returns the existing row and
    sends nothing; `user_followed` is sent once, only when the row is new.
    Following yourself raises InvalidInput(code="follow_self").
    """
    if follower.pk == followee.pk:
        raise InvalidInput("You cannot follow yourself.", code="follow_self")
    with transaction.atomic():
        # get_or_create retries the read after an IntegrityError, so two concurrent follows make one row.
        follow, created = Follow.objects.get_or_create(follower=follower, followee=followee)
        if created:
            user_followed.send(sender=Follow, follow=follow, follower=follower, followee=followee)
    return follow, created


def follow_delete(*, follower: User, followee: User) -> bool:
    """Stop following; idempotent. Returns whether a follow existed.

    `user_unfollowed` is sent only when a row was actually deleted.
    """
    with transaction.atomic():
        deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
        if deleted:
            user_unfollowed.send(sender=Follow, follower=follower, followee=followee)
    return bool(deleted)


# --- credentials ----------------------------------------------------------------


def user_credentials_revoke(*, user: User, reason: str) -> int:
    """Revoke everything a user's old credentials opened: blacklist their outstanding refresh
    tokens and, after commit, close every socket of theirs on every process (4401).

    Called on deactivation, password change and deletion (accounts.receivers). Access tokens
    need nothing here: REST and socket auth refuse inactive users, and tokens carry a hash of the
    password hash (SIMPLE_JWT CHECK_REVOKE_TOKEN), so a new password invalidates every old token.
    Returns how many refresh tokens were blacklisted.
    """
    with transaction.atomic():
        outstanding = list(
            OutstandingToken.objects.filter(
                user_id=user.pk, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
            ).values_list("pk", flat=True)
        )
        BlacklistedToken.objects.bulk_create(
            [BlacklistedToken(token_id=pk) for pk in outstanding], ignore_conflicts=True
        )
        user_sockets_close(user_id=user.pk, reason=reason)
    return len(outstanding)


def refresh_token_revoke(*, token: str) -> None:
    """Blacklist one refresh token (logout). Raises InvalidToken for a bad, expired or already revoked token."""
    try:
        RefreshToken(token).blacklist()  # type: ignore[arg-type]  # simplejwt annotates the raw token as its Token class
    except TokenError as exc:
        raise InvalidToken(str(exc)) from exc
