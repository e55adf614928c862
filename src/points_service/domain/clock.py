"""Time: every instant is an aware UTC datetime; tests inject their own clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def add_years(moment: datetime, years: int) -> datetime:
    """The same UTC time of day `years` calendar years later; 29 February becomes 28 February."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February into a common year
        return moment.replace(year=moment.year + years, day=28)


def expiry_from(moment: datetime) -> datetime:
    """Points expire two calendar years after they arrive, counted in UTC."""
    return add_years(moment.astimezone(UTC), 2)


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    """At `expires_at` the points no longer count."""
    return expires_at is not None and now >= expires_at
