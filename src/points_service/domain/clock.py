"""Time: every instant is an aware UTC datetime; tests inject their own clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Protocol

# RFC 3339 `date-time`: a full date, a full time and an offset. ISO 8601 parsers (Python's and
# pydantic's) also take Unix times, a space for the `T`, dates alone and times without an offset.
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
RFC3339_EXAMPLE = "2026-11-26T10:00:00Z"
OUT_OF_CALENDAR = "must fall within the years 1 to 9999 once converted to UTC"


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def parse_instant(text: str) -> datetime:
    """The instant an RFC 3339 timestamp names, as an aware UTC datetime.

    Every timestamp the service accepts (the API's fields and the billing events' dates) comes
    through here; `ValueError` says what is wrong, in words fit for a client."""
    if not _RFC3339.fullmatch(text):
        raise ValueError(f"must be an RFC 3339 timestamp with an offset, like {RFC3339_EXAMPLE}")
    try:
        moment = datetime.fromisoformat(text.upper())  # 3.11 reads `Z`, not `z` or `t`
    except ValueError as exc:
        raise ValueError(f"is not a date and time that exists ({exc})") from None
    return to_utc(moment)


def to_utc(moment: datetime) -> datetime:
    """An aware datetime in UTC; `ValueError` when UTC has no such date (before year 1, after 9999)."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(OUT_OF_CALENDAR) from None


def add_years(moment: datetime, years: int) -> datetime:
    """The same UTC time of day `years` calendar years later; 29 February becomes 28 February."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February into a common year
        return moment.replace(year=moment.year + years, day=28)


class PastTheCalendarError(ValueError):
    """An expiry that would fall after the year 9999, the last a datetime (and the API) can hold."""


def expiry_from(moment: datetime) -> datetime:
    """Points expire two calendar years after they arrive, counted in UTC."""
    try:
        return add_years(moment.astimezone(UTC), 2)
    except ValueError:
        raise PastTheCalendarError("the points would expire after the year 9999; give an expiry") from None


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    """At `expires_at` the points no longer count."""
    return expires_at is not None and now >= expires_at


MAX_PERIOD_YEARS = 10  # the longest period a report or an export covers


def period_error(start: datetime, end: datetime, now: datetime | None = None) -> tuple[str, str] | None:
    """What is wrong with the period [start, end) of a report or an export, if anything: the
    bound at fault (`from` or `to`) and why. An empty period (`start == end`) is a valid one.
    With `now` (the finance report: it covers what was recorded), the period must have ended."""
    if start > end:
        return "from", "must not be after to"
    if now is not None and end > now:
        return "to", "must not be in the future: a report covers what was recorded"
    try:
        longest = add_years(start, MAX_PERIOD_YEARS)
    except ValueError:  # within 10 years of the calendar's end: no period can be longer
        return None
    if end > longest:
        return "to", f"must be at most {MAX_PERIOD_YEARS} years after from"
    return None
