from __future__ import annotations

import pytest

from accounts.services import follow_create
from social.models import Comment, Like, Post
from social.services import comment_create, like_create, post_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/posts/"),
        ("post", "/api/posts/"),
        ("get", "/api/posts/1/"),
        ("patch", "/api/posts/1/"),
        ("delete", "/api/posts/1/"),
        ("post", "/api/posts/1/like/"),
        ("delete", "/api/posts/1/like/"),
        ("get", "/api/posts/1/comments/"),
        ("post", "/api/posts/1/comments/"),
        ("delete", "/api/comments/1/"),
        ("get", "/api/feed/"),
    ],
)
def test_social_endpoints_require_authentication(api_client, method: str, url: str) -> None:
    response = getattr(api_client, method)(url)
    assert response.status_code == 401


# --- posts -------------------------------------------------------------------------------


def test_create_post_returns_full_representation(auth_client, make_user) -> None:
    author = make_user("poster", display_name="Poster P")
    make_user("friend")
    response = auth_client(author).post("/api/posts/", {"text": "hello @friend and @nobody"})
    assert response.status_code == 201, response.data
    assert response.data["author"] == {"id": author.pk, "username": "poster", "name": "Poster P"}
    assert response.data["mentions"] == ["friend"]
    assert (response.data["likes_count"], response.data["comments_count"], response.data["liked_by_me"]) == (
        0,
        0,
        False,
    )


@pytest.mark.parametrize(
    ("body", "message"), [({}, "text: This field is required."), ({"text": ""}, "text: This field may not be blank.")]
)
def test_create_post_validation_names_the_field(auth_client, make_user, body: dict, message: str) -> None:
    response = auth_client(make_user()).post("/api/posts/", body)
    assert response.status_code == 400
    assert response.data["detail"] == message
    assert "text" in response.data["errors"]


def test_create_post_too_long(auth_client, make_user) -> None:
    response = auth_client(make_user()).post("/api/posts/", {"text": "x" * 5001})
    assert response.status_code == 400
    assert "5000" in response.data["detail"]
    assert not Post.objects.exists()


def test_only_author_edits_and_only_author_or_staff_deletes(auth_client, make_user) -> None:
    author, other, staff = make_user(), make_user(), make_user(is_staff=True)
    post = post_create(author=author, text="original")
    url = f"/api/posts/{post.pk}/"
    assert auth_client(other).patch(url, {"text": "hacked"}).status_code == 403
    assert auth_client(other).delete(url).status_code == 403
    assert auth_client(staff).patch(url, {"text": "staff edit"}).status_code == 403
    edited = auth_client(author).patch(url, {"text": "edited"})
    assert edited.status_code == 200 and edited.data["text"] == "edited"
    assert auth_client(staff).delete(url).status_code == 204
    assert auth_client(author).get(url).status_code == 404


@pytest.mark.parametrize("post_id", ["999999", str(2**63), "9" * 40])
def test_missing_or_huge_post_ids_are_404(auth_client, make_user, post_id: str) -> None:
    client = auth_client(make_user())
    assert client.get(f"/api/posts/{post_id}/").status_code == 404
    assert client.post(f"/api/posts/{post_id}/like/").status_code == 404
    assert client.get(f"/api/posts/{post_id}/comments/").status_code == 404
    assert client.delete(f"/api/comments/{post_id}/").status_code == 404


def test_post_list_newest_first_filter_and_pagination(auth_client, make_user) -> None:
    alice, bob = make_user("alice_l"), make_user("bob_l")
    posts = [post_create(author=alice, text=f"a{n}") for n in range(3)]
    post_create(author=bob, text="b")
    client = auth_client(bob)
    page = client.get("/api/posts/", {"author": "alice_l", "limit": 2})
    assert page.data["count"] == 3
    assert [p["id"] for p in page.data["results"]] == [posts[2].pk, posts[1].pk]
    assert (
        client.get("/api/posts/", {"author": "alice_l", "limit": 2, "offset": 2}).data["results"][0]["id"]
        == posts[0].pk
    )
    assert client.get("/api/posts/").data["count"] == 4
    assert client.get("/api/posts/", {"author": "a\x00"}).status_code == 400
    assert client.get("/api/posts/", {"limit": 10**30, "offset": 10**30}).status_code == 200


def test_post_list_query_count_is_constant(auth_client, make_user, django_assert_max_num_queries) -> None:
    viewer = make_user()
    users = [make_user() for _ in range(4)]
    for n in range(12):
        post = post_create(author=users[n % 4], text=f"post {n} @{users[(n + 1) % 4].username}")
        like_create(user=viewer, post=post)
        comment_create(author=users[0], post=post, text="c")
    client = auth_client(viewer)
    with django_assert_max_num_queries(3):
        response = client.get("/api/posts/")
    assert len(response.data["results"]) == 12
    assert all(
        p["liked_by_me"] and p["likes_count"] == 1 and p["comments_count"] == 1 and len(p["mentions"]) == 1
        for p in response.data["results"]
    )


# --- likes -----------------------------------------------------------------------------------


def test_like_is_idempotent_over_http(auth_client, make_user) -> None:
    author, fan = make_user(), make_user()
    post = post_create(author=author, text="p")
    client = auth_client(fan)
    first, second = client.post(f"/api/posts/{post.pk}/like/"), client.post(f"/api/posts/{post.pk}/like/")
    assert (first.status_code, second.status_code) == (201, 200)
    assert (second.data["likes_count"], second.data["liked_by_me"]) == (1, True)
    assert client.delete(f"/api/posts/{post.pk}/like/").status_code == 204
    assert client.delete(f"/api/posts/{post.pk}/like/").status_code == 204
    assert not Like.objects.exists()


