from django.contrib import admin

from rtc.models import Room, RoomBan, RoomMember


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["room_id", "title", "owner", "visibility", "lobby_enabled", "created_at"]
    list_filter = ["visibility", "lobby_enabled"]
    search_fields = ["room_id", "title", "owner__username"]
    list_select_related = ["owner"]
    readonly_fields = ["invite_token", "created_at"]


@admin.register(RoomMember)
class RoomMemberAdmin(admin.ModelAdmin):
    list_display = ["room", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["room__room_id", "user__username"]
    list_select_related = ["room", "user"]


@admin.register(RoomBan)
class RoomBanAdmin(admin.ModelAdmin):
    list_display = ["room", "user", "banned_by", "created_at"]
    search_fields = ["room__room_id", "user__username"]
    list_select_related = ["room", "user", "banned_by"]
