"""Expiry notices and low-balance crossings: the rules at their edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from points_service.domain.events import crossing, days_left, notice_due

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
NOTICES = (30, 7)


def at(days: float) -> datetime:
    return NOW + timedelta(days=days)


@pytest.mark.parametrize(
    ("left", "sent", "due"),
    [
        (31, None, None),  # more than every notice
        (30.0001, None, None),  # a hair more than 30 days
        (30, None, 30),  # exactly 30 days left: the 30-day notice
        (29, None, 30),
        (29, 30, None),  # already told
        (7, 30, 7),  # the next notice
        (7, 7, None),
        (6, None, 7),  # late: less than both, only the smallest
        (0.5, 7, None),
        (0, None, None),  # expired: no notice
        (-1, None, None),
    ],
)
def test_notice_due(left: float, sent: int | None, due: int | None) -> None:
    assert notice_due(at(left), NOW, NOTICES, sent) == due


def test_notice_order_of_configuration_does_not_matter() -> None:
    assert notice_due(at(5), NOW, (7, 30), None) == 7


@pytest.mark.parametrize(("left", "days"), [(30, 30), (29.99, 29), (0.5, 0), (7, 7)])
def test_days_left_rounds_down(left: float, days: int) -> None:
    assert days_left(at(left), NOW) == days


@pytest.mark.parametrize(
    ("available", "threshold", "low", "result"),
    [
        (9, 10, False, True),  # falls below
        (10, 10, False, None),  # at the threshold is not below
        (9, 10, True, None),  # still below: told once
        (10, 10, True, False),  # back at it: recovered
        (0, None, False, None),  # no threshold
        (0, None, True, False),  # threshold removed
        (0, 0, False, None),  # threshold 0: never below
    ],
)
def test_crossing(available: int, threshold: int | None, low: bool, result: bool | None) -> None:
    assert crossing(available, threshold, low) is result
