"""Project-wide pagination.

Limit/offset with a ceiling: DRF's default has no max_limit, so `?limit=10**20`
would reach PostgreSQL as a LIMIT that overflows bigint (a 500).
"""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    default_limit = 20
    max_limit = 100
