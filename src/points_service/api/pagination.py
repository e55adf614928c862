"""Opaque cursors, valid only for the endpoint and filters that produced them."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Query

from ..domain.clock import parse_instant
from .problems import validation_problem

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
Cursor = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=1000,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="`next_cursor` of the previous page (opaque; valid only with the same endpoint and filters)",
    ),
]


def scope_of(endpoint: str, **filters: Any) -> str:
    """A short fingerprint of the endpoint and its filters (order-insensitive for lists)."""
    canonical = {k: sorted(v) if isinstance(v, list) else v for k, v in filters.items() if v is not None}
    raw = json.dumps([endpoint, canonical], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def encode_cursor(scope: str, key: list[Any] | None) -> str | None:
    if key is None:
        return None
    raw = json.dumps({"s": scope, "k": key}, separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def text(value: Any) -> str:
    """A text key part; never with NUL (PostgreSQL cannot even compare it: a crafted cursor would
    otherwise reach the database)."""
    if not isinstance(value, str) or "\x00" in value:
        raise TypeError(value)
    return value


def integer(value: Any) -> int:
    """An integer key part, within the database's BIGINT (a crafted cursor must not overflow it)."""
    if not isinstance(value, int) or isinstance(value, bool) or not -(2**63) <= value < 2**63:
        raise TypeError(value)
    return value


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(value)
    return value


def instant(value: Any) -> str:
    """An ISO 8601 timestamp with an offset, kept as text (keys compare as they were encoded)."""
    stamp = text(value)
    parse_instant(stamp)  # RFC 3339 with an offset, within the calendar in UTC (else ValueError)
    return stamp


def decode_cursor(cursor: str | None, scope: str, *parts: Callable[[Any], Any]) -> list[Any] | None:
    """The key inside `cursor`, each part checked by its parser; 422 for anything else."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        key = data["k"]
        if data["s"] != scope or not isinstance(key, list) or len(key) != len(parts):
            raise ValueError(cursor)
        return [parse(part) for parse, part in zip(parts, key, strict=True)]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise validation_problem(
            "#/query/cursor", "the cursor is not valid for this endpoint and these filters"
        ) from None
