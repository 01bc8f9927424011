from __future__ import annotations

import pytest
from django.db import transaction

from realtime.errors import Forbidden, InvalidInput
from social.mentions import parse_mentions, resolve_mentions
from social.models import Comment, Like, Mention, Post
from social.services import (
    comment_create,
    comment_delete,
    like_create,
    like_delete,
    post_create,
    post_delete,
    post_update,
)
from social.signals import comment_replied, post_commented, post_deleted, post_liked, user_mentioned

pytestmark = pytest.mark.django_db


# --- mention parsing ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi @alice", ["alice"]),
        ("@alice and @Bob, @alice again", ["alice", "bob"]),
        ("(@carol)", ["carol"]),
        ("write to alice@example.com", []),
        ("no@mention here", []),
        ("@@double", []),
        ("thanks @bob.", ["bob.", "bob"]),
        ("@first.last-name_2 ok", ["first.last-name_2"]),
        ("just an @ sign", []),
    ],
)
def test_parse_mentions(text: str, expected: list[str]) -> None:
    assert parse_mentions(text) == expected


def test_resolve_ignores_unknown_users_author_and_email_addresses(make_user) -> None:
    author, bob, carol = make_user("author_m"), make_user("bob_m"), make_user("Carol_M")
    make_user("example.com")
    users = resolve_mentions("@author_m @nobody @bob_m. @carol_m mail me at x@example.com, @bob_m", author=author)
    assert users == [bob, carol]


def test_resolve_prefers_a_user_whose_name_ends_with_a_dot(make_user) -> None:
    author, dotted = make_user(), make_user("dot.")
    make_user("dot")
    assert resolve_mentions("hey @dot.", author=author) == [dotted]


# --- posts --------------------------------------------------------------------------


def test_post_create_stores_mentions_and_signals_each_once(make_user, signal_log) -> None:
    author, bob, carol = make_user("pa"), make_user("pb"), make_user("pc")
    signal_log.listen(user_mentioned)
    post = post_create(author=author, text="  Hello @pb and @pc and @pb again, and me @pa, and @ghost  ")
    assert post.text.startswith("Hello")
    assert sorted(Mention.objects.filter(post=post).values_list("mentioned__username", flat=True)) == ["pb", "pc"]
    calls = signal_log.of(user_mentioned)
    assert [c["mentioned"] for c in calls] == [bob, carol]
    assert all(c["author"] == author and c["post"] == post and c["comment"] is None and c["mention"].pk for c in calls)


