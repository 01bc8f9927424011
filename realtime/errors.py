"""Errors that services raise and both transports understand.

A service raises `ServiceError` subclasses; the REST layer turns them into
4xx responses (see `realtime.api`), the WebSocket layer into `error` frames
(see `realtime.consumers`). One error, two renderings: no duplicated checks.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, status


class ServiceError(Exception):
    code = "invalid"
    http_status: int = status.HTTP_400_BAD_REQUEST

    def __init__(
        self, message: str, *, code: str | None = None, field: str | None = None, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.extra = extra or {}

    def as_api_exception(self) -> exceptions.APIException:
        if self.http_status == status.HTTP_404_NOT_FOUND:
            return exceptions.NotFound(self.message, code=self.code)
        if self.http_status == status.HTTP_403_FORBIDDEN:
            return exceptions.PermissionDenied(self.message, code=self.code)
        if self.http_status == status.HTTP_409_CONFLICT:
            exc = exceptions.APIException(self.message, code=self.code)
            exc.status_code = status.HTTP_409_CONFLICT
            return exc
        if self.field:
            return exceptions.ValidationError({self.field: [self.message]}, code=self.code)
        if self.extra:
            return exceptions.ValidationError({"non_field_errors": [self.message], **self.extra}, code=self.code)
        return exceptions.ValidationError({"non_field_errors": [self.message]}, code=self.code)


class InvalidInput(ServiceError):
    code = "invalid"


class NotFound(ServiceError):
    code = "not_found"
    http_status = status.HTTP_404_NOT_FOUND


class Forbidden(ServiceError):
    code = "forbidden"
    http_status = status.HTTP_403_FORBIDDEN


class Conflict(ServiceError):
    code = "conflict"
    http_status = status.HTTP_409_CONFLICT


class BadRequest(ServiceError):
    """A 400 whose body keeps its own `code` (`{"detail", "code"}`), unlike field errors (code `invalid`).

    For refusals a client must tell apart, e.g. a room id that is taken (`room_id_taken`).
    """

    code = "bad_request"

    def as_api_exception(self) -> exceptions.APIException:
        exc = exceptions.APIException(self.message, code=self.code)
        exc.status_code = status.HTTP_400_BAD_REQUEST
        return exc
