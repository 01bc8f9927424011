from django.contrib import admin

from chat.models import Conversation, Membership, Message


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)
    readonly_fields = ("joined_at",)


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "title", "direct_key", "created_at", "last_message_at")
    list_filter = ("kind", "created_at")
    search_fields = ("title", "direct_key", "memberships__user__username")
    raw_id_fields = ("last_message",)
    readonly_fields = ("created_at",)
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("id", "conversation", "user", "last_delivered_message_id", "last_read_message_id", "joined_at")
    list_select_related = ("conversation", "user")
    search_fields = ("user__username", "conversation__title")
    raw_id_fields = ("conversation", "user")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "conversation", "sender", "short_text", "client_id", "created_at")
    list_select_related = ("conversation", "sender")
    list_filter = ("created_at",)
    search_fields = ("text", "sender__username", "client_id")
    raw_id_fields = ("conversation", "sender")
    date_hierarchy = "created_at"

    @admin.display(description="text")
    def short_text(self, obj: Message) -> str:
        return obj.text if len(obj.text) <= 60 else obj.text[:57] + "..."