# --- comments ----------------------------------------------------------------------------------


def test_comment_and_reply_over_http(auth_client, make_user) -> None:
    author, bob = make_user("c_author"), make_user("c_bob")
    post = post_create(author=author, text="p")
    client = auth_client(bob)
    top = client.post(f"/api/posts/{post.pk}/comments/", {"text": "first @c_author"})
    assert top.status_code == 201, top.data
    assert (top.data["post"], top.data["parent"], top.data["mentions"]) == (post.pk, None, ["c_author"])
    reply = auth_client(author).post(f"/api/posts/{post.pk}/comments/", {"text": "thanks", "parent": top.data["id"]})
    assert reply.status_code == 201 and reply.data["parent"] == top.data["id"]
    listing = client.get(f"/api/posts/{post.pk}/comments/")
    assert [c["id"] for c in listing.data["results"]] == [top.data["id"], reply.data["id"]]
    assert client.get(f"/api/posts/{post.pk}/").data["comments_count"] == 2


def test_reply_to_comment_of_another_post_or_missing_parent_is_400(auth_client, make_user) -> None:
    user = make_user()
    post_a, post_b = post_create(author=user, text="a"), post_create(author=user, text="b")
    other = comment_create(author=user, post=post_a, text="on a")
    client = auth_client(user)
    wrong = client.post(f"/api/posts/{post_b.pk}/comments/", {"text": "x", "parent": other.pk})
    assert wrong.status_code == 400
    assert wrong.data["errors"] == {"parent": ["The parent comment belongs to another post."]}
    missing = client.post(f"/api/posts/{post_b.pk}/comments/", {"text": "x", "parent": 2**62})
    assert missing.status_code == 400 and "parent" in missing.data["errors"]
    huge = client.post(f"/api/posts/{post_b.pk}/comments/", {"text": "x", "parent": 2**70})
    assert huge.status_code == 400 and "parent" in huge.data["errors"]
    assert Comment.objects.filter(post=post_b).count() == 0


def test_delete_comment_permissions(auth_client, make_user) -> None:
    post_author, commenter, stranger = make_user(), make_user(), make_user()
    post = post_create(author=post_author, text="p")
    comment = comment_create(author=commenter, post=post, text="c")
    assert auth_client(stranger).delete(f"/api/comments/{comment.pk}/").status_code == 403
    assert auth_client(commenter).delete(f"/api/comments/{comment.pk}/").status_code == 204
    assert auth_client(commenter).delete(f"/api/comments/{comment.pk}/").status_code == 404


def test_comment_list_query_count_is_constant(auth_client, make_user, django_assert_max_num_queries) -> None:
    users = [make_user() for _ in range(3)]
    post = post_create(author=users[0], text="p")
    for n in range(12):
        comment_create(author=users[n % 3], post=post, text=f"c{n} @{users[(n + 1) % 3].username}")
    client = auth_client(users[0])
    with django_assert_max_num_queries(4):
        response = client.get(f"/api/posts/{post.pk}/comments/")
    assert response.data["count"] == 12
    assert all(len(c["mentions"]) == 1 for c in response.data["results"])


# --- feed --------------------------------------------------------------------------------------------


def test_feed_shows_followed_and_own_posts(auth_client, make_user, django_assert_max_num_queries) -> None:
    me, friend, stranger = make_user(), make_user(), make_user()
    follow_create(follower=me, followee=friend)
    own = post_create(author=me, text="mine")
    for n in range(10):
        post_create(author=friend, text=f"friend {n}")
    post_create(author=stranger, text="hidden")
    client = auth_client(me)
    with django_assert_max_num_queries(3):
        response = client.get("/api/feed/", {"limit": 20})
    assert response.data["count"] == 11
    ids = [p["id"] for p in response.data["results"]]
    assert ids[-1] == own.pk
    assert all(p["author"]["id"] in (me.pk, friend.pk) for p in response.data["results"])


def test_patch_without_text_changes_nothing_but_still_checks_author(auth_client, make_user) -> None:
    author, other = make_user(), make_user()
    post = post_create(author=author, text="keep")
    assert auth_client(other).patch(f"/api/posts/{post.pk}/", {}).status_code == 403
    response = auth_client(author).patch(f"/api/posts/{post.pk}/", {})
    assert response.status_code == 200 and response.data["text"] == "keep"


def test_feed_cursor_never_repeats_a_post_created_between_two_pages(auth_client, make_user) -> None:
    me, friend = make_user(), make_user()
    follow_create(follower=me, followee=friend)
    posts = [post_create(author=friend, text=f"post {n}") for n in range(5)]
    client = auth_client(me)
    first = client.get("/api/feed/", {"limit": 2}).data
    assert [p["id"] for p in first["results"]] == [posts[4].pk, posts[3].pk]
    assert first["next"]
    post_create(author=friend, text="written while reading page one")
    second = client.get("/api/feed/", {"limit": 2, "before": first["results"][-1]["id"]}).data
    assert [p["id"] for p in second["results"]] == [posts[2].pk, posts[1].pk]
    last = client.get("/api/feed/", {"limit": 2, "before": posts[1].pk}).data
    assert [p["id"] for p in last["results"]] == [posts[0].pk]
    assert last["next"] is None
    # the old offset form still works
    assert [p["id"] for p in client.get("/api/feed/", {"limit": 2, "offset": 2}).data["results"]] == [
        posts[3].pk,
        posts[2].pk,
    ]


@pytest.mark.parametrize("before", ["0", "x", str(2**70)])
def test_feed_cursor_must_be_a_post_id(auth_client, make_user, before: str) -> None:
    response = auth_client(make_user()).get("/api/feed/", {"before": before})
    assert response.status_code == 400
    assert "before" in str(response.data)
