"""Consumption order, allocation, unwinding and where returned points go (docs/design.md §3, §5)."""

from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest

from points_service.domain.errors import InsufficientPointsError
from points_service.domain.lots import (
    Allocation,
    LotKey,
    ReturnReason,
    ReturnTarget,
    allocate,
    return_target,
    spendable,
    unwind,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
GRACE = timedelta(days=30)
GRANTED = datetime(2024, 6, 1, tzinfo=UTC)


def lot(id, *, expires_at=NOW + 100 * DAY, granted_at=GRANTED, available=10):
    return LotKey(id=id, granted_at=granted_at, expires_at=expires_at, available=available)


def ids(lots):
    return [lot.id for lot in lots]


class TestConsumptionOrder:
    def test_soonest_expiry_first(self):
        lots = [lot("late", expires_at=NOW + 300 * DAY), lot("soon", expires_at=NOW + DAY), lot("mid")]
        assert ids(spendable(lots, NOW)) == ["soon", "mid", "late"]

    def test_never_expiring_last(self):
        lots = [lot("forever", expires_at=None), lot("far", expires_at=NOW + 10_000 * DAY)]
        assert ids(spendable(lots, NOW)) == ["far", "forever"]

    def test_never_expiring_lots_by_granted_at(self):
        lots = [
            lot("new", expires_at=None, granted_at=GRANTED + DAY),
            lot("old", expires_at=None, granted_at=GRANTED),
        ]
        assert ids(spendable(lots, NOW)) == ["old", "new"]

    def test_equal_expiry_earlier_grant_first(self):
        lots = [lot("a-new", granted_at=GRANTED + DAY), lot("b-old", granted_at=GRANTED)]
        assert ids(spendable(lots, NOW)) == ["b-old", "a-new"]

    def test_equal_expiry_and_grant_by_lot_id(self):
        lots = [lot("lot-b"), lot("lot-c"), lot("lot-a")]
        assert ids(spendable(lots, NOW)) == ["lot-a", "lot-b", "lot-c"]

    def test_skips_lots_with_nothing_available(self):
        lots = [lot("empty", expires_at=NOW + DAY, available=0), lot("full")]
        assert ids(spendable(lots, NOW)) == ["full"]

    def test_skips_lot_expiring_exactly_now(self):
        lots = [lot("due", expires_at=NOW), lot("live")]
        assert ids(spendable(lots, NOW)) == ["live"]

    def test_skips_lot_expired_in_the_past(self):
        lots = [lot("gone", expires_at=NOW - DAY), lot("live")]
        assert ids(spendable(lots, NOW)) == ["live"]

    def test_keeps_lot_expiring_one_second_from_now(self):
        assert ids(spendable([lot("last-second", expires_at=NOW + SECOND)], NOW)) == ["last-second"]


class TestAllocate:
    def test_takes_from_first_lot_only_when_enough(self):
        lots = [lot("second"), lot("first", expires_at=NOW + DAY)]
        assert allocate(lots, 7, NOW) == [("first", 7)]

    def test_spans_several_lots_in_order(self):
        lots = [
            lot("c", expires_at=None, available=50),
            lot("a", expires_at=NOW + DAY, available=5),
            lot("b", expires_at=NOW + 2 * DAY, available=10),
        ]
        assert allocate(lots, 20, NOW) == [("a", 5), ("b", 10), ("c", 5)]

    def test_takes_everything_available(self):
        lots = [lot("a", available=3), lot("b", available=4)]
        assert allocate(lots, 7, NOW) == [("a", 3), ("b", 4)]

    def test_ignores_expired_and_empty_lots(self):
        lots = [
            lot("expired", expires_at=NOW, available=100),
            lot("empty", expires_at=NOW + DAY, available=0),
            lot("live", available=10),
        ]
        assert allocate(lots, 10, NOW) == [("live", 10)]

    def test_insufficient_points_carries_available_and_required(self):
        lots = [lot("a", available=3), lot("b", available=4), lot("expired", expires_at=NOW - DAY, available=50)]
        with pytest.raises(InsufficientPointsError) as info:
            allocate(lots, 8, NOW)
        assert (info.value.available, info.value.required) == (7, 8)
        assert info.value.extra == {"available": 7, "required": 8}

    def test_insufficient_with_no_lots(self):
        with pytest.raises(InsufficientPointsError) as info:
            allocate([], 1, NOW)
        assert (info.value.available, info.value.required) == (0, 1)

    def test_zero_points_takes_nothing(self):
        assert allocate([lot("a")], 0, NOW) == []

    def test_zero_points_with_no_lots(self):
        assert allocate([], 0, NOW) == []


class TestUnwind:
    ALLOCATIONS: ClassVar[list[Allocation]] = [Allocation(1, "a", 5), Allocation(2, "b", 10), Allocation(3, "c", 4)]

    def test_returns_in_reverse_sequence(self):
        assert unwind(self.ALLOCATIONS, 19) == [(3, "c", 4), (2, "b", 10), (1, "a", 5)]

    def test_partial_return_takes_last_allocation_first(self):
        assert unwind(self.ALLOCATIONS, 3) == [(3, "c", 3)]

    def test_partial_return_spanning_two_allocations(self):
        assert unwind(self.ALLOCATIONS, 6) == [(3, "c", 4), (2, "b", 2)]

    def test_input_order_does_not_matter(self):
        assert unwind(list(reversed(self.ALLOCATIONS)), 6) == [(3, "c", 4), (2, "b", 2)]

    def test_skips_allocations_with_nothing_returnable(self):
        allocations = [Allocation(1, "a", 5), Allocation(2, "b", 0)]
        assert unwind(allocations, 2) == [(1, "a", 2)]

    def test_zero_returns_nothing(self):
        assert unwind(self.ALLOCATIONS, 0) == []

    def test_raises_when_asking_more_than_returnable(self):
        with pytest.raises(ValueError, match="only 19 are returnable"):
            unwind(self.ALLOCATIONS, 20)


VENDOR_FAULT = [ReturnReason.SOFTWARE_BUG, ReturnReason.OTHER, ReturnReason.CREDIT]
CUSTOMER_SIDE = [ReturnReason.LOWERED, ReturnReason.WITHDRAWN, ReturnReason.DUPLICATE]


def target(expires_at, reason, *, revoked=False):
    return return_target(expires_at=expires_at, revoked=revoked, now=NOW, grace=GRACE, reason=reason)


class TestReturnTarget:
    @pytest.mark.parametrize("reason", list(ReturnReason))
    def test_lot_valid_beyond_grace_gets_points_back(self, reason):
        assert target(NOW + GRACE + DAY, reason) is ReturnTarget.AVAILABLE

    @pytest.mark.parametrize("reason", list(ReturnReason))
    def test_never_expiring_lot_gets_points_back(self, reason):
        assert target(None, reason) is ReturnTarget.AVAILABLE

    @pytest.mark.parametrize("reason", list(ReturnReason))
    def test_revoked_lot_revokes_again(self, reason):
        assert target(NOW + GRACE + DAY, reason, revoked=True) is ReturnTarget.REVOKE

    @pytest.mark.parametrize("reason", list(ReturnReason))
    def test_revoked_expired_lot_revokes_again(self, reason):
        assert target(NOW - DAY, reason, revoked=True) is ReturnTarget.REVOKE

    @pytest.mark.parametrize("reason", VENDOR_FAULT)
    def test_expired_lot_vendor_fault_reissues(self, reason):
        assert target(NOW - DAY, reason) is ReturnTarget.REISSUE

    @pytest.mark.parametrize("reason", CUSTOMER_SIDE)
    def test_expired_lot_customer_side_expires(self, reason):
        assert target(NOW - DAY, reason) is ReturnTarget.EXPIRE

    @pytest.mark.parametrize("reason", CUSTOMER_SIDE)
    def test_lot_expiring_exactly_now_customer_side_expires(self, reason):
        assert target(NOW, reason) is ReturnTarget.EXPIRE

    @pytest.mark.parametrize("reason", VENDOR_FAULT)
    def test_lot_expiring_within_grace_vendor_fault_reissues(self, reason):
        assert target(NOW + DAY, reason) is ReturnTarget.REISSUE

    @pytest.mark.parametrize("reason", CUSTOMER_SIDE)
    def test_lot_expiring_within_grace_customer_side_gets_points_back(self, reason):
        assert target(NOW + DAY, reason) is ReturnTarget.AVAILABLE

    @pytest.mark.parametrize("reason", VENDOR_FAULT)
    def test_expiry_exactly_at_grace_end_counts_as_within_grace(self, reason):
        assert target(NOW + GRACE, reason) is ReturnTarget.REISSUE

    @pytest.mark.parametrize("reason", VENDOR_FAULT)
    def test_expiry_one_second_past_grace_gets_points_back(self, reason):
        assert target(NOW + GRACE + SECOND, reason) is ReturnTarget.AVAILABLE

    def test_vendor_fault_reasons(self):
        assert {r for r in ReturnReason if r.vendor_fault} == set(VENDOR_FAULT)
