from __future__ import annotations

import pytest

from accounts.models import Follow, User
from accounts.services import follow_create
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


# --- registration and tokens ---------------------------------------------------


def test_register_returns_user_without_password(api_client) -> None:
    response = api_client.post(
        "/api/auth/register/", {"username": "dora", "password": "explorer-Map-2024", "email": "d@example.com"}
    )
    assert response.status_code == 201, response.data
    assert response.data["username"] == "dora"
    assert response.data["email"] == "d@example.com"
    assert "password" not in response.data
    assert "explorer" not in response.content.decode()
    assert User.objects.get(username="dora").check_password("explorer-Map-2024")


def test_register_weak_password_is_400_naming_the_field(api_client) -> None:
    response = api_client.post("/api/auth/register/", {"username": "dora", "password": "123"})
    assert response.status_code == 400
    assert "password" in response.data["errors"]
    assert response.data["detail"].startswith("password:")
    assert "too short" in response.data["detail"]


@pytest.mark.parametrize("username", ["me", "ME"])
def test_register_refuses_the_reserved_username(api_client, username) -> None:
    response = api_client.post("/api/auth/register/", {"username": username, "password": "explorer-Map-2024"})
    assert response.status_code == 400
    assert response.data["errors"] == {"username": [f"The username '{username}' is reserved."]}
    assert not User.objects.filter(username__iexact="me").exists()


def test_register_missing_and_invalid_fields_are_named(api_client) -> None:
    response = api_client.post("/api/auth/register/", {"username": "bad name!", "email": "not-an-email"})
    assert response.status_code == 400
    assert set(response.data["errors"]) == {"username", "password", "email"}


def test_register_duplicate_username_is_400(api_client, make_user) -> None:
    make_user("dora")
    response = api_client.post("/api/auth/register/", {"username": "DORA", "password": "explorer-Map-2024"})
    assert response.status_code == 400
    assert response.data["errors"] == {"username": ["A user with that username already exists."]}


def test_token_pair_and_refresh_authenticate_requests(api_client, make_user) -> None:
    user = make_user()
    tokens = api_client.post("/api/auth/token/", {"username": user.username, "password": PASSWORD})
    assert tokens.status_code == 200
    assert set(tokens.data) == {"access", "refresh"}
    refreshed = api_client.post("/api/auth/token/refresh/", {"refresh": tokens.data["refresh"]})
    assert refreshed.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.data['access']}")
    me = api_client.get("/api/users/me/")
    assert me.status_code == 200
    assert me.data["username"] == user.username


def test_token_with_wrong_password_is_401(api_client, make_user) -> None:
    user = make_user()
    assert api_client.post("/api/auth/token/", {"username": user.username, "password": "wrong"}).status_code == 401


# --- authentication required -----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/users/"),
        ("get", "/api/users/me/"),
        ("patch", "/api/users/me/"),
        ("get", "/api/users/someone/"),
        ("post", "/api/users/someone/follow/"),
        ("delete", "/api/users/someone/follow/"),
        ("get", "/api/users/someone/followers/"),
        ("get", "/api/users/someone/following/"),
    ],
)
def test_user_endpoints_require_authentication(api_client, method: str, url: str) -> None:
    response = getattr(api_client, method)(url)
    assert response.status_code == 401
    assert response.data["code"] == "not_authenticated"


# --- users and profiles ------------------------------------------------------------


def test_profile_shows_counts_and_is_following(auth_client, make_user) -> None:
    alice, bob = make_user("alice_p"), make_user("bob_p")
    follow_create(follower=bob, followee=alice)
    response = auth_client(bob).get("/api/users/alice_p/")
    assert response.status_code == 200
    assert response.data["followers_count"] == 1
    assert response.data["following_count"] == 0
    assert response.data["posts_count"] == 0
    assert response.data["is_following"] is True
    assert "email" not in response.data


def test_unknown_user_is_404(auth_client, make_user) -> None:
    client = auth_client(make_user())
    assert client.get("/api/users/nobody/").status_code == 404
    assert client.get("/api/users/nobody/followers/").status_code == 404
    assert client.post("/api/users/nobody/follow/").status_code == 404
    assert client.get("/api/users/a%00b/").status_code == 404
    assert client.post("/api/users/a%00b/follow/").status_code == 404


