"""Expiry dates and the instant of expiry (docs/design.md §4)."""

from datetime import UTC, datetime, timedelta

from points_service.domain.clock import expiry_from, is_expired

SECOND = timedelta(seconds=1)


class TestExpiryFrom:
    def test_same_time_of_day_two_years_later(self):
        purchased = datetime(2024, 3, 15, 13, 45, 30, tzinfo=UTC)
        assert expiry_from(purchased) == datetime(2026, 3, 15, 13, 45, 30, tzinfo=UTC)

    def test_29_february_becomes_28_february(self):
        purchased = datetime(2024, 2, 29, 10, 0, tzinfo=UTC)
        assert expiry_from(purchased) == datetime(2026, 2, 28, 10, 0, tzinfo=UTC)

    def test_stays_in_utc(self):
        assert expiry_from(datetime(2024, 1, 1, tzinfo=UTC)).tzinfo is UTC


class TestIsExpired:
    EXPIRES_AT = datetime(2026, 3, 15, 13, 45, 30, tzinfo=UTC)

    def test_one_second_before_is_not_expired(self):
        assert is_expired(self.EXPIRES_AT, self.EXPIRES_AT - SECOND) is False

    def test_exactly_at_expires_at_is_expired(self):
        assert is_expired(self.EXPIRES_AT, self.EXPIRES_AT) is True

    def test_one_second_after_is_expired(self):
        assert is_expired(self.EXPIRES_AT, self.EXPIRES_AT + SECOND) is True

    def test_none_never_expires(self):
        assert is_expired(None, datetime(9999, 12, 31, tzinfo=UTC)) is False
