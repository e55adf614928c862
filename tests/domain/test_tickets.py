"""The ticket state machine and credit limits (docs/design.md §3)."""

import itertools
from typing import ClassVar

import pytest

from points_service.domain.errors import InvalidStateError, RuleViolationError
from points_service.domain.tickets import TicketAction, TicketStatus, check_credit, check_transition

OPEN, RESOLVED, REFUNDED = TicketStatus.OPEN, TicketStatus.RESOLVED, TicketStatus.REFUNDED
WAITING = TicketStatus.AWAITING_POINTS
ADJUST, RESOLVE, REFUND, CREDIT, CAPTURE = (
    TicketAction.ADJUSTED,
    TicketAction.RESOLVED,
    TicketAction.REFUNDED,
    TicketAction.CREDITED,
    TicketAction.CAPTURED,
)

ALLOWED = {
    (OPEN, ADJUST),
    (OPEN, RESOLVE),
    (OPEN, REFUND),
    (RESOLVED, REFUND),
    (RESOLVED, CREDIT),
    (WAITING, ADJUST),  # what it waits for
    (WAITING, REFUND),  # nothing to return
    (WAITING, CAPTURE),  # points arrived
}
TRANSITIONS = [ADJUST, RESOLVE, REFUND, CREDIT, CAPTURE]
FORBIDDEN = [pair for pair in itertools.product(TicketStatus, TRANSITIONS) if pair not in ALLOWED]


class TestCheckTransition:
    @pytest.mark.parametrize(("status", "action"), sorted(ALLOWED), ids=lambda v: str(v))
    def test_allowed(self, status, action):
        check_transition(status, action)

    @pytest.mark.parametrize(("status", "action"), FORBIDDEN, ids=lambda v: str(v))
    def test_forbidden_raises_invalid_state(self, status, action):
        with pytest.raises(InvalidStateError) as info:
            check_transition(status, action)
        assert info.value.extra["ticket_status"] == str(status)

    def test_every_pair_is_covered(self):
        assert len(ALLOWED) + len(FORBIDDEN) == len(TicketStatus) * len(TRANSITIONS)

    @pytest.mark.parametrize("status", list(TicketStatus), ids=str)
    def test_opened_is_never_a_transition(self, status):
        with pytest.raises(InvalidStateError):
            check_transition(status, TicketAction.OPENED)


class TestCheckCredit:
    # deducted 100, of which 30 already returned: credits of 1..70 are allowed
    LIMITS: ClassVar[dict[str, int]] = {"deducted": 100, "returned": 30}

    def test_accepts_one(self):
        check_credit(1, **self.LIMITS)

    def test_accepts_the_maximum(self):
        check_credit(70, **self.LIMITS)

    @pytest.mark.parametrize("points", [0, 71, -1])
    def test_rejects_outside_range(self, points):
        with pytest.raises(RuleViolationError) as info:
            check_credit(points, **self.LIMITS)
        assert info.value.pointer == "/points"
        assert info.value.extra["max_points"] == 70

    def test_rejects_any_credit_when_everything_returned(self):
        with pytest.raises(RuleViolationError) as info:
            check_credit(1, deducted=50, returned=50)
        assert info.value.extra["max_points"] == 0


# ---- waiting tickets: strictly first come, first served ------------------------------------------

from points_service.domain.tickets import first_served  # noqa: E402  # the section's subject


def test_first_served_captures_in_order_while_they_fit() -> None:
    assert first_served([("a", 40), ("b", 50), ("c", 5)], 100) == ["a", "b", "c"]
    assert first_served([("a", 40), ("b", 50)], 60) == ["a"]


def test_first_served_never_lets_a_small_ticket_overtake() -> None:
    assert first_served([("big", 500), ("small", 5)], 60) == []


def test_first_served_takes_exact_fits_and_zero_point_tickets() -> None:
    assert first_served([("a", 60), ("z", 0)], 60) == ["a", "z"]
    assert first_served([], 60) == []
