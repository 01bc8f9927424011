"""REST: list (flat, unread, grouped), unread count, mark read, mark all read."""

from __future__ import annotations

import pytest

from accounts.models import Follow
from notifications import services
from notifications.models import Notification
from social.models import Like, Post

pytestmark = [pytest.mark.django_db]

URL = "/api/notifications/"


def like(user, post):
    like = Like.objects.create(user=user, post=post)
    services.notification_create_for_like(like=like, post=post, user=user)


@pytest.fixture
def alice(make_user):
    return make_user("alice_api")


@pytest.fixture
def liked_post(alice, make_user, django_capture_on_commit_callbacks):
    post = Post.objects.create(author=alice, text="a post everyone likes")
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(5):
            like(make_user(f"liker{i}_api"), post)
    return post


def test_list_is_newest_first_scoped_and_paginated(
    alice, liked_post, make_user, auth_client, django_capture_on_commit_callbacks
):
    bob = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        follow = Follow.objects.create(follower=alice, followee=bob)
        services.notification_create_for_follow(follow=follow, follower=alice, followee=bob)
    response = auth_client(alice).get(URL, {"limit": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5 and len(body["results"]) == 3 and body["next"]
    first = body["results"][0]
    assert first["type"] == "like" and first["actor"]["username"] == "liker4_api" and first["read"] is False
    assert first["target"]["type"] == "post" and first["target"]["id"] == liked_post.pk
    assert auth_client(bob).get(URL).json()["count"] == 1


def test_list_has_no_n_plus_one(alice, liked_post, auth_client, django_assert_max_num_queries):
    client = auth_client(alice)
    with django_assert_max_num_queries(3):
        assert len(client.get(URL).json()["results"]) == 5
    with django_assert_max_num_queries(5):
        assert len(client.get(URL, {"grouped": "true"}).json()["results"]) == 1


def test_grouped_view_folds_likes_on_one_post(alice, liked_post, auth_client):
    body = auth_client(alice).get(URL, {"grouped": "true"}).json()
    assert body["count"] == 1
    group = body["results"][0]
    assert group["type"] == "like" and group["count"] == 5 and group["actors_count"] == 5 and group["unread"] == 5
    assert group["latest_actors"] == ["liker4_api", "liker3_api", "liker2_api"]
    assert group["text"] == "liker4_api and 4 others liked your post"
    assert group["target"]["id"] == liked_post.pk


def test_unread_filter_count_and_mark_read(
    alice, liked_post, make_user, auth_client, django_capture_on_commit_callbacks
):
    client = auth_client(alice)
    newest = Notification.objects.filter(recipient=alice).first()
    assert client.get(f"{URL}unread-count/").json() == {"count": 5}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{URL}{newest.pk}/read/")
    assert response.status_code == 200 and response.json()["read"] is True
    assert client.get(f"{URL}unread-count/").json() == {"count": 4}
    assert client.get(URL, {"unread": "true"}).json()["count"] == 4
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{URL}read-all/").json() == {"marked": 4, "count": 0}
    assert client.get(URL, {"unread": "true"}).json()["count"] == 0


def test_someone_elses_notification_is_404_and_stays_unread(alice, liked_post, make_user, auth_client):
    mallory = make_user()
    target = Notification.objects.filter(recipient=alice).first()
    client = auth_client(mallory)
    for bad in (target.pk, 999999999, 2**70):
        response = client.post(f"{URL}{bad}/read/")
        assert response.status_code == 404, bad
        assert response.json()["code"] == "notification_not_found"
    target.refresh_from_db()
    assert target.read_at is None
    client.post(f"{URL}read-all/")
    assert Notification.objects.filter(recipient=alice, read_at__isnull=True).count() == 5


@pytest.mark.parametrize(
    "query",
    [
        {"unread": "maybe"},
        {"grouped": "x"},
        {"limit": "-1"},
        {"offset": "abc"},
        {"limit": "99999999999999999999"},
        {"offset": "99999999999999999999"},
        {"grouped": "true", "offset": "99999999999999999999"},
    ],
)
def test_bad_query_parameters_are_4xx_or_ignored_never_5xx(alice, liked_post, auth_client, query):
    assert auth_client(alice).get(URL, query).status_code < 500


def test_anonymous_is_401(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(f"{URL}read-all/").status_code == 401


def _state():
    return sorted(Notification.objects.values_list("id", "recipient_id", "read_at"))


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("post", f"{URL}99999999999999999999/read/", None, 404, None),
        ("post", f"{URL}9223372036854775807/read/", None, 404, None),
        ("post", f"{URL}0/read/", None, 404, None),
        ("post", f"{URL}{{other}}/read/", {"id": "{own}"}, 404, None),  # the body cannot redirect the id
        ("get", f"{URL}?unread=maybe", None, 400, "unread"),
        ("get", f"{URL}?grouped=%00", None, 400, "grouped"),
        ("get", f"{URL}?unread=1&unread=[]", None, 400, "unread"),
    ],
)
def test_bad_input_says_what_is_wrong_and_changes_nothing(
    alice, liked_post, make_user, auth_client, method, path, body, status, field
):
    bob = make_user("bob_api")
    like(bob, Post.objects.create(author=make_user("carol_api"), text="x"))
    names = {
        "other": Notification.objects.exclude(recipient=alice).first().pk,
        "own": Notification.objects.filter(recipient=alice).first().pk,
    }
    if body:
        body = {k: v.format(**names) for k, v in body.items()}
    before = _state()
    response = getattr(auth_client(alice), method)(path.format(**names), body, format="json")
    assert response.status_code == status, response.content
    payload = response.json()
    assert payload["detail"] and payload["code"], payload
    if field:
        assert field in payload["errors"], payload
    assert _state() == before


@pytest.mark.parametrize("body", ["[1, 2]", "null", '{"up_to": "everything"}', "not json"])
def test_read_all_ignores_or_refuses_a_body_and_never_breaks(alice, liked_post, auth_client, body):
    """read-all takes no input: junk in the body is refused (400, invalid JSON) or ignored, never a 5xx."""
    response = auth_client(alice).post(f"{URL}read-all/", body, content_type="application/json")
    if response.status_code == 400:
        assert response.json()["detail"]
        assert Notification.objects.filter(recipient=alice, read_at__isnull=True).count() == 5
    else:
        assert response.status_code == 200, response.content
        assert response.json() == {"marked": 5, "count": 0}
