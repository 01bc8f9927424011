"""Page views: login required, sign-up, logout, templates that load, CSRF on the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from conftest import PASSWORD

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/u/someone/",
    "/p/1/",
    "/chat/",
    "/chat/1/",
    "/live/",
    "/live/go/",
    "/live/1/",
    "/rooms/",
    "/rooms/team-1/",
    "/items/",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_redirect_anonymous_users_to_login(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_for_a_logged_in_user(client: Client, make_user: Any, path: str) -> None:
    user = make_user()
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-username="{user.username}"' in body  # the top bar knows who is logged in
    assert "/static/js/app.js" in body  # bell, personal socket, connection indicator
    assert 'id="bell-count"' in body and 'id="conn-state"' in body


def test_page_scripts_and_styles_are_served(client: Client, make_user: Any) -> None:
    client.force_login(make_user())
    for asset in [
        "js/app.js",
        "js/socket.js",
        "js/api.js",
        "js/chat.js",
        "js/items.js",
        "js/live_go.js",
        "js/room.js",
        "css/app.css",
    ]:
        response = client.get(f"/static/{asset}")
        assert response.status_code == 200, asset


def test_invalid_room_id_is_a_404_page(client: Client, make_user: Any) -> None:
    client.force_login(make_user())
    assert client.get("/rooms/" + "x" * 65 + "/").status_code == 404
    assert client.get("/rooms/bad.id/").status_code == 404


def test_any_well_formed_room_id_renders_the_same_page(client: Client, make_user: Any) -> None:
    """Unknown and someone else's private room look alike: the socket says 4404 for both."""
    from rtc.services import room_create

    owner, stranger = make_user(), make_user()
    room = room_create(owner=owner, room_id="secret-plans", title="Quarterly secret plans")
    client.force_login(stranger)
    private = client.get("/rooms/secret-plans/")
    unknown = client.get("/rooms/no-such-room/")
    assert private.status_code == unknown.status_code == 200
    body = private.content.decode()
    assert "Quarterly secret plans" not in body and room.invite_token not in body and owner.username not in body
    assert 'id="owner-panel"' in body and "hidden" in body.split('id="owner-panel"')[1].split(">")[0]


def test_an_invite_link_page_is_not_cached_and_sends_no_referrer(client: Client, make_user: Any) -> None:
    client.force_login(make_user())
    response = client.get("/rooms/team-1/?invite=abc")
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]


def test_signup_creates_the_user_and_logs_them_in(client: Client) -> None:
    response = client.post(
        "/signup/",
        {"username": "newbie", "email": "newbie@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = get_user_model().objects.get(username="newbie")
    assert user.email == "newbie@example.com"
    assert user.check_password(PASSWORD)
    home = client.get("/")
    assert home.status_code == 200
    assert home.context["user"] == user


def test_signup_shows_errors_and_creates_nothing(client: Client) -> None:
    response = client.post("/signup/", {"username": "x", "email": "not-an-email", "password1": "a", "password2": "b"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not get_user_model().objects.filter(username="x").exists()


@pytest.mark.parametrize("username", ["me", "ME"])
def test_signup_refuses_the_reserved_username_like_the_api(client: Client, username: str) -> None:
    response = client.post(
        "/signup/", {"username": username, "email": "me@example.com", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["username"] == [f"The username '{username}' is reserved."]
    assert not get_user_model().objects.filter(username__iexact="me").exists()
    assert "_auth_user_id" not in client.session


def test_signup_requires_email(client: Client) -> None:
    response = client.post("/signup/", {"username": "noemail", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 200
    assert not get_user_model().objects.filter(username="noemail").exists()


def test_login_page_logs_in_and_redirects_to_next(client: Client, make_user: Any) -> None:
    user = make_user()
    page = client.get("/login/")
    assert page.status_code == 200
    assert 'for="id_username"' in page.content.decode() and 'for="id_password"' in page.content.decode()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD, "next": "/items/"})
    assert response.status_code == 302
    assert response["Location"] == "/items/"
    assert client.get("/items/").status_code == 200


def test_login_with_a_wrong_password_shows_an_error(client: Client, make_user: Any) -> None:
    user = make_user()
    response = client.post("/login/", {"username": user.username, "password": "wrong-password"})
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()


def test_logout_is_a_post_and_ends_the_session(client: Client, make_user: Any) -> None:
    client.force_login(make_user())
    assert client.get("/logout/").status_code == 405  # a link or an image tag cannot log you out
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_signup_page_redirects_a_logged_in_user(client: Client, make_user: Any) -> None:
    client.force_login(make_user())
    response = client.get("/signup/")
    assert response.status_code == 302


def test_api_write_with_session_needs_the_csrf_header(make_user: Any) -> None:
    user = make_user()
    browser = Client(enforce_csrf_checks=True)
    # Log in through the form like a browser: that sets the csrftoken cookie.
    browser.get("/login/")
    token = browser.cookies["csrftoken"].value
    browser.post("/login/", {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    token = browser.cookies["csrftoken"].value  # rotated at login

    refused = browser.post("/api/items/", {"title": "no header"}, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]

    accepted = browser.post(
        "/api/items/", {"title": "with header"}, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201
    assert accepted.json()["title"] == "with header"


def test_login_form_itself_is_csrf_protected(make_user: Any) -> None:
    user = make_user()
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 403
