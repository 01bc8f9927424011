"""Project-wide pagination: the one pagination class of every list endpoint.

Limit/offset with a ceiling: DRF's default has no max_limit, so `?limit=10**20`
would reach PostgreSQL as a LIMIT that overflows bigint (a 500). `?skip=` is an alias of
`?offset=` (the gRTC seed's name for it, `GET /api/items/?skip=0&limit=100`).
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """limit/offset; a value that is not a non-negative integer is a 400 (DRF would silently ignore it)."""

    default_limit = 20
    max_limit = 100

    def get_limit(self, request: Request) -> int | None:
        self._check_int(request, self.limit_query_param, minimum=1)
        return super().get_limit(request)

    skip_query_param = "skip"

    def get_offset(self, request: Request) -> int:
        self._check_int(request, self.offset_query_param, minimum=0)
        self._check_int(request, self.skip_query_param, minimum=0)
        if self.offset_query_param not in request.query_params and self.skip_query_param in request.query_params:
            return int(request.query_params[self.skip_query_param])
        return super().get_offset(request)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1 if parameter["name"] == self.limit_query_param else 0
        parameters.append(
            {
                "name": self.skip_query_param,
                "required": False,
                "in": "query",
                "description": f"Alias of `{self.offset_query_param}` (used when it is absent).",
                "schema": {"type": "integer", "minimum": 0},
            }
        )
        return parameters

    @staticmethod
    def _check_int(request: Request, name: str, *, minimum: int) -> None:
        for raw in request.query_params.getlist(name):
            if not raw.isascii() or not raw.isdigit() or int(raw) < minimum:
                raise ValidationError({name: [f"Must be an integer of at least {minimum}."]})
