"""Revoked credentials: refresh rotation and blacklist, sockets closed on deactivation,
password change, logout and token expiry, `authenticate` in band."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from chat import routing
from chat.services import conversation_get_or_create_direct
from conftest import PASSWORD, access_token
from realtime import closecodes
from realtime.testing import expect_close, open_socket, recv_type, socket_app

app = socket_app(routing.websocket_urlpatterns)


async def open_chat(
    conversation_id: int, *, token: str | None = None, session_key: str | None = None
) -> WebsocketCommunicator:
    url = f"/ws/chat/{conversation_id}/" + (f"?token={token}" if token else "")
    headers = [(b"cookie", f"sessionid={session_key}".encode())] if session_key else []
    comm = await open_socket(app, url, headers=headers)
    await recv_type(comm, "connection_established")
    return comm


async def assert_closed_with(comm: WebsocketCommunicator, code: int, error_code: str) -> None:
    frame = await recv_type(comm, "error")
    assert frame["data"]["code"] == error_code, frame
    assert await expect_close(comm) == code


async def assert_open(comm: WebsocketCommunicator) -> None:
    await comm.send_json_to({"type": "ping", "data": {"ts": 7}})
    assert (await recv_type(comm, "pong"))["data"] == {"ts": 7}


async def assert_revoked_only(revoked: WebsocketCommunicator, *, kept: WebsocketCommunicator) -> None:
    """`revoked` is closed 4401 for revoked credentials; `kept` (another user's or session's) still answers."""
    await assert_closed_with(revoked, closecodes.UNAUTHENTICATED, "credentials_revoked")
    await assert_open(kept)


async def a_socket(pair: tuple[Any, Any, Any]) -> tuple[Any, WebsocketCommunicator]:
    """a and their socket on the pair's conversation, open with a fresh access token."""
    a, _, conversation = pair
    return a, await open_chat(conversation.pk, token=await sync_to_async(access_token)(a))


def short_token(user: Any, seconds: float) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(seconds=seconds))
    return str(token)


@pytest.fixture
def pair(make_user):
    a, b = make_user(), make_user()
    conversation, _ = conversation_get_or_create_direct(user=a, other=b)
    return a, b, conversation


# --- refresh tokens ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_rotated_refresh_token_cannot_be_reused(api_client, make_user):
    refresh = str(RefreshToken.for_user(make_user()))
    first = api_client.post("/api/auth/token/refresh/", {"refresh": refresh})
    assert first.status_code == 200 and first.json()["refresh"] != refresh
    again = api_client.post("/api/auth/token/refresh/", {"refresh": refresh})
    assert again.status_code == 401
    assert api_client.post("/api/auth/token/refresh/", {"refresh": first.json()["refresh"]}).status_code == 200


@pytest.mark.django_db
def test_refreshing_a_deleted_users_token_is_401(api_client, make_user):
    user = make_user()
    refresh = str(RefreshToken.for_user(user))
    user.delete()
    response = api_client.post("/api/auth/token/refresh/", {"refresh": refresh})
    assert response.status_code == 401
    assert response.json()["code"] == "no_active_account"


@pytest.mark.django_db
def test_deactivation_revokes_refresh_tokens_even_after_reactivation(api_client, make_user):
    user = make_user()
    refresh = str(RefreshToken.for_user(user))
    user.is_active = False
    user.save()
    assert api_client.post("/api/auth/token/refresh/", {"refresh": refresh}).status_code == 401
    user.is_active = True
    user.save()
    assert api_client.post("/api/auth/token/refresh/", {"refresh": refresh}).status_code == 401


@pytest.mark.django_db
def test_password_change_refuses_old_refresh_and_access_tokens(api_client, make_user):
    user = make_user()
    refresh = RefreshToken.for_user(user)
    access = str(refresh.access_token)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api_client.get("/api/users/me/").status_code == 200
    user.set_password("a-brand-new-passphrase")
    user.save()
    assert api_client.get("/api/users/me/").status_code == 401
    api_client.credentials()
    assert api_client.post("/api/auth/token/refresh/", {"refresh": str(refresh)}).status_code == 401
    fresh = api_client.post("/api/auth/token/", {"username": user.username, "password": "a-brand-new-passphrase"})
    assert fresh.status_code == 200


@pytest.mark.django_db
def test_logout_endpoint_blacklists_the_refresh_token(api_client, make_user):
    refresh = str(RefreshToken.for_user(make_user()))
    assert api_client.post("/api/auth/logout/", {"refresh": refresh}).status_code == 204
    assert api_client.post("/api/auth/token/refresh/", {"refresh": refresh}).status_code == 401
    assert api_client.post("/api/auth/logout/", {"refresh": refresh}).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", [{}, {"refresh": ""}, {"refresh": "not-a-token"}, {"refresh": ["x"]}, {"refresh": "x" * 5000}]
)
def test_logout_endpoint_bad_input_is_4xx(api_client, body):
    response = api_client.post("/api/auth/logout/", body, format="json")
    assert response.status_code in (400, 401), response.content
    assert response.json()["detail"]


