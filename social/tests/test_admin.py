from __future__ import annotations

import pytest

from social.services import comment_create, like_create, post_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/social/post/",
        "/admin/social/comment/",
        "/admin/social/like/",
        "/admin/social/mention/",
        "/admin/accounts/user/",
        "/admin/accounts/follow/",
        "/admin/social/post/?q=hello",
        "/admin/accounts/user/?q=adm",
    ],
)
def test_admin_changelists_render_with_data(client, make_user, url: str) -> None:
    admin = make_user("adm", is_staff=True, is_superuser=True)
    other = make_user("other_admin_test")
    post = post_create(author=admin, text="hello @other_admin_test")
    comment_create(author=other, post=post, text="hi @adm")
    like_create(user=other, post=post)
    client.force_login(admin)
    response = client.get(url)
    assert response.status_code == 200


def test_admin_user_change_form_shows_profile_fields(client, make_user) -> None:
    admin = make_user("adm2", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.get(f"/admin/accounts/user/{admin.pk}/change/")
    assert response.status_code == 200
    assert b'name="display_name"' in response.content and b'name="bio"' in response.content
