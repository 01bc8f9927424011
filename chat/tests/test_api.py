"""REST: /api/chat/conversations/..."""

from __future__ import annotations

import pytest

from chat.models import Message
from chat.services import conversation_create_group, conversation_get_or_create_direct, message_create

pytestmark = [pytest.mark.django_db]

BASE = "/api/chat/conversations/"


def test_creating_a_direct_conversation_twice_returns_the_existing_one(make_user, auth_client):
    a, b = make_user(), make_user()
    first = auth_client(a).post(BASE, {"user": b.username})
    assert first.status_code == 201, first.json()
    again = auth_client(b).post(BASE, {"user": a.username})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert {m["username"] for m in first.json()["members"]} == {a.username, b.username}


def test_create_group_and_bad_bodies_are_4xx(make_user, auth_client):
    a, b, c = make_user(), make_user(), make_user()
    client = auth_client(a)
    response = client.post(BASE, {"title": "Team", "members": [b.username, c.username]})
    assert response.status_code == 201 and response.json()["kind"] == "group" and len(response.json()["members"]) == 3
    for body in [
        {},
        {"user": "nobody-here"},
        {"user": a.username},
        {"user": 5},
        {"title": "x", "members": ["ghost"]},
        {"members": [b.username]},
        {"user": b.username, "members": [c.username]},
        {"title": "x", "members": "b"},
    ]:
        response = client.post(BASE, body)
        assert 400 <= response.status_code < 500, (body, response.status_code)
        assert response.json()["code"]


def test_list_is_sorted_by_activity_with_last_message_and_unread_count(make_user, auth_client):
    me, b, c = make_user(), make_user(), make_user()
    with_b, _ = conversation_get_or_create_direct(user=me, other=b)
    with_c, _ = conversation_get_or_create_direct(user=me, other=c)
    message_create(sender=b, conversation_id=with_b.pk, text="one", client_id=None)
    last, _ = message_create(sender=b, conversation_id=with_b.pk, text="two", client_id=None)
    message_create(sender=me, conversation_id=with_c.pk, text="mine", client_id=None)
    rows = auth_client(me).get(BASE).json()["results"]
    assert [r["id"] for r in rows] == [with_c.pk, with_b.pk]
    assert rows[0]["unread_count"] == 0 and rows[0]["last_message"]["text"] == "mine"
    assert rows[1]["unread_count"] == 2 and rows[1]["last_message"]["id"] == last.pk
    assert rows[1]["last_message"]["sender"] == {"id": b.pk, "username": b.username}


def test_list_query_count_does_not_grow_with_conversations(make_user, auth_client, django_assert_max_num_queries):
    me = make_user()
    for _ in range(12):
        other = make_user()
        conversation, _ = conversation_get_or_create_direct(user=me, other=other)
        message_create(sender=other, conversation_id=conversation.pk, text="hi", client_id=None)
    conversation_create_group(creator=me, title="g", members=[make_user() for _ in range(5)])
    client = auth_client(me)
    with django_assert_max_num_queries(4):
        response = client.get(BASE)
    assert response.json()["count"] == 13


def test_non_members_get_404_everywhere(make_user, auth_client):
    a, b, stranger = make_user(), make_user(), make_user()
    conversation, _ = conversation_get_or_create_direct(user=a, other=b)
    message, _ = message_create(sender=a, conversation_id=conversation.pk, text="private", client_id=None)
    client = auth_client(stranger)
    assert client.get(f"{BASE}{conversation.pk}/").status_code == 404
    assert client.get(f"{BASE}{conversation.pk}/messages/").status_code == 404
    assert client.post(f"{BASE}{conversation.pk}/messages/", {"text": "x"}).status_code == 404
    assert client.post(f"{BASE}{conversation.pk}/read/", {"message_id": message.pk}).status_code == 404
    assert client.get(f"{BASE}99999999999999999999999/").status_code == 404
    assert Message.objects.count() == 1
    assert [r["id"] for r in client.get(BASE).json()["results"]] == []


