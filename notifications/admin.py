from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "recipient", "type", "actor", "priority", "text", "created_at", "read_at"]
    list_filter = ["type", "priority", ("read_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["recipient__username", "actor__username", "text", "group_key"]
    list_select_related = ["recipient", "actor"]
    raw_id_fields = ["recipient", "actor"]
    readonly_fields = ["created_at", "content_type", "object_id", "group_key", "context_key", "target_summary"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
