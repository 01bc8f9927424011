from __future__ import annotations

import pytest

from accounts.services import follow_create
from social.selectors import comment_list, feed_for, post_list
from social.services import comment_create, like_create, post_create

pytestmark = pytest.mark.django_db


def test_post_list_counts_do_not_multiply(make_user) -> None:
    author, a, b, c = make_user(), make_user(), make_user(), make_user()
    post = post_create(author=author, text="counted")
    for user in (a, b):
        like_create(user=user, post=post)
    for user in (a, b, c):
        comment_create(author=user, post=post, text="hi")
    row = post_list(viewer=a).get(pk=post.pk)
    assert (row.likes_count, row.comments_count, row.liked_by_me) == (2, 3, True)
    assert post_list(viewer=c).get(pk=post.pk).liked_by_me is False


def test_post_list_filters_by_author_case_insensitively_newest_first(make_user) -> None:
    alice, bob = make_user("Alice_sel"), make_user()
    first = post_create(author=alice, text="1")
    post_create(author=bob, text="b")
    second = post_create(author=alice, text="2")
    assert list(post_list(viewer=bob, author_username="alice_sel")) == [second, first]


def test_feed_has_followed_and_own_posts_once_each(make_user) -> None:
    me, followed, stranger, my_fan = make_user(), make_user(), make_user(), make_user()
    follow_create(follower=me, followee=followed)
    follow_create(follower=my_fan, followee=me)
    follow_create(follower=stranger, followee=me)
    mine = post_create(author=me, text="mine")
    theirs = post_create(author=followed, text="theirs")
    post_create(author=stranger, text="not in feed")
    assert list(feed_for(user=me)) == [theirs, mine]


def test_comment_list_oldest_first_with_parent(make_user) -> None:
    user = make_user()
    post = post_create(author=user, text="p")
    top = comment_create(author=user, post=post, text="top")
    reply = comment_create(author=user, post=post, text="reply", parent=top)
    assert [(c.pk, c.parent_id) for c in comment_list(post=post)] == [(top.pk, None), (reply.pk, top.pk)]