def test_post_message_is_idempotent_per_client_id(direct, auth_client):
    a, _b, conversation = direct
    client = auth_client(a)
    url = f"{BASE}{conversation.pk}/messages/"
    first = client.post(url, {"text": "hello", "client_id": "abc"})
    assert first.status_code == 201
    again = client.post(url, {"text": "hello", "client_id": "abc"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    for body in [{"text": "   "}, {"text": 12}, {"text": "x", "client_id": "c" * 65}, {}, {"text": None}]:
        assert client.post(url, body).status_code == 400, body
    assert Message.objects.count() == 1


def test_message_pages_by_cursor(direct, auth_client):
    a, b, conversation = direct
    ids = [
        message_create(sender=a, conversation_id=conversation.pk, text=str(i), client_id=None)[0].pk for i in range(7)
    ]
    client = auth_client(b)
    url = f"{BASE}{conversation.pk}/messages/"
    newest = client.get(url, {"limit": 3}).json()
    assert [m["id"] for m in newest["results"]] == ids[-3:] and newest["has_more"] is True
    older = client.get(url, {"limit": 3, "before": newest["oldest_id"]}).json()
    assert [m["id"] for m in older["results"]] == ids[1:4] and older["has_more"] is True
    oldest = client.get(url, {"limit": 3, "before": older["oldest_id"]}).json()
    assert [m["id"] for m in oldest["results"]] == ids[:1] and oldest["has_more"] is False
    forward = client.get(url, {"after": ids[2], "limit": 2}).json()
    assert [m["id"] for m in forward["results"]] == ids[3:5] and forward["has_more"] is True
    for params in [
        {"limit": 0},
        {"limit": 101},
        {"before": "x"},
        {"before": 1, "after": 1},
        {"after": -1},
        {"before": 10**30},
    ]:
        assert client.get(url, params).status_code == 400, params


def test_read_endpoint_returns_positions_and_hides_foreign_messages(direct, make_user, auth_client):
    a, b, conversation = direct
    m1, _ = message_create(sender=a, conversation_id=conversation.pk, text="1", client_id=None)
    message_create(sender=a, conversation_id=conversation.pk, text="2", client_id=None)
    other, _ = conversation_get_or_create_direct(user=b, other=make_user())
    foreign, _ = message_create(sender=b, conversation_id=other.pk, text="elsewhere", client_id=None)
    client = auth_client(b)
    url = f"{BASE}{conversation.pk}/read/"
    response = client.post(url, {"message_id": m1.pk})
    assert response.status_code == 200
    assert response.json() == {
        "conversation": conversation.pk,
        "user": b.pk,
        "last_read_message_id": m1.pk,
        "last_delivered_message_id": m1.pk,
        "unread_count": 1,
    }
    # A message of another conversation is answered like an unknown one (existence is not revealed).
    bad = client.post(url, {"message_id": foreign.pk})
    unknown = client.post(url, {"message_id": foreign.pk + 10_000})
    assert bad.status_code == unknown.status_code == 404
    assert bad.json() == unknown.json()
    assert client.post(url, {"message_id": "1"}).status_code == 400
    assert client.post(url, {"message_id": 10**20}).status_code == 400
    assert client.get(f"{BASE}{conversation.pk}/").json()["last_read_message_id"] == m1.pk


def test_anonymous_is_401(api_client):
    assert api_client.get(BASE).status_code == 401


def test_openapi_schema_describes_chat_endpoints(openapi_paths):
    paths = openapi_paths
    assert {
        "/api/chat/conversations/",
        "/api/chat/conversations/{id}/messages/",
        "/api/chat/conversations/{id}/read/",
    } <= set(paths)
    post = paths["/api/chat/conversations/{id}/messages/"]["post"]
    assert {"200", "201"} <= set(post["responses"])