def test_me_patch_updates_profile_and_ignores_nothing_silently(auth_client, make_user) -> None:
    user = make_user()
    client = auth_client(user)
    response = client.patch("/api/users/me/", {"display_name": "Neo", "bio": "The one"})
    assert response.status_code == 200
    assert response.data["name"] == "Neo"
    assert response.data["bio"] == "The one"
    assert response.data["email"] == user.email
    user.refresh_from_db()
    assert user.display_name == "Neo"


def test_me_patch_invalid_email_names_field(auth_client, make_user) -> None:
    response = auth_client(make_user()).patch("/api/users/me/", {"email": "nope"})
    assert response.status_code == 400
    assert "email" in response.data["errors"]


def test_me_patch_cannot_make_yourself_staff(auth_client, make_user) -> None:
    user = make_user()
    auth_client(user).patch("/api/users/me/", {"is_staff": True, "username": "hijack"})
    user.refresh_from_db()
    assert not user.is_staff and user.username != "hijack"


def test_user_list_is_paginated_and_searchable(auth_client, make_user) -> None:
    viewer = make_user("viewer")
    for n in range(5):
        make_user(f"pagi{n}")
    client = auth_client(viewer)
    page = client.get("/api/users/", {"search": "pagi", "limit": 2})
    assert page.status_code == 200
    assert page.data["count"] == 5
    assert [u["username"] for u in page.data["results"]] == ["pagi0", "pagi1"]
    assert page.data["next"] is not None
    last = client.get("/api/users/", {"search": "pagi", "limit": 2, "offset": 4})
    assert [u["username"] for u in last.data["results"]] == ["pagi4"]


def test_huge_limit_and_offset_are_not_server_errors(auth_client, make_user) -> None:
    client = auth_client(make_user())
    assert client.get("/api/users/", {"limit": 10**30}).status_code == 200
    assert client.get("/api/users/", {"offset": 10**30}).status_code == 200
    assert client.get("/api/users/", {"search": "a\x00b"}).status_code == 400


def test_user_list_query_count_is_constant(auth_client, make_user, django_assert_max_num_queries) -> None:
    viewer = make_user()
    for _ in range(15):
        make_user()
    client = auth_client(viewer)
    with django_assert_max_num_queries(2):
        response = client.get("/api/users/")
    assert len(response.data["results"]) == 16


# --- follows ------------------------------------------------------------------------


def test_follow_twice_is_idempotent(auth_client, make_user) -> None:
    alice, bob = make_user("alice_f"), make_user("bob_f")
    client = auth_client(bob)
    first = client.post("/api/users/alice_f/follow/")
    second = client.post("/api/users/alice_f/follow/")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.data["is_following"] is True
    assert second.data["followers_count"] == 1
    assert Follow.objects.filter(follower=bob, followee=alice).count() == 1


def test_follow_yourself_is_400_with_message(auth_client, make_user) -> None:
    me = make_user("selfish")
    response = auth_client(me).post("/api/users/selfish/follow/")
    assert response.status_code == 400
    assert response.data["detail"] == "You cannot follow yourself."
    assert not Follow.objects.exists()


def test_unfollow_is_204_and_idempotent(auth_client, make_user) -> None:
    alice, bob = make_user("alice_u"), make_user("bob_u")
    follow_create(follower=bob, followee=alice)
    client = auth_client(bob)
    assert client.delete("/api/users/alice_u/follow/").status_code == 204
    assert client.delete("/api/users/alice_u/follow/").status_code == 204
    assert not Follow.objects.exists()


def test_followers_and_following_lists(auth_client, make_user, django_assert_max_num_queries) -> None:
    star = make_user("star")
    fans = [make_user(f"fan{n}") for n in range(12)]
    for fan in fans:
        follow_create(follower=fan, followee=star)
    follow_create(follower=star, followee=fans[0])
    client = auth_client(fans[1])
    with django_assert_max_num_queries(3):
        followers = client.get("/api/users/star/followers/", {"limit": 10})
    assert followers.data["count"] == 12
    assert followers.data["results"][0]["username"] == "fan11"
    assert len(followers.data["results"]) == 10
    following = client.get("/api/users/star/following/")
    assert [u["username"] for u in following.data["results"]] == ["fan0"]
