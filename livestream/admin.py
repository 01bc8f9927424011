from django.contrib import admin

from livestream.models import Ban, ChannelRole, Kick, LiveComment, Stream


@admin.register(Stream)
class StreamAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "title",
        "streamer",
        "status",
        "current_viewers",
        "peak_viewers",
        "started_at",
        "ended_at",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["title", "streamer__username"]
    list_select_related = ["streamer"]


@admin.register(ChannelRole)
class ChannelRoleAdmin(admin.ModelAdmin):
    list_display = ["streamer", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["streamer__username", "user__username"]
    list_select_related = ["streamer", "user"]


@admin.register(Ban)
class BanAdmin(admin.ModelAdmin):
    list_display = ["streamer", "user", "banned_by", "created_at"]
    search_fields = ["streamer__username", "user__username"]
    list_select_related = ["streamer", "user", "banned_by"]


@admin.register(Kick)
class KickAdmin(admin.ModelAdmin):
    list_display = ["stream", "user", "kicked_by", "created_at"]
    search_fields = ["user__username"]
    list_select_related = ["stream", "user", "kicked_by"]


@admin.register(LiveComment)
class LiveCommentAdmin(admin.ModelAdmin):
    list_display = ["id", "stream", "author", "badge", "text", "deleted_at", "created_at"]
    list_filter = ["badge"]
    search_fields = ["text", "author__username"]
    list_select_related = ["stream", "author"]
