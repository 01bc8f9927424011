"""REST endpoints under /api/live/."""

from __future__ import annotations

from typing import Any

import pytest

from livestream import services
from livestream.models import Ban, ChannelRole, Kick, StreamStatus

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def streamer(make_user: Any) -> Any:
    return make_user()


@pytest.fixture
def live(streamer: Any) -> Any:
    stream = services.stream_create(streamer=streamer, title="Live")
    return services.stream_start(stream_id=stream.pk, user=streamer)


def test_anonymous_is_refused(api_client: Any) -> None:
    assert api_client.get("/api/live/streams/").status_code == 401


def test_create_start_end_flow(auth_client: Any, streamer: Any, make_user: Any) -> None:
    client = auth_client(streamer)
    created = client.post("/api/live/streams/", {"title": "My stream"})
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "scheduled" and body["streamer"] == {"id": streamer.pk, "username": streamer.username}
    assert auth_client(make_user()).post(f"/api/live/streams/{body['id']}/start/").status_code == 403
    started = client.post(f"/api/live/streams/{body['id']}/start/")
    assert started.status_code == 200 and started.json()["status"] == "live" and started.json()["started_at"]
    assert client.post(f"/api/live/streams/{body['id']}/start/").status_code == 409
    ended = client.post(f"/api/live/streams/{body['id']}/end/")
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert client.get(f"/api/live/streams/{body['id']}/").json()["status"] == "ended"


