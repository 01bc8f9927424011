"""The grouped view's folding and wording."""

from __future__ import annotations

import pytest

from notifications import selectors, services
from social.models import Like, Post

pytestmark = [pytest.mark.django_db]


def like(user, post):
    services.notification_create_for_like(like=Like.objects.create(user=user, post=post), post=post, user=user)


@pytest.mark.parametrize(
    ("likers", "text"),
    [
        (["ann"], "ann liked your post “x”"),
        (["ann", "ben"], "ben and ann liked your post"),
        (["ann", "ben", "cat"], "cat and 2 others liked your post"),
    ],
)
def test_group_text_names_the_newest_actors(make_user, likers, text):
    owner = make_user()
    post = Post.objects.create(author=owner, text="x")
    for name in likers:
        like(make_user(f"{name}_{owner.pk}"), post)
    groups = selectors.notification_groups_expand(
        user=owner, groups=list(selectors.notification_group_list(user=owner))
    )
    assert len(groups) == 1
    expected = (
        text.replace("ann", f"ann_{owner.pk}").replace("ben", f"ben_{owner.pk}").replace("cat", f"cat_{owner.pk}")
    )
    assert groups[0]["text"] == expected


def test_groups_are_per_target_and_unread_filter_applies(make_user):
    owner, fan = make_user(), make_user()
    first, second = Post.objects.create(author=owner, text="1"), Post.objects.create(author=owner, text="2")
    like(fan, first)
    like(fan, second)
    assert [g["group_key"] for g in selectors.notification_group_list(user=owner)] == [
        f"like:post:{second.pk}",
        f"like:post:{first.pk}",
    ]
    services.notification_mark_all_read(user=owner)
    assert list(selectors.notification_group_list(user=owner, unread_only=True)) == []
