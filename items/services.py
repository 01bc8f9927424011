"""Every write to items. Keyword-only, one transaction each, events after commit.

Ownership: `item_update` / `item_delete` receive an item the caller already
scoped to the user (the API's queryset); services that take `user` check it
themselves (owner or staff) and answer "not found" for others' items, so they
cannot be used to probe which ids exist.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from items import events
from items.models import BUSY_STATUSES, Item, ItemStatus
from items.signals import item_processed
from realtime.errors import Conflict, NotFound
from realtime.groups import user_group
from realtime.logging import request_id_var
from realtime.publish import build_message, publish, publish_messages

logger = logging.getLogger(__name__)

BULK_MAX_ITEMS = 500
LAST_ERROR_MAX_LENGTH = 2000


class ProcessingError(Exception):
    """Raised by the processing step for an item that cannot be processed (-> failed)."""


# --- events --------------------------------------------------------------------


def _publish_item_event(
    item: Item, event_class: type[events.ItemCreated | events.ItemUpdated] = events.ItemUpdated
) -> None:
    publish(user_group(item.owner_id), event_class(**events.ItemData.fields_of(item)))


# --- CRUD ----------------------------------------------------------------------


def item_create(*, owner: User, title: str, description: str = "", status: str = ItemStatus.ACTIVE) -> Item:
    """Create one item for `owner` from checked data (`ItemInput`). Publishes `item_created` after commit."""
    with transaction.atomic():
        item = Item.objects.create(owner=owner, title=title.strip(), description=description, status=status)
        _publish_item_event(item, events.ItemCreated)
    return item


def item_update(
    *, item: Item, title: str | None = None, description: str | None = None, status: str | None = None
) -> Item:
    """Change the given fields (None = unchanged) of an item the caller may edit.

    Setting a user status on a queued/processing item cancels the processing: the
    worker only acts on items still in its own state. Publishes `item_updated`. The data was
    checked by `ItemUpdateInput`.
    """
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = title.strip()
    if description is not None:
        changes["description"] = description
    if status is not None:
        changes["status"] = status
    with transaction.atomic():
        for name, value in changes.items():
            setattr(item, name, value)
        item.save(update_fields=[*changes, "updated_at"])
        _publish_item_event(item)
    return item


def item_delete(*, item: Item) -> None:
    """Delete the item. Publishes `item_deleted` {id} to the owner after commit."""
    item_id, owner_id = item.pk, item.owner_id
    with transaction.atomic():
        item.delete()
        publish(user_group(owner_id), events.ItemDeleted(id=item_id))


def item_bulk_create(*, owner: User, items: list[dict[str, Any]]) -> list[Item]:
    """Create the items (`ItemBulkCreateInput` checked them: 1 to 500 valid entries) with ONE
    bulk INSERT in one transaction. Publishes `items_bulk_created`."""
    rows = [
        Item(
            owner=owner,
            title=data["title"].strip(),
            description=data.get("description") or "",
            status=data.get("status") or ItemStatus.ACTIVE,
        )
        for data in items
    ]
    with transaction.atomic():
        # PostgreSQL returns the new primary keys from the single INSERT ... RETURNING.
        created = Item.objects.bulk_create(rows, batch_size=BULK_MAX_ITEMS)
        publish(user_group(owner.pk), events.ItemsBulkCreated(ids=[item.pk for item in created], count=len(created)))
    return created


def item_bulk_status_update(*, user: User, ids: list[int], status: str) -> int:
    """Set `status` on every item in `ids` with ONE UPDATE; returns the number changed.

    All or nothing: if any id does not exist or is not the user's (staff may
    update any item), raises NotFound naming those ids (also in
    `extra["missing_ids"]`) and changes nothing.
    The rows are locked (SELECT ... FOR UPDATE) between the check and the UPDATE.
    Publishes `item_updated` per item and one `items_bulk_status_updated` per owner.
    """
    unique_ids = list(dict.fromkeys(ids))  # `ItemBulkStatusInput` checked the status and the count
    with transaction.atomic():
        visible = Item.objects.filter(pk__in=unique_ids)
        if not user.is_staff:
            visible = visible.filter(owner_id=user.pk)
        rows = list(visible.select_for_update().order_by("pk").values("id", "title", "owner_id", "processed_at"))
        found = {row["id"] for row in rows}
        missing = [pk for pk in unique_ids if pk not in found]
        if missing:
            raise NotFound(
                f"These items do not exist or are not yours: {', '.join(str(pk) for pk in missing)}.",
                extra={"missing_ids": missing},
            )
        now = timezone.now()
        updated = Item.objects.filter(pk__in=found).update(status=status, updated_at=now)
        messages: list[tuple[str, dict[str, Any]]] = []
        by_owner: dict[int, list[int]] = {}
        for row in rows:
            updated_event = events.ItemUpdated(
                id=row["id"], title=row["title"], status=status, processed_at=row["processed_at"], updated_at=now
            )
            messages.append((user_group(row["owner_id"]), build_message(updated_event)))
            by_owner.setdefault(row["owner_id"], []).append(row["id"])
        for owner_id, owner_ids in by_owner.items():
            messages.append(
                (
                    user_group(owner_id),
                    build_message(events.ItemsBulkStatusUpdated(ids=owner_ids, status=status, count=len(owner_ids))),
                )
            )
        publish_messages(messages)
    return updated


# --- processing ----------------------------------------------------------------


def _enqueue_processing(item_id: int) -> None:
    """Runs after commit: put the task in the queue; if that fails, mark the item failed."""
    from items.tasks import process_item

    try:
        # The request id travels with the task: the worker's log lines for it carry the same id.
        process_item.enqueue(item_id, request_id=request_id_var.get())
    except Exception as exc:
        logger.exception("item_enqueue_failed", extra={"item_id": item_id})
        with transaction.atomic():
            now = timezone.now()
            if Item.objects.filter(pk=item_id, status=ItemStatus.QUEUED).update(
                status=ItemStatus.FAILED, last_error=f"Could not enqueue: {exc}"[:LAST_ERROR_MAX_LENGTH], updated_at=now
            ):
                item = Item.objects.get(pk=item_id)
                _publish_item_event(item)


def item_process_request(*, user: User, item: Item) -> Item:
    """Queue background processing of `item` for `user` (its owner, or staff).

    Marks the item `queued` and enqueues `items.tasks.process_item` after commit,
    so the worker never sees a task for an uncommitted state. Raises NotFound
    for others' items and Conflict (409) when it is already queued or processing.
    """
    with transaction.atomic():
        try:
            locked = Item.objects.select_for_update().get(pk=item.pk)
        except Item.DoesNotExist:
            raise NotFound("Item not found.")
        if locked.owner_id != user.pk and not user.is_staff:
            raise NotFound("Item not found.")
        if locked.status in BUSY_STATUSES:
            raise Conflict(f"Item {locked.pk} is already {locked.status}.", code="already_processing")
        locked.status = ItemStatus.QUEUED
        locked.last_error = ""
        locked.save(update_fields=["status", "last_error", "updated_at"])
        _publish_item_event(locked)
        item_id = locked.pk
        transaction.on_commit(lambda: _enqueue_processing(item_id))
    return locked


def item_requeue(*, items: Iterable[Item]) -> int:
    """Admin recovery: queue the given items again, whatever their state.

    Meant for items stuck in `processing` after a worker crash. A second task for
    an item already queued is harmless: only one worker can claim it. Returns the count.
    """
    ids = [item.pk for item in items]
    if not ids:
        return 0
    with transaction.atomic():
        now = timezone.now()
        count = Item.objects.filter(pk__in=ids).update(status=ItemStatus.QUEUED, last_error="", updated_at=now)
        for item in Item.objects.filter(pk__in=ids):
            _publish_item_event(item)
        for item_id in ids:
            transaction.on_commit(functools.partial(_enqueue_processing, item_id))
    return count


def _process_seconds() -> float:
    return settings.ITEMS_PROCESS_SECONDS


def item_perform_work(item: Item) -> None:
    """The (simulated) work. Raise ProcessingError to fail the item with a message.

    A stand-in for real work (thumbnailing, an external API call): it only takes time.
    """
    seconds = _process_seconds()
    if seconds > 0:
        time.sleep(seconds)


def item_process_run(item_id: int) -> Item | None:
    """Run processing for one item; the body of the background task.

    Idempotent: it only acts on an item in `queued` state, claimed with a
    conditional UPDATE (queued -> processing), so a duplicate task, a second
    worker or a restart never processes an item twice. The result is written
    only if the item is still `processing` (the owner may have changed it).
    Ends in `processed` or `failed` (with `last_error`), publishes `item_updated`
    on each step and sends `items.signals.item_processed(item=...)` at the end.
    Returns the item, or None when there was nothing to do.
    """
    with transaction.atomic():
        claimed = Item.objects.filter(pk=item_id, status=ItemStatus.QUEUED).update(
            status=ItemStatus.PROCESSING, updated_at=timezone.now()
        )
        if not claimed:
            logger.info("item_process_skipped", extra={"item_id": item_id})
            return None
        item = Item.objects.get(pk=item_id)
        _publish_item_event(item)

    error = ""
    try:
        item_perform_work(item)
    except ProcessingError as exc:
        error = str(exc) or "Processing failed."
    except Exception as exc:  # an unexpected bug still ends in `failed`, never stuck in `processing`
        logger.exception("item_process_crashed", extra={"item_id": item_id})
        error = f"{type(exc).__name__}: {exc}"

    with transaction.atomic():
        now = timezone.now()
        final = ItemStatus.FAILED if error else ItemStatus.PROCESSED
        written = Item.objects.filter(pk=item_id, status=ItemStatus.PROCESSING).update(
            status=final, processed_at=now, last_error=error[:LAST_ERROR_MAX_LENGTH], updated_at=now
        )
        if not written:  # deleted or changed by the owner meanwhile: their change wins
            logger.info("item_process_result_discarded", extra={"item_id": item_id})
            return None
        item.refresh_from_db()
        _publish_item_event(item)
        item_processed.send(sender=Item, item=item)
    logger.info("item_processed", extra={"item_id": item_id, "status": final})
    return item
