from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from items import services
from items.models import Item, ItemStatus
from items.serializers import ItemBulkCreateInput, ItemBulkStatusInput, ItemInput
from realtime.errors import Conflict, NotFound
from realtime.groups import user_group

pytestmark = pytest.mark.django_db


def _sql_of(ctx: CaptureQueriesContext, verb: str) -> list[str]:
    return [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith(verb) and '"items_item"' in q["sql"]
    ]


# --- create / update / delete ---------------------------------------------------------


def test_item_create_stores_item_and_tells_owner_after_commit(
    make_user: Any, sent_events: Any, django_capture_on_commit_callbacks: Any
) -> None:
    owner = make_user()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        item = services.item_create(owner=owner, title="  Groceries ", description="milk")
    assert sent_events == []  # nothing leaves before commit
    for callback in callbacks:
        callback()
    assert Item.objects.get().title == "Groceries"
    [(group, frame)] = sent_events
    assert group == user_group(owner.pk)
    assert frame["type"] == "item_created"
    assert frame["data"]["id"] == item.pk
    assert frame["data"]["status"] == "active"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "ok", "description": "d" * 5001}, "description"),
        ({"title": "ok", "status": "processing"}, "status"),
        ({"title": "ok", "status": "bogus"}, "status"),
    ],
)
def test_item_input_rejects_invalid_fields(kwargs: dict[str, Any], field: str) -> None:
    # Checked once, by the input serializer the API validates with (the service trusts it).
    serializer = ItemInput(data=kwargs)
    assert not serializer.is_valid()
    assert set(serializer.errors) == {field}


def test_item_update_changes_only_given_fields_and_publishes(
    make_user: Any, sent_events: Any, django_capture_on_commit_callbacks: Any
) -> None:
    item = Item.objects.create(owner=make_user(), title="Old", description="keep")
    with django_capture_on_commit_callbacks(execute=True):
        services.item_update(item=item, status=ItemStatus.INACTIVE)
    item.refresh_from_db()
    assert (item.title, item.description, item.status) == ("Old", "keep", "inactive")
    [(_, frame)] = sent_events
    assert frame["type"] == "item_updated"
    assert set(frame["data"]) == {"id", "title", "status", "processed_at", "updated_at"}
    assert frame["data"]["status"] == "inactive"


def test_item_delete_removes_row_and_tells_owner(
    make_user: Any, sent_events: Any, django_capture_on_commit_callbacks: Any
) -> None:
    owner = make_user()
    item = Item.objects.create(owner=owner, title="Bye")
    item_id = item.pk
    with django_capture_on_commit_callbacks(execute=True):
        services.item_delete(item=item)
    assert not Item.objects.filter(pk=item_id).exists()
    assert sent_events == [(user_group(owner.pk), sent_events[0][1])]
    assert sent_events[0][1]["type"] == "item_deleted"
    assert sent_events[0][1]["data"] == {"id": item_id}


# --- bulk create ---------------------------------------------------------------------------


def test_item_bulk_create_uses_one_insert(
    make_user: Any, sent_events: Any, django_capture_on_commit_callbacks: Any
) -> None:
    owner = make_user()
    data = [{"title": f"Item {n}", "status": "pending" if n % 2 else "active"} for n in range(50)]
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as ctx:
        created = services.item_bulk_create(owner=owner, items=data)
    assert len(_sql_of(ctx, "INSERT")) == 1
    assert len(created) == 50
    assert all(item.pk for item in created)
    assert Item.objects.filter(owner=owner).count() == 50
    assert Item.objects.filter(owner=owner, status="pending").count() == 25
    [(_, frame)] = sent_events.of_type("items_bulk_created")
    assert frame["data"]["count"] == 50
    assert sorted(frame["data"]["ids"]) == sorted(item.pk for item in created)


def test_item_bulk_create_input_names_index_and_field() -> None:
    data = [
        {"title": "fine"},
        {"title": ""},
        {"title": "fine too"},
        {"description": "no title"},
        {"title": "x", "status": "queued"},
    ]
    serializer = ItemBulkCreateInput(data={"items": data})
    assert not serializer.is_valid()
    errors = serializer.errors["items"]
    assert set(errors) == {1, 3, 4}
    assert errors[1] == {"title": ["This field may not be blank."]}
    assert errors[3] == {"title": ["This field is required."]}
    assert "status" in errors[4]


def test_item_bulk_create_input_refuses_more_than_500() -> None:
    serializer = ItemBulkCreateInput(data={"items": [{"title": "t"}] * 501})
    assert not serializer.is_valid()
    assert "500" in str(serializer.errors["items"])


# --- bulk status ---------------------------------------------------------------------------


