from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from items.models import Item
from items.services import item_requeue


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "status", "processed_at", "updated_at")
    list_filter = ("status",)
    search_fields = ("title", "owner__username")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
    readonly_fields = ("processed_at", "last_error", "created_at", "updated_at")
    date_hierarchy = "created_at"
    actions = ("requeue_processing",)

    @admin.action(description="Queue processing again (also for items stuck in processing)")
    def requeue_processing(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        count = item_requeue(items=queryset)
        self.message_user(request, f"Queued {count} item(s) for processing.", messages.SUCCESS)
