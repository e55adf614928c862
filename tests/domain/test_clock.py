"""Expiry dates and the instant of expiry (docs/design.md §4)."""

from datetime import UTC, datetime, timedelta

import pytest

from points_service.domain.clock import OUT_OF_CALENDAR, PastTheCalendarError, expiry_from, is_expired, parse_instant

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

    def test_the_last_year_that_has_an_expiry(self):
        assert expiry_from(datetime(9997, 12, 31, 23, 59, 59, tzinfo=UTC)) == datetime(
            9999, 12, 31, 23, 59, 59, tzinfo=UTC
        )

    def test_past_the_year_9999_is_refused(self):
        with pytest.raises(PastTheCalendarError, match="after the year 9999"):
            expiry_from(datetime(9998, 1, 1, tzinfo=UTC))
        with pytest.raises(PastTheCalendarError):
            expiry_from(datetime(9998, 2, 28, tzinfo=UTC))


class TestParseInstant:
    @pytest.mark.parametrize(
        ("text", "moment"),
        [
            ("2026-11-26T10:00:00Z", datetime(2026, 11, 26, 10, tzinfo=UTC)),
            ("2026-11-26t10:00:00z", datetime(2026, 11, 26, 10, tzinfo=UTC)),
            ("2026-11-26T11:30:00+01:30", datetime(2026, 11, 26, 10, tzinfo=UTC)),
            ("2026-11-26T10:00:00.123456789Z", datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=UTC)),
            ("9999-12-31T23:59:59Z", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
            ("9999-12-31T00:00:00-23:59", datetime(9999, 12, 31, 23, 59, tzinfo=UTC)),
            ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
        ],
    )
    def test_normalised_to_utc(self, text, moment):
        parsed = parse_instant(text)
        assert (parsed, parsed.tzinfo) == (moment, UTC)

    @pytest.mark.parametrize(
        "text", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "0001-01-01T00:00:00+00:01"]
    )
    def test_outside_the_calendar_in_utc(self, text):
        with pytest.raises(ValueError, match=OUT_OF_CALENDAR):
            parse_instant(text)

    @pytest.mark.parametrize(
        "text", ["1768478400", "2026-01-15 12:00:00Z", "2026-01-15T12:00Z", "2026-01-15", "2026-01-15T12:00:00", ""]
    )
    def test_not_rfc_3339(self, text):
        with pytest.raises(ValueError, match="must be an RFC 3339 timestamp with an offset"):
            parse_instant(text)

    @pytest.mark.parametrize("text", ["2026-02-30T00:00:00Z", "2026-11-26T24:00:00Z", "2026-11-26T10:00:60Z"])
    def test_dates_that_do_not_exist(self, text):
        with pytest.raises(ValueError, match="is not a date and time that exists"):
            parse_instant(text)


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