@pytest.mark.parametrize(
    ("text", "code"), [("   ", "blank"), ("x" * 5001, "max_length"), ("a\x00b", "null_characters_not_allowed")]
)
def test_post_create_refuses_invalid_text(make_user, text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        post_create(author=make_user(), text=text)
    assert (exc.value.field, exc.value.code) == ("text", code)
    assert not Post.objects.exists()


def test_post_update_only_by_author_and_notifies_only_new_mentions(make_user, signal_log) -> None:
    author, bob, carol, other = make_user("ua"), make_user("ub"), make_user("uc"), make_user("uo")
    post = post_create(author=author, text="hi @ub")
    with pytest.raises(Forbidden):
        post_update(post=post, user=other, text="hacked")
    signal_log.listen(user_mentioned)
    post_update(post=post, user=author, text="hi @ub and @uc")
    post_update(post=post, user=author, text="hi @uc only")
    post.refresh_from_db()
    assert post.text == "hi @uc only"
    assert [c["mentioned"] for c in signal_log.of(user_mentioned)] == [carol]
    # bob is no longer named in the text, so his mention is gone (silently).
    assert list(Mention.objects.filter(post=post).values_list("mentioned", flat=True)) == [carol.pk]
    assert not Mention.objects.filter(mentioned=bob).exists()


def test_post_delete_by_author_or_staff_signals_before_delete(make_user, signal_log) -> None:
    author, other, staff = make_user(), make_user(), make_user(is_staff=True)
    post = post_create(author=author, text="bye")
    with pytest.raises(Forbidden):
        post_delete(post=post, user=other)
    seen_rows: list[bool] = []
    post_deleted.connect(
        lambda post, **kw: seen_rows.append(Post.objects.filter(pk=post.pk).exists()), weak=False, dispatch_uid="t-del"
    )
    try:
        post_delete(post=post, user=staff)
    finally:
        post_deleted.disconnect(dispatch_uid="t-del")
    assert seen_rows == [True]
    assert not Post.objects.exists()


# --- comments -------------------------------------------------------------------------


def test_top_level_comment_sends_post_commented_and_reply_sends_comment_replied(make_user, signal_log) -> None:
    author, bob = make_user("ca"), make_user("cb")
    post = post_create(author=author, text="post")
    signal_log.listen(post_commented, comment_replied, user_mentioned)
    top = comment_create(author=bob, post=post, text="nice")
    reply = comment_create(author=author, post=post, text="thanks @cb", parent=top)
    deeper = comment_create(author=bob, post=post, text="np", parent=reply)
    assert deeper.parent == reply
    assert [(c["comment"], c["post"]) for c in signal_log.of(post_commented)] == [(top, post)]
    replied = signal_log.of(comment_replied)
    assert [(c["comment"], c["parent"], c["post"]) for c in replied] == [(reply, top, post), (deeper, reply, post)]
    mentioned = signal_log.of(user_mentioned)
    assert len(mentioned) == 1
    assert (mentioned[0]["mentioned"], mentioned[0]["comment"]) == (bob, reply)


def test_reply_parent_must_belong_to_same_post(make_user) -> None:
    user = make_user()
    post_a, post_b = post_create(author=user, text="a"), post_create(author=user, text="b")
    parent = comment_create(author=user, post=post_a, text="on a")
    with pytest.raises(InvalidInput) as exc:
        comment_create(author=user, post=post_b, text="wrong", parent=parent)
    assert exc.value.field == "parent"
    assert Comment.objects.filter(post=post_b).count() == 0


def test_comment_delete_permissions_and_cascade(make_user) -> None:
    post_author, commenter, stranger = make_user(), make_user(), make_user()
    post = post_create(author=post_author, text="p")
    top = comment_create(author=commenter, post=post, text="c")
    comment_create(author=stranger, post=post, text="r", parent=top)
    with pytest.raises(Forbidden):
        comment_delete(comment=top, user=stranger)
    comment_delete(comment=top, user=post_author)
    assert not Comment.objects.exists()


# --- likes ---------------------------------------------------------------------------------


def test_like_is_idempotent_and_signals_once_inside_transaction(make_user, signal_log) -> None:
    author, fan = make_user(), make_user()
    post = post_create(author=author, text="like me")
    signal_log.listen(post_liked)
    like, created = like_create(user=fan, post=post)
    again, created_again = like_create(user=fan, post=post)
    assert (created, created_again, again.pk) == (True, False, like.pk)
    assert Like.objects.count() == 1
    calls = signal_log.of(post_liked)
    assert len(calls) == 1 and (calls[0]["like"], calls[0]["post"], calls[0]["user"]) == (like, post, fan)
    assert signal_log.in_atomic(post_liked) == [True]
    assert like_delete(user=fan, post=post) is True
    assert like_delete(user=fan, post=post) is False
    assert not Like.objects.exists()


def test_signals_fire_with_receivers_seeing_committed_rows_after_commit(
    make_user, django_capture_on_commit_callbacks
) -> None:
    author, bob = make_user(), make_user()
    committed: list[int] = []

    def receiver(mention: Mention, **kwargs: object) -> None:
        transaction.on_commit(lambda: committed.append(Mention.objects.get(pk=mention.pk).mentioned_id))

    user_mentioned.connect(receiver, weak=False, dispatch_uid="t-commit")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            post_create(author=author, text=f"hey @{bob.username}")
            # The receiver ran inside the service's transaction: its on_commit work waits for the commit.
            assert committed == []
    finally:
        user_mentioned.disconnect(dispatch_uid="t-commit")
    assert committed == [bob.pk]
