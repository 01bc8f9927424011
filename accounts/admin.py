from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.forms import LockoutAdminAuthenticationForm
from accounts.models import Follow, User

# /admin/login/ says when a login is locked out (the backend refuses it either way).
admin.site.login_form = LockoutAdminAuthenticationForm


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("Profile", {"fields": ("display_name", "bio")}))
    add_fieldsets = (*(BaseUserAdmin.add_fieldsets or ()), ("Profile", {"fields": ("email", "display_name")}))
    list_display = ("username", "display_name", "email", "is_staff", "is_active", "date_joined")
    search_fields = ("username", "display_name", "email")


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ("id", "follower", "followee", "created_at")
    search_fields = ("follower__username", "followee__username")
    list_filter = ("created_at",)
    list_select_related = ("follower", "followee")
    raw_id_fields = ("follower", "followee")
    date_hierarchy = "created_at"
