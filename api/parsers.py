"""JSON in: numbers with a fraction or an exponent never become floats.

Money, quantities and percentages travel as decimal strings ("12.50") or integers (12).
`json` would turn 12.5 into a binary float, which cannot hold 0.10 exactly; so the parser keeps
such literals as `JsonFloat` (a str subclass remembering the text) and the amount fields refuse
them with a message saying what to send instead. NaN and Infinity are parse errors.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class JsonFloat(str):
    """The text of a JSON number that has a fraction or an exponent."""

    __slots__ = ()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class StrictJSONParser(JSONParser):
    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            decoded = codecs.getreader(encoding)(stream)
            return json.load(decoded, parse_float=JsonFloat, parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise ParseError(f"The body is not valid JSON: {exc}") from None