def test_list_live_first_without_n_plus_one(
    auth_client: Any, make_user: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(6):
        owner = make_user()
        stream = services.stream_create(streamer=owner, title=f"s{i}")
        if i % 2:
            services.stream_start(stream_id=stream.pk, user=owner)
    client = auth_client(make_user())
    with django_assert_max_num_queries(3):
        response = client.get("/api/live/streams/")
    statuses = [s["status"] for s in response.json()["results"]]
    assert statuses == ["live"] * 3 + ["scheduled"] * 3


def test_comments_are_paginated_newest_first_without_deleted(
    auth_client: Any, live: Any, streamer: Any, make_user: Any, django_assert_max_num_queries: Any
) -> None:
    viewer = make_user()
    comments = [services.comment_create(stream_id=live.pk, author=viewer, text=f"c{i}") for i in range(5)]
    services.comment_delete(comment_id=comments[0].pk, actor=streamer)
    client = auth_client(viewer)
    with django_assert_max_num_queries(4):
        page = client.get(f"/api/live/streams/{live.pk}/comments/?limit=2").json()
    assert page["count"] == 4 and [c["text"] for c in page["results"]] == ["c4", "c3"]
    assert page["results"][0]["badge"] == "viewer" and page["results"][0]["author"]["id"] == viewer.pk
    assert client.get("/api/live/streams/999999/comments/").status_code == 404


def test_moderators_and_vips_management(auth_client: Any, streamer: Any, make_user: Any) -> None:
    helper = make_user()
    client = auth_client(streamer)
    added = client.post("/api/live/moderators/", {"username": helper.username})
    assert added.status_code == 201 and added.json()[0]["user"]["username"] == helper.username
    assert client.get("/api/live/moderators/").json()[0]["role"] == "moderator"
    assert client.post("/api/live/vips/", {"username": helper.username}).status_code == 201
    assert client.post("/api/live/vips/", {"username": "ghost-user"}).status_code == 404
    assert client.delete("/api/live/moderators/", {"username": helper.username}).status_code == 204
    assert client.delete(f"/api/live/vips/?username={helper.username}").status_code == 204
    assert client.delete("/api/live/vips/", {"username": helper.username}).status_code == 404
    assert not ChannelRole.objects.filter(streamer=streamer).exists()
    # Roles are per requesting streamer: the helper's own list is empty.
    assert auth_client(helper).get("/api/live/moderators/").json() == []


def test_the_streamer_lists_and_lifts_bans_of_their_channel(
    auth_client: Any, live: Any, streamer: Any, make_user: Any
) -> None:
    viewer, other = make_user(), make_user()
    client = auth_client(streamer)
    assert client.post(f"/api/live/streams/{live.pk}/ban/", {"username": viewer.username}).status_code == 200
    listed = client.get("/api/live/bans/")
    assert listed.status_code == 200 and [b["user"]["username"] for b in listed.json()] == [viewer.username]
    assert auth_client(other).get("/api/live/bans/").json() == []  # each streamer sees their own
    assert client.delete(f"/api/live/bans/?username={viewer.username}").status_code == 204
    assert not Ban.objects.filter(streamer=streamer).exists()
    gone = client.delete("/api/live/bans/", {"username": viewer.username})
    assert gone.status_code == 404 and gone.json()["code"] == "ban_not_found"


def test_kick_and_ban_only_by_moderators_and_streamer(
    auth_client: Any, live: Any, streamer: Any, make_user: Any
) -> None:
    viewer, target, moderator = make_user(), make_user(), make_user()
    services.moderator_add(streamer=streamer, username=moderator.username)
    assert (
        auth_client(viewer).post(f"/api/live/streams/{live.pk}/kick/", {"username": target.username}).status_code == 403
    )
    assert (
        auth_client(viewer).post(f"/api/live/streams/{live.pk}/ban/", {"username": target.username}).status_code == 403
    )
    kicked = auth_client(moderator).post(f"/api/live/streams/{live.pk}/kick/", {"username": target.username})
    assert kicked.status_code == 200 and kicked.json()["action"] == "kicked"
    assert Kick.objects.filter(stream=live, user=target).exists()
    banned = auth_client(streamer).post(f"/api/live/streams/{live.pk}/ban/", {"username": viewer.username})
    assert banned.status_code == 200 and Ban.objects.filter(streamer=streamer, user=viewer).exists()
    assert (
        auth_client(moderator).post(f"/api/live/streams/{live.pk}/ban/", {"username": streamer.username}).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/live/streams/", {"title": ""}),
        ("post", "/api/live/streams/", {"title": "x" * 500}),
        ("post", "/api/live/streams/", ["not", "an", "object"]),
        ("post", "/api/live/streams/", {"title": None}),
        ("get", "/api/live/streams/abc/", None),
        ("get", "/api/live/streams/99999999999999999999/", None),
        ("post", "/api/live/streams/99999/start/", None),
        ("post", "/api/live/streams/99999/kick/", {"username": "x"}),
        ("post", "/api/live/streams/{live}/kick/", {"username": ""}),
        ("post", "/api/live/streams/{live}/kick/", {"username": 12}),
        ("post", "/api/live/streams/{live}/ban/", {}),
        ("post", "/api/live/moderators/", {"username": None}),
        ("delete", "/api/live/vips/", None),
        ("get", "/api/live/streams/?limit=-5&offset=abc", None),
    ],
)
def test_bad_input_is_a_4xx_never_a_5xx(
    auth_client: Any, live: Any, streamer: Any, method: str, path: str, body: Any
) -> None:
    response = getattr(auth_client(streamer), method)(path.format(live=live.pk), body, format="json")
    assert 200 <= response.status_code < 500, response.content
    if response.status_code >= 400 and response["Content-Type"].startswith("application/json"):
        assert "detail" in response.json()


def test_end_of_ended_stream_is_conflict(auth_client: Any, live: Any, streamer: Any) -> None:
    client = auth_client(streamer)
    client.post(f"/api/live/streams/{live.pk}/end/")
    response = client.post(f"/api/live/streams/{live.pk}/end/")
    assert response.status_code == 409 and response.json()["code"] == "invalid_status"
    live.refresh_from_db()
    assert live.status == StreamStatus.ENDED


def _state() -> Any:
    from livestream.models import LiveComment, Stream

    return (
        sorted(Stream.objects.values_list("id", "status", "title", "ended_at")),
        sorted(ChannelRole.objects.values_list("streamer_id", "user_id", "role")),
        Kick.objects.count(),
        Ban.objects.count(),
        sorted(LiveComment.objects.values_list("id", "deleted_at")),
    )


HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("who", "method", "path", "body", "status", "code", "field"),
    [
        # wrong JSON types and empty bodies
        ("streamer", "post", "/api/live/streams/", {}, 400, "invalid", "title"),
        ("streamer", "post", "/api/live/streams/", {"title": 5}, 400, "invalid", "title"),
        ("streamer", "post", "/api/live/streams/", {"title": ["a"]}, 400, "invalid", "title"),
        ("streamer", "post", "/api/live/streams/", {"title": {"a": 1}}, 400, "invalid", "title"),
        ("streamer", "post", "/api/live/streams/", {"title": "a\x00b"}, 400, "invalid", "title"),
        ("streamer", "post", "/api/live/streams/", "null", 400, "invalid", "non_field_errors"),
        ("streamer", "post", "/api/live/streams/{live}/kick/", {}, 400, "invalid", "username"),
        ("streamer", "post", "/api/live/streams/{live}/kick/", {"username": ["x"]}, 400, "invalid", "username"),
        ("streamer", "post", "/api/live/streams/{live}/ban/", {"username": True}, 400, "invalid", "username"),
        ("streamer", "post", "/api/live/streams/{live}/ban/", {"username": "x" * 151}, 400, "invalid", "username"),
        ("streamer", "post", "/api/live/moderators/", {"username": {"u": 1}}, 400, "invalid", "username"),
        ("streamer", "post", "/api/live/vips/", [], 400, "invalid", "non_field_errors"),
        ("streamer", "post", "/api/live/moderators/", {"username": "nobody-here"}, 404, "user_not_found", None),
        # ids out of range, negative, not numbers
        ("streamer", "post", f"/api/live/streams/{HUGE}/start/", None, 404, "stream_not_found", None),
        ("streamer", "post", f"/api/live/streams/{HUGE}/end/", None, 404, "stream_not_found", None),
        (
            "streamer",
            "post",
            f"/api/live/streams/{HUGE}/kick/",
            {"username": "{viewer}"},
            404,
            "stream_not_found",
            None,
        ),
        ("streamer", "get", f"/api/live/streams/{HUGE}/comments/", None, 404, "stream_not_found", None),
        ("streamer", "get", "/api/live/streams/{live}/comments/?offset=" + HUGE, None, 200, None, None),
        ("streamer", "get", "/api/live/streams/{live}/comments/?limit=" + HUGE, None, 200, None, None),
        ("streamer", "get", "/api/live/streams/?offset=" + HUGE, None, 200, None, None),
        # someone else's stream: refused, nothing changes
        ("viewer", "post", "/api/live/streams/{live}/end/", None, 403, "forbidden", None),
        ("viewer", "post", "/api/live/streams/{live}/start/", None, 403, "forbidden", None),
        ("viewer", "post", "/api/live/streams/{live}/kick/", {"username": "{streamer}"}, 403, "forbidden", None),
        ("viewer", "post", "/api/live/streams/{live}/ban/", {"username": "{viewer}"}, 403, "forbidden", None),
    ],
)
def test_bad_input_says_what_is_wrong_and_changes_nothing(
    auth_client: Any,
    live: Any,
    streamer: Any,
    make_user: Any,
    who: str,
    method: str,
    path: str,
    body: Any,
    status: int,
    code: str | None,
    field: str | None,
) -> None:
    viewer = make_user()
    services.comment_create(stream_id=live.pk, author=viewer, text="hi")
    names = {"live": live.pk, "streamer": streamer.username, "viewer": viewer.username}
    if isinstance(body, dict):
        body = {k: v.format(**names) if isinstance(v, str) else v for k, v in body.items()}
    client = auth_client(streamer if who == "streamer" else viewer)
    before = _state()
    if isinstance(body, str):
        response = getattr(client, method)(path.format(**names), body, content_type="application/json")
    else:
        response = getattr(client, method)(path.format(**names), body, format="json")
    assert response.status_code == status, response.content
    assert _state() == before
    if status >= 400:
        payload = response.json()
        assert payload["detail"] and payload["code"] == code, payload
        if field:
            assert field in payload["errors"], payload