def test_item_bulk_status_update_is_one_update_query(
    make_user: Any, sent_events: Any, django_capture_on_commit_callbacks: Any
) -> None:
    owner = make_user()
    items = Item.objects.bulk_create([Item(owner=owner, title=f"t{n}") for n in range(20)])
    ids = [item.pk for item in items]
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as ctx:
        count = services.item_bulk_status_update(user=owner, ids=ids, status="inactive")
    assert count == 20
    assert len(_sql_of(ctx, "UPDATE")) == 1
    assert Item.objects.filter(status="inactive").count() == 20
    updates = sent_events.of_type("item_updated")
    assert sorted(frame["data"]["id"] for _, frame in updates) == sorted(ids)
    assert {frame["data"]["status"] for _, frame in updates} == {"inactive"}
    [(group, summary)] = sent_events.of_type("items_bulk_status_updated")
    assert group == user_group(owner.pk)
    assert sorted(summary["data"]["ids"]) == sorted(ids)


def test_item_bulk_status_update_names_foreign_and_unknown_ids_and_changes_nothing(
    make_user: Any, sent_events: Any
) -> None:
    owner, other = make_user(), make_user()
    mine = Item.objects.create(owner=owner, title="mine")
    theirs = Item.objects.create(owner=other, title="theirs")
    unknown = theirs.pk + 1000
    with CaptureQueriesContext(connection) as ctx, pytest.raises(NotFound) as excinfo:
        services.item_bulk_status_update(user=owner, ids=[mine.pk, theirs.pk, unknown], status="inactive")
    assert str(theirs.pk) in excinfo.value.message
    assert str(unknown) in excinfo.value.message
    named = {int(n) for n in re.findall(r"\d+", excinfo.value.message.split(":", 1)[1])}
    assert named == {theirs.pk, unknown}
    assert excinfo.value.extra["missing_ids"] == [theirs.pk, unknown]
    assert _sql_of(ctx, "UPDATE") == []
    assert set(Item.objects.values_list("status", flat=True)) == {"active"}
    assert sent_events == []


def test_staff_may_bulk_update_anyones_items_and_each_owner_is_told(
    make_user: Any, sent_events: Any, django_capture_on_commit_callbacks: Any
) -> None:
    staff = make_user(is_staff=True)
    alice, bob = make_user(), make_user()
    a = Item.objects.create(owner=alice, title="a")
    b = Item.objects.create(owner=bob, title="b")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.item_bulk_status_update(user=staff, ids=[a.pk, b.pk, a.pk], status="pending") == 2
    groups = {group for group, _ in sent_events.of_type("items_bulk_status_updated")}
    assert groups == {user_group(alice.pk), user_group(bob.pk)}


def test_item_bulk_status_input_refuses_processing_states() -> None:
    serializer = ItemBulkStatusInput(data={"ids": [1], "status": "processed"})
    assert not serializer.is_valid()
    assert "active, inactive, pending" in str(serializer.errors["status"])


# --- process request -------------------------------------------------------------------------


def test_item_process_request_queues_and_enqueues_after_commit(
    make_user: Any, sent_events: Any, django_capture_on_commit_callbacks: Any
) -> None:
    owner = make_user()
    item = Item.objects.create(owner=owner, title="work", status=ItemStatus.FAILED, last_error="old")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = services.item_process_request(user=owner, item=item)
        assert result.status == ItemStatus.QUEUED
        assert not DBTaskResult.objects.exists()  # the task is only enqueued once the row is committed
    for callback in callbacks:
        callback()
    task = DBTaskResult.objects.get()
    assert task.task_path == "items.tasks.process_item"
    assert task.args_kwargs["args"] == [item.pk]
    item.refresh_from_db()
    assert (item.status, item.last_error) == ("queued", "")
    assert [frame["data"]["status"] for _, frame in sent_events.of_type("item_updated")] == ["queued"]


@pytest.mark.parametrize("busy", [ItemStatus.QUEUED, ItemStatus.PROCESSING])
def test_item_process_request_conflicts_while_busy(make_user: Any, busy: str) -> None:
    owner = make_user()
    item = Item.objects.create(owner=owner, title="work", status=busy)
    with pytest.raises(Conflict):
        services.item_process_request(user=owner, item=item)
    item.refresh_from_db()
    assert item.status == busy


def test_item_process_request_hides_others_items(make_user: Any) -> None:
    item = Item.objects.create(owner=make_user(), title="theirs")
    with pytest.raises(NotFound):
        services.item_process_request(user=make_user(), item=item)
    item.refresh_from_db()
    assert item.status == "active"


def test_item_requeue_recovers_item_stuck_in_processing(
    make_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    item = Item.objects.create(owner=make_user(), title="stuck", status=ItemStatus.PROCESSING)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.item_requeue(items=[item]) == 1
    item.refresh_from_db()
    assert item.status == "queued"
    assert DBTaskResult.objects.filter(task_path="items.tasks.process_item").count() == 1
