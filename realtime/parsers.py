"""The project's JSON parser for DRF (`DEFAULT_PARSER_CLASSES`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from realtime.jsonlimits import JSONTooDeep, check_depth, max_depth


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a nesting cap (`JSON_MAX_DEPTH`): a too deep body is a 400, never a
    RecursionError (500), and views never see a structure deeper than the cap."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
            check_depth(data)
        except RecursionError:
            raise ParseError(f"JSON parse error - {JSONTooDeep(max_depth())}") from None
        except JSONTooDeep as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        return data
