"""The background task, run in-process (the worker calls exactly this function)."""

from __future__ import annotations

from typing import Any

import pytest

from items import services
from items.models import Item, ItemStatus
from items.signals import item_processed
from items.tasks import process_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def processed_signals() -> Any:
    received: list[Item] = []

    def receiver(sender: Any, item: Item, **kwargs: Any) -> None:
        received.append(item)

    item_processed.connect(receiver, dispatch_uid="items-test-receiver")
    yield received
    item_processed.disconnect(dispatch_uid="items-test-receiver")


def test_task_moves_queued_item_to_processed(
    make_user: Any, sent_events: Any, processed_signals: Any, django_capture_on_commit_callbacks: Any
) -> None:
    item = Item.objects.create(owner=make_user(), title="work", status=ItemStatus.QUEUED)
    with django_capture_on_commit_callbacks(execute=True):
        assert process_item.call(item.pk) == "processed"
    item.refresh_from_db()
    assert item.status == "processed"
    assert item.processed_at is not None
    assert item.last_error == ""
    assert [frame["data"]["status"] for _, frame in sent_events.of_type("item_updated")] == ["processing", "processed"]
    assert [signalled.pk for signalled in processed_signals] == [item.pk]


@pytest.mark.parametrize("status", [ItemStatus.ACTIVE, ItemStatus.PROCESSING, ItemStatus.PROCESSED, ItemStatus.FAILED])
def test_task_does_nothing_for_item_not_queued(
    make_user: Any, status: str, sent_events: Any, processed_signals: Any
) -> None:
    item = Item.objects.create(owner=make_user(), title="work", status=status)
    assert process_item.call(item.pk) == "skipped"
    item.refresh_from_db()
    assert item.status == status
    assert sent_events == []
    assert processed_signals == []


def test_duplicate_delivery_processes_once(make_user: Any, processed_signals: Any) -> None:
    item = Item.objects.create(owner=make_user(), title="work", status=ItemStatus.QUEUED)
    assert process_item.call(item.pk) == "processed"
    first = Item.objects.get(pk=item.pk).processed_at
    assert process_item.call(item.pk) == "skipped"
    assert Item.objects.get(pk=item.pk).processed_at == first
    assert len(processed_signals) == 1


def test_task_for_deleted_item_is_skipped(make_user: Any) -> None:
    item = Item.objects.create(owner=make_user(), title="gone", status=ItemStatus.QUEUED)
    item_id = item.pk
    item.delete()
    assert process_item.call(item_id) == "skipped"


def test_failing_work_ends_in_failed_with_last_error(
    make_user: Any, monkeypatch: pytest.MonkeyPatch, processed_signals: Any
) -> None:
    def broken(item: Item) -> None:
        raise services.ProcessingError("upstream said no")

    monkeypatch.setattr(services, "item_perform_work", broken)
    item = Item.objects.create(owner=make_user(), title="work", status=ItemStatus.QUEUED)
    assert process_item.call(item.pk) == "failed"
    item.refresh_from_db()
    assert (item.status, item.last_error) == ("failed", "upstream said no")
    assert processed_signals[0].status == "failed"


def test_unexpected_crash_in_work_also_ends_in_failed(make_user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def buggy(item: Item) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(services, "item_perform_work", buggy)
    item = Item.objects.create(owner=make_user(), title="work", status=ItemStatus.QUEUED)
    process_item.call(item.pk)
    item.refresh_from_db()
    assert item.status == "failed"
    assert "ZeroDivisionError" in item.last_error


def test_owner_change_during_processing_wins(
    make_user: Any, monkeypatch: pytest.MonkeyPatch, processed_signals: Any
) -> None:
    def owner_cancels(item: Item) -> None:
        Item.objects.filter(pk=item.pk).update(status=ItemStatus.INACTIVE)

    monkeypatch.setattr(services, "item_perform_work", owner_cancels)
    item = Item.objects.create(owner=make_user(), title="work", status=ItemStatus.QUEUED)
    assert process_item.call(item.pk) == "skipped"
    item.refresh_from_db()
    assert item.status == "inactive"
    assert processed_signals == []


def test_work_duration_comes_from_settings(make_user: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(services.time, "sleep", slept.append)
    settings.ITEMS_PROCESS_SECONDS = 0.25
    item = Item.objects.create(owner=make_user(), title="work", status=ItemStatus.QUEUED)
    process_item.call(item.pk)
    assert slept == [0.25]