# --- sockets ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_deactivation_closes_the_users_sockets_with_4401(pair):
    a, b, conversation = pair
    ws_a = await open_chat(conversation.pk, token=await sync_to_async(access_token)(a))
    ws_b = await open_chat(conversation.pk, token=await sync_to_async(access_token)(b))

    def deactivate() -> None:
        a.is_active = False
        a.save()

    await sync_to_async(deactivate)()
    await assert_revoked_only(ws_a, kept=ws_b)
    await ws_b.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_inactive_sender_stores_nothing(pair):
    from chat.models import Message
    from chat.services import message_create
    from realtime.errors import Forbidden

    a, _, conversation = pair
    await sync_to_async(type(a).objects.filter(pk=a.pk).update)(is_active=False)
    with pytest.raises(Forbidden):
        await sync_to_async(message_create)(sender=a, conversation_id=conversation.pk, text="after", client_id="x1")
    assert not await sync_to_async(Message.objects.filter(conversation=conversation).exists)()


@pytest.mark.django_db(transaction=True)
async def test_password_change_closes_sockets_and_old_token_cannot_reconnect(pair):
    a, _, conversation = pair
    token = await sync_to_async(access_token)(a)
    ws = await open_chat(conversation.pk, token=token)

    def change_password() -> None:
        a.set_password("another-long-passphrase")
        a.save()

    await sync_to_async(change_password)()
    await assert_closed_with(ws, closecodes.UNAUTHENTICATED, "credentials_revoked")
    comm = WebsocketCommunicator(app, f"/ws/chat/{conversation.pk}/?token={token}")
    await comm.connect(timeout=5)
    await assert_closed_with(comm, closecodes.UNAUTHENTICATED, "unauthenticated")


@pytest.mark.django_db(transaction=True)
async def test_logout_closes_that_sessions_sockets_only(pair):
    from django.test import Client

    a, _, conversation = pair
    first, second = Client(), Client()
    assert await sync_to_async(first.login)(username=a.username, password=PASSWORD)
    assert await sync_to_async(second.login)(username=a.username, password=PASSWORD)
    ws_first = await open_chat(conversation.pk, session_key=first.cookies["sessionid"].value)
    ws_second = await open_chat(conversation.pk, session_key=second.cookies["sessionid"].value)
    response = await sync_to_async(first.post)("/logout/")
    assert response.status_code == 302
    await assert_revoked_only(ws_first, kept=ws_second)
    await ws_second.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_socket_closes_when_its_token_expires(pair):
    a, _, conversation = pair
    ws = await open_chat(conversation.pk, token=await sync_to_async(short_token)(a, 1.5))
    await assert_closed_with(ws, closecodes.UNAUTHENTICATED, "token_expired")


@pytest.mark.django_db(transaction=True)
async def test_authenticate_with_a_fresh_token_keeps_the_socket_open(pair):
    a, _, conversation = pair
    ws = await open_chat(conversation.pk, token=await sync_to_async(short_token)(a, 1.5))
    await ws.send_json_to({"type": "authenticate", "data": {"token": await sync_to_async(access_token)(a)}})
    frame = await recv_type(ws, "authenticated")
    assert frame["data"]["user_id"] == a.pk and frame["data"]["expires_at"].endswith("Z")
    # Past the first token's expiry: no token_expired, no close.
    assert await ws.receive_nothing(timeout=2.5)
    await assert_open(ws)
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_authenticate_with_another_users_token_closes_4401(pair):
    a, b, conversation = pair
    ws = await open_chat(conversation.pk, token=await sync_to_async(access_token)(a))
    await ws.send_json_to({"type": "authenticate", "data": {"token": await sync_to_async(access_token)(b)}})
    await assert_closed_with(ws, closecodes.UNAUTHENTICATED, "user_mismatch")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({}, "invalid"),
        ({"token": 5}, "invalid"),
        ({"token": ""}, "invalid"),
        ({"token": "nope"}, "token_invalid"),
        ({"token": "x" * 5000}, "invalid"),
    ],
)
async def test_authenticate_with_a_bad_token_is_an_error_and_the_socket_stays(pair, data, code):
    _, ws = await a_socket(pair)
    await ws.send_json_to({"type": "authenticate", "data": data})
    frame = await recv_type(ws, "error")
    assert frame["data"]["code"] == code and frame["data"]["message"]
    await assert_open(ws)
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_authenticate_with_an_expired_token_is_an_error(pair):
    a, ws = await a_socket(pair)
    await ws.send_json_to({"type": "authenticate", "data": {"token": await sync_to_async(short_token)(a, -5)}})
    assert (await recv_type(ws, "error"))["data"]["code"] == "token_expired"
    await assert_open(ws)
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_deactivating_in_the_admin_closes_the_users_sockets(pair, make_user):
    from django.test import Client

    a, ws = await a_socket(pair)

    def deactivate_in_admin() -> int:
        admin = make_user(is_staff=True, is_superuser=True)
        client = Client()
        client.force_login(admin)
        url = f"/admin/accounts/user/{a.pk}/change/"
        form = client.get(url).context["adminform"].form
        data: dict[str, Any] = {}
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if value is None or name == "password":
                continue
            if hasattr(value, "all"):
                value = [obj.pk for obj in value.all()]
            if isinstance(value, list):
                data[name] = [getattr(v, "pk", v) for v in value]
            elif hasattr(value, "date"):
                data[f"{name}_0"], data[f"{name}_1"] = value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")
            elif isinstance(value, bool):
                if value:
                    data[name] = "on"
            else:
                data[name] = value
        data.pop("is_active", None)  # unchecked
        return client.post(url, data).status_code

    assert await sync_to_async(deactivate_in_admin)() == 302
    await assert_closed_with(ws, closecodes.UNAUTHENTICATED, "credentials_revoked")
