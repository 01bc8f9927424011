"""Kept for imports inside accounts/social; the class lives in realtime.pagination."""

from realtime.pagination import BoundedLimitOffsetPagination

__all__ = ["BoundedLimitOffsetPagination"]
