"""Reads of items."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from items.models import Item


def item_visible_to(*, user: User) -> QuerySet[Item]:
    """Items `user` may see and change: their own, or every item for staff."""
    queryset = Item.objects.select_related("owner")
    if not user.is_staff:
        queryset = queryset.filter(owner_id=user.pk)
    return queryset


def item_list_for_user(*, user: User, status: str | None = None) -> QuerySet[Item]:
    """The items page: newest first (served by the (owner, -created_at) index), optionally one status."""
    queryset = item_visible_to(user=user)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-id")
