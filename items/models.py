"""Items: the CRUD resource, with a small background-processing state machine.

State machine (see README, "Items"):

    active / inactive / pending   <- set freely by the owner (create, update, bulk status)
          |  POST /process/ (item_process_request)
          v
        queued  --(worker claims it)-->  processing  --+--> processed
                                                      +--> failed (last_error set)

processed / failed items can be set back to a user status or queued again.
Requesting processing of a queued or processing item is a 409 Conflict.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ItemStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    PENDING = "pending", "Pending"
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed"


# Statuses an owner may set directly; the processing states are only entered through
# item_process_request / item_process_run so the worker's claim logic stays sound.
USER_STATUSES: tuple[str, ...] = (ItemStatus.ACTIVE, ItemStatus.INACTIVE, ItemStatus.PENDING)
# While in one of these a task is (or will be) working on the item.
BUSY_STATUSES: tuple[str, ...] = (ItemStatus.QUEUED, ItemStatus.PROCESSING)

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 5000


class Item(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="items")
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(max_length=DESCRIPTION_MAX_LENGTH, blank=True, default="")
    status = models.CharField(max_length=16, choices=ItemStatus.choices, default=ItemStatus.ACTIVE)
    processed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "status"], name="item_owner_status_idx"),
            models.Index(fields=["owner", "-created_at"], name="item_owner_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=ItemStatus.values), name="item_status_valid"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_busy(self) -> bool:
        return self.status in BUSY_STATUSES
