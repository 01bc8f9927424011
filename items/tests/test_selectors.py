from __future__ import annotations

from typing import Any

import pytest

from items import selectors
from items.models import Item, ItemStatus

pytestmark = pytest.mark.django_db


def test_item_list_for_user_is_own_items_newest_first(make_user: Any) -> None:
    user, other = make_user(), make_user()
    first = Item.objects.create(owner=user, title="first")
    second = Item.objects.create(owner=user, title="second")
    Item.objects.create(owner=other, title="not mine")
    assert list(selectors.item_list_for_user(user=user)) == [second, first]


def test_item_list_for_user_filters_by_status(make_user: Any) -> None:
    user = make_user()
    Item.objects.create(owner=user, title="a")
    queued = Item.objects.create(owner=user, title="q", status=ItemStatus.QUEUED)
    assert list(selectors.item_list_for_user(user=user, status="queued")) == [queued]


def test_staff_see_every_item(make_user: Any) -> None:
    Item.objects.create(owner=make_user(), title="a")
    Item.objects.create(owner=make_user(), title="b")
    assert selectors.item_visible_to(user=make_user(is_staff=True)).count() == 2
    assert selectors.item_visible_to(user=make_user()).count() == 0
