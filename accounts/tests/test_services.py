from __future__ import annotations

import pytest

from accounts.models import Follow, User
from accounts.services import follow_create, follow_delete, user_profile_update, user_register
from accounts.signals import user_followed, user_unfollowed
from realtime.errors import InvalidInput

pytestmark = pytest.mark.django_db


def test_register_hashes_password_and_creates_plain_user() -> None:
    user = user_register(username="newbie", password="a-Long-enough-pass-42", email="n@example.com")
    user.refresh_from_db()
    assert user.check_password("a-Long-enough-pass-42")
    assert user.password != "a-Long-enough-pass-42"
    assert not user.is_staff and user.is_active


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "too short"),
        ("password123", "too common"),
        ("12345678901", "entirely numeric"),
        ("newbie-user", "too similar"),
    ],
)
def test_register_refuses_weak_passwords_with_validator_message(password: str, message: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        user_register(username="newbie-user", password=password, email="x@example.com")
    assert exc.value.field == "password"
    assert message in exc.value.message
    assert not User.objects.filter(username="newbie-user").exists()


def test_register_refuses_taken_username_case_insensitively(make_user) -> None:
    make_user("Taken")
    with pytest.raises(InvalidInput) as exc:
        user_register(username="taken", password="a-Long-enough-pass-42")
    assert exc.value.field == "username"
    assert "already exists" in exc.value.message


def test_register_refuses_reserved_me() -> None:
    with pytest.raises(InvalidInput) as exc:
        user_register(username="Me", password="a-Long-enough-pass-42")
    assert exc.value.field == "username"


def test_profile_update_changes_only_given_fields(make_user) -> None:
    user = make_user(bio="old bio")
    user_profile_update(user=user, data={"display_name": "New Name"})
    user.refresh_from_db()
    assert (user.display_name, user.bio, user.name) == ("New Name", "old bio", "New Name")


def test_profile_update_refuses_other_fields(make_user) -> None:
    user = make_user()
    with pytest.raises(InvalidInput):
        user_profile_update(user=user, data={"is_staff": True})
    user.refresh_from_db()
    assert not user.is_staff


def test_follow_create_sends_user_followed_once_inside_transaction(
    make_user, signal_log, django_capture_on_commit_callbacks
) -> None:
    a, b = make_user(), make_user()
    signal_log.listen(user_followed)
    follow, created = follow_create(follower=a, followee=b)
    again, created_again = follow_create(follower=a, followee=b)
    assert created and not created_again
    assert again.pk == follow.pk
    assert Follow.objects.filter(follower=a, followee=b).count() == 1
    calls = signal_log.of(user_followed)
    assert len(calls) == 1
    assert calls[0]["follow"] == follow and calls[0]["follower"] == a and calls[0]["followee"] == b
    assert signal_log.in_atomic(user_followed) == [True]


def test_follow_self_is_refused_with_clear_message(make_user, signal_log) -> None:
    a = make_user()
    signal_log.listen(user_followed)
    with pytest.raises(InvalidInput) as exc:
        follow_create(follower=a, followee=a)
    assert exc.value.message == "You cannot follow yourself."
    assert not Follow.objects.exists()
    assert signal_log.calls == []


def test_follow_delete_is_idempotent_and_signals_only_real_unfollow(make_user, signal_log) -> None:
    a, b = make_user(), make_user()
    follow_create(follower=a, followee=b)
    signal_log.listen(user_unfollowed)
    assert follow_delete(follower=a, followee=b) is True
    assert follow_delete(follower=a, followee=b) is False
    assert not Follow.objects.exists()
    assert [(c["follower"], c["followee"]) for c in signal_log.of(user_unfollowed)] == [(a, b)]


def test_follow_is_rolled_back_when_a_receiver_fails(make_user) -> None:
    a, b = make_user(), make_user()

    def boom(**kwargs: object) -> None:
        raise RuntimeError("receiver failed")

    user_followed.connect(boom, weak=False, dispatch_uid="t-boom")
    try:
        with pytest.raises(RuntimeError):
            follow_create(follower=a, followee=b)
    finally:
        user_followed.disconnect(dispatch_uid="t-boom")
    assert not Follow.objects.exists()
