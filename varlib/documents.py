"""Untrusted JSON documents from storage: parsed within bounds, then checked field by field before any work.

Every failure is an IntegrityError naming the object and the field, never a crash: a stored document may be
corrupted or crafted (deep nesting, huge integers, NaN, wrong types, absurd sizes).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from varlib.errors import IntegrityError

MAX_TEXT = 10_000  # characters in any stored text field (notes are at most this long)
MAX_NAME = 200  # characters in a variable name


def parse_json(data: bytes, key: str) -> dict[str, Any]:
    """A JSON object from stored bytes; anything else (bad UTF-8, NaN, 10,000-digit numbers, nesting) is refused."""
    try:
        document = json.loads(data, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        # ValueError covers malformed JSON, NaN/Infinity and integers past Python's digit limit.
        raise IntegrityError(f"{key} is not valid JSON: it is corrupted or was changed after publishing.") from None
    if not isinstance(document, dict):
        raise IntegrityError(f"{key} does not hold a JSON object: it is corrupted or was changed after publishing.")
    return document


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


class Fields:
    """Typed access to one JSON object's fields, each failure naming `key` and the field's dotted path."""

    def __init__(self, document: Any, key: str, path: str = "") -> None:
        self.key = key
        self.path = path
        if not isinstance(document, dict):
            self.fail("is not a JSON object")
        self.document: dict[str, Any] = document

    def fail(self, problem: str, field: str | None = None) -> None:
        where = ".".join(p for p in (self.path, field) if p)
        raise IntegrityError(f"{self.key}: field {where or '(top level)'} {problem}.")

    def get(self, field: str) -> Any:
        if field not in self.document:
            self.fail("is missing", field)
        return self.document[field]

    def sub(self, field: str) -> Fields:
        return Fields(self.get(field), self.key, ".".join(p for p in (self.path, field) if p))

    def text(self, field: str, max_length: int = MAX_TEXT, *, optional: bool = False) -> str:
        value = self.document.get(field, "") if optional else self.get(field)
        if not isinstance(value, str):
            self.fail("is not text", field)
        if len(value) > max_length:
            self.fail(f"is longer than {max_length:,} characters", field)
        return value

    def choice(self, field: str, allowed: tuple[str, ...]) -> str:
        value = self.get(field)
        if value not in allowed:
            self.fail(f"is not one of {', '.join(allowed)}", field)
        return value

    def integer(self, field: str, low: int, high: int) -> int:
        value = self.get(field)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail("is not a whole number", field)
        if not low <= value <= high:
            self.fail(f"is {value}, outside {low:,} to {high:,}", field)
        return value

    def number(self, field: str, *, optional: bool = False) -> float | None:
        value = self.get(field)
        if value is None and optional:
            return None
        if not is_number(value):
            self.fail("is not a finite number", field)
        return float(value)

    def boolean(self, field: str) -> bool:
        value = self.get(field)
        if not isinstance(value, bool):
            self.fail("is not true or false", field)
        return value

    def items(self, field: str, max_items: int, check: Callable[[Any], bool], what: str) -> list[Any]:
        value = self.get(field)
        if not isinstance(value, list):
            self.fail("is not a list", field)
        if len(value) > max_items:
            self.fail(f"has {len(value):,} entries, more than {max_items:,}", field)
        if not all(check(item) for item in value):
            self.fail(f"holds something other than {what}", field)
        return value

    def mapping(self, field: str, max_items: int) -> dict[str, Any]:
        value = self.get(field)
        if not isinstance(value, dict):
            self.fail("is not a JSON object", field)
        if len(value) > max_items:
            self.fail(f"has {len(value):,} entries, more than {max_items:,}", field)
        return value


def is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer too large for a float
        return False


def is_text(value: Any, max_length: int = MAX_TEXT) -> bool:
    return isinstance(value, str) and len(value) <= max_length


def nested_numbers(value: Any, shape: tuple[int, ...]) -> bool:
    """Whether `value` is nested lists of exactly `shape`, holding finite numbers (checked before numpy sees it)."""
    if not shape:
        return is_number(value)
    if not isinstance(value, list) or len(value) != shape[0]:
        return False
    return all(nested_numbers(item, shape[1:]) for item in value)


def nested_numbers_or_null(value: Any, shape: tuple[int, ...]) -> bool:
    """As nested_numbers, with null allowed for a statistic that is undefined (stored as JSON null)."""
    if not shape:
        return value is None or is_number(value)
    if not isinstance(value, list) or len(value) != shape[0]:
        return False
    return all(nested_numbers_or_null(item, shape[1:]) for item in value)
