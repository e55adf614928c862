"""Opaque, time-ordered identifiers: `lot_01J…`, `tkt_01J…`."""

from ulid import ULID


def new_id(prefix: str) -> str:
    return f"{prefix}_{ULID()}"
