"""The instants the tests share, and API timestamps to and from datetimes."""

from __future__ import annotations

from datetime import UTC, datetime

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # the test clock's start (conftest's FrozenClock)
T0_PLUS_2Y = datetime(2028, 1, 15, 12, 0, tzinfo=UTC)  # two calendar years later: when a purchase at T0 expires


def ts(value: str | None) -> datetime | None:
    """An API timestamp (or null) as a datetime."""
    return None if value is None else datetime.fromisoformat(value)


def iso(moment: datetime) -> str:
    return moment.isoformat()
