"""HTTP rate limits (realtime.throttles) and the login lockout (accounts.lockout)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from conftest import PASSWORD

pytestmark = [pytest.mark.django_db]

RATES = {
    "login": "1000/min",
    "register": "1000/h",
    "refresh": "1000/min",
    "chat_message": "1000/min",
    "post_write": "1000/min",
}


def rates(**low: str) -> dict[str, str]:
    return {**RATES, **low}


def assert_throttled(response: Any, limited: str) -> None:
    assert response.status_code == 429, response.content
    assert int(response["Retry-After"]) >= 1
    body = response.json()
    assert body["code"] == "throttled" and body["limited"] == limited
    assert body["retry_after"] == int(response["Retry-After"])
    assert f"Retry in {body['retry_after']} seconds." in body["detail"]


@override_settings(LOGIN_LOCKOUT_ATTEMPTS=10, THROTTLE_RATES=rates())
def test_25_wrong_passwords_then_the_right_one_is_refused(api_client, make_user):
    user = make_user()
    for _ in range(25):
        response = api_client.post("/api/auth/token/", {"username": user.username, "password": "wrong-password"})
        assert response.status_code in (401, 429)
    response = api_client.post("/api/auth/token/", {"username": user.username, "password": PASSWORD})
    assert_throttled(response, "login_lockout")
    assert "Too many failed login attempts for this account." in response.json()["detail"]
    assert "access" not in response.json()


@override_settings(LOGIN_LOCKOUT_ATTEMPTS=3, THROTTLE_RATES=rates())
def test_lockout_is_per_username_other_accounts_still_log_in(api_client, make_user):
    victim, other = make_user(), make_user()
    for _ in range(3):
        assert (
            api_client.post("/api/auth/token/", {"username": victim.username, "password": "nope-nope"}).status_code
            == 401
        )
    assert api_client.post("/api/auth/token/", {"username": victim.username, "password": PASSWORD}).status_code == 429
    assert api_client.post("/api/auth/token/", {"username": other.username, "password": PASSWORD}).status_code == 200


@override_settings(LOGIN_LOCKOUT_ATTEMPTS=1000, LOGIN_LOCKOUT_IP_ATTEMPTS=4, THROTTLE_RATES=rates())
def test_lockout_per_address_covers_many_usernames(api_client, make_user):
    users = [make_user() for _ in range(5)]
    for u in users[:4]:
        assert api_client.post("/api/auth/token/", {"username": u.username, "password": "nope-nope"}).status_code == 401
    response = api_client.post("/api/auth/token/", {"username": users[4].username, "password": PASSWORD})
    assert_throttled(response, "login_lockout")


@override_settings(THROTTLE_RATES=rates(login="3/min"), LOGIN_LOCKOUT_ATTEMPTS=1000)
def test_token_endpoint_is_throttled_per_username_across_addresses(api_client, make_user):
    user = make_user()
    for i in range(3):
        api_client.post(
            "/api/auth/token/", {"username": user.username, "password": "nope"}, REMOTE_ADDR=f"10.0.0.{i + 1}"
        )
    response = api_client.post(
        "/api/auth/token/", {"username": user.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.99"
    )
    assert_throttled(response, "login_username")


@override_settings(THROTTLE_RATES=rates(register="3/h"))
def test_registrations_beyond_the_rate_get_429_with_retry_after(api_client):
    for i in range(3):
        assert (
            api_client.post(
                "/api/auth/register/", {"username": f"new{i}", "password": "a-long-passphrase-1"}
            ).status_code
            == 201
        )
    response = api_client.post("/api/auth/register/", {"username": "new9", "password": "a-long-passphrase-1"})
    assert_throttled(response, "register")
    assert "registrations" in response.json()["detail"]
    # another address is not affected
    assert (
        api_client.post(
            "/api/auth/register/", {"username": "new10", "password": "a-long-passphrase-1"}, REMOTE_ADDR="10.1.1.1"
        ).status_code
        == 201
    )


@override_settings(THROTTLE_RATES=rates(refresh="2/min"))
def test_token_refresh_is_throttled(api_client, make_user):
    from rest_framework_simplejwt.tokens import RefreshToken

    user = make_user()
    refresh = str(RefreshToken.for_user(user))
    for _ in range(2):
        response = api_client.post("/api/auth/token/refresh/", {"refresh": refresh})
        assert response.status_code == 200
        refresh = response.json()["refresh"]
    assert_throttled(api_client.post("/api/auth/token/refresh/", {"refresh": refresh}), "refresh")


@override_settings(THROTTLE_RATES=rates(chat_message="5/min"))
def test_chat_message_posts_beyond_the_rate_get_429_and_reads_are_not_limited(auth_client, make_user):
    from chat.models import Message
    from chat.services import conversation_get_or_create_direct

    a, b = make_user(), make_user()
    conversation, _ = conversation_get_or_create_direct(user=a, other=b)
    client = auth_client(a)
    url = f"/api/chat/conversations/{conversation.pk}/messages/"
    for i in range(5):
        assert client.post(url, {"text": f"m{i}", "client_id": f"c{i}"}).status_code == 201
    assert_throttled(client.post(url, {"text": "too many", "client_id": "c99"}), "chat_message")
    assert Message.objects.filter(conversation=conversation).count() == 5
    assert client.get(url).status_code == 200
    # per user: the other member still writes
    assert auth_client(b).post(url, {"text": "hi", "client_id": "b1"}).status_code == 201


@override_settings(THROTTLE_RATES=rates(post_write="3/min"))
def test_posts_and_comments_share_a_write_budget_likes_are_free(auth_client, make_user):
    client = auth_client(make_user())
    post_id = client.post("/api/posts/", {"text": "one"}).json()["id"]
    assert client.post("/api/posts/", {"text": "two"}).status_code == 201
    assert client.post(f"/api/posts/{post_id}/comments/", {"text": "c"}).status_code == 201
    assert_throttled(client.post(f"/api/posts/{post_id}/comments/", {"text": "c2"}), "post_write")
    assert_throttled(client.post("/api/posts/", {"text": "three"}), "post_write")
    assert client.post(f"/api/posts/{post_id}/like/").status_code in (200, 201)
    assert client.get(f"/api/posts/{post_id}/comments/").status_code == 200


@override_settings(LOGIN_LOCKOUT_ATTEMPTS=5)
def test_session_login_is_locked_out_with_a_clear_message(client, make_user):
    user = make_user()
    for _ in range(5):
        response = client.post("/login/", {"username": user.username, "password": "wrong-password"})
        assert response.status_code == 200
        assert "didn't match" in response.content.decode()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200  # the form again, not a redirect into the app
    assert "Too many failed login attempts for this account" in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(LOGIN_LOCKOUT_ATTEMPTS=5)
def test_admin_login_is_locked_out(client, make_user):
    admin = make_user(is_staff=True, is_superuser=True)
    for _ in range(5):
        client.post("/admin/login/?next=/admin/", {"username": admin.username, "password": "wrong-password"})
    response = client.post("/admin/login/?next=/admin/", {"username": admin.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed login attempts for this account" in response.content.decode()
    assert client.get("/admin/").status_code == 302


@override_settings(LOGIN_LOCKOUT_ATTEMPTS=3)
def test_failures_on_one_login_path_lock_the_others(client, api_client, make_user):
    user = make_user()
    for _ in range(3):
        client.post("/login/", {"username": user.username, "password": "wrong-password"})
    assert api_client.post("/api/auth/token/", {"username": user.username, "password": PASSWORD}).status_code == 429
    assert not client.login(username=user.username, password=PASSWORD)


def test_lockout_ends_when_the_window_passes(api_client, make_user, monkeypatch):
    import time

    user = make_user()
    with override_settings(LOGIN_LOCKOUT_ATTEMPTS=2, LOGIN_LOCKOUT_WINDOW_SECONDS=60, THROTTLE_RATES=rates()):
        for _ in range(2):
            api_client.post("/api/auth/token/", {"username": user.username, "password": "nope-nope"})
        assert api_client.post("/api/auth/token/", {"username": user.username, "password": PASSWORD}).status_code == 429
        now = time.time()
        monkeypatch.setattr(time, "time", lambda: now + 61)
        assert api_client.post("/api/auth/token/", {"username": user.username, "password": PASSWORD}).status_code == 200


def test_fail_open_cache_answers_like_a_miss_when_redis_is_down():
    from realtime.cache import FailOpenRedisCache

    cache = FailOpenRedisCache(
        "redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}
    )
    assert cache.get("k") is None and cache.get("k", 5) == 5
    assert cache.get_many(["a", "b"]) == {}
    cache.set("k", 1)
    assert cache.add("k", 1) is False
    assert cache.incr("k") == 1
