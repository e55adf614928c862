"""Spans in classes of doubling length: how long a ticket stayed in progress, or a lot held points.

Class 0 is a span up to an hour, class c up to 2**c hours, the last class anything longer. A thing
that was in progress (or live) at an instant and ended since ended within its class's bound of that
instant, so the things in progress at an instant are, per class, a short range of ending times
after it (as-of reads, `services.asof`): however long the history after the instant, each range
holds about twice the things it answers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

SPAN_UNIT = timedelta(hours=1)
SPAN_CLASSES = 17  # 0 … 16; the last: longer than 2**15 hours (about 3.7 years), unbounded
_UNIT_US = SPAN_UNIT // timedelta(microseconds=1)


def span_class(start: datetime, end: datetime) -> int:
    """The class of a span from `start` to `end`: the least `c` with the span at most
    `span_bound(c)` (exact, in whole microseconds; an end before its start is class 0)."""
    span_us = (end - start) // timedelta(microseconds=1)
    return min(((max(span_us, 1) - 1) // _UNIT_US).bit_length(), SPAN_CLASSES - 1)


def span_bound(cls: int) -> timedelta | None:
    """The longest span of class `cls` (None for the last class: no bound)."""
    return SPAN_UNIT * (1 << cls) if cls < SPAN_CLASSES - 1 else None
