from __future__ import annotations

import pytest

from accounts.selectors import followers_of, following_of, user_list, user_profile_get
from accounts.services import follow_create
from social.services import post_create

pytestmark = pytest.mark.django_db


def test_profile_counts_are_independent(make_user) -> None:
    alice, bob, carol = make_user("alice_s"), make_user("bob_s"), make_user("carol_s")
    follow_create(follower=bob, followee=alice)
    follow_create(follower=carol, followee=alice)
    follow_create(follower=alice, followee=bob)
    for n in range(3):
        post_create(author=alice, text=f"post {n}")

    profile = user_profile_get(username="alice_s", viewer=bob)
    assert (profile.followers_count, profile.following_count, profile.posts_count) == (2, 1, 3)
    assert profile.is_following is True
    assert user_profile_get(username="alice_s", viewer=alice).is_following is False
    empty = user_profile_get(username="carol_s", viewer=alice)
    assert (empty.followers_count, empty.following_count, empty.posts_count, empty.is_following) == (0, 1, 0, False)


def test_profile_of_unknown_or_inactive_user_is_none(make_user) -> None:
    viewer = make_user()
    make_user("gone", is_active=False)
    assert user_profile_get(username="nobody", viewer=viewer) is None
    assert user_profile_get(username="gone", viewer=viewer) is None


def test_user_list_search_matches_username_and_display_name(make_user) -> None:
    make_user("zed_one")
    make_user("other", display_name="Zed Fan")
    make_user("unrelated")
    assert sorted(u.username for u in user_list(search="zed")) == ["other", "zed_one"]


def test_follow_lists_newest_first(make_user) -> None:
    star, a, b = make_user(), make_user(), make_user()
    follow_create(follower=a, followee=star)
    follow_create(follower=b, followee=star)
    follow_create(follower=star, followee=a)
    assert list(followers_of(user=star)) == [b, a]
    assert list(following_of(user=star)) == [a]
