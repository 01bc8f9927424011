from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from items.models import Item, ItemStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(make_user: Any) -> Client:
    client = Client()
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


def test_admin_list_searches_by_owner_username_and_filters_by_status(admin_client_: Client, make_user: Any) -> None:
    alice = make_user("alice_items_admin")
    Item.objects.create(owner=alice, title="zebra-found", status=ItemStatus.FAILED)
    Item.objects.create(owner=make_user(), title="walrus-other", status=ItemStatus.FAILED)
    response = admin_client_.get("/admin/items/item/", {"q": "alice_items", "status__exact": "failed"})
    assert response.status_code == 200
    assert b"zebra-found" in response.content
    assert b"walrus-other" not in response.content


def test_admin_requeue_action_queues_selected_items(
    admin_client_: Client, make_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    stuck = Item.objects.create(owner=make_user(), title="stuck", status=ItemStatus.PROCESSING)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            "/admin/items/item/", {"action": "requeue_processing", "_selected_action": [stuck.pk]}, follow=True
        )
    assert response.status_code == 200
    assert b"Queued 1 item(s) for processing." in response.content
    stuck.refresh_from_db()
    assert stuck.status == "queued"
    assert DBTaskResult.objects.filter(task_path="items.tasks.process_item").count() == 1
