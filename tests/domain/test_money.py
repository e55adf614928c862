"""Money on the wire: exact decimal strings with the currency's minor digits (docs/design.md §1)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from points_service.domain.errors import RuleViolationError
from points_service.domain.money import format_amount, parse_amount


def rejected(amount, currency, pointer="/amount"):
    with pytest.raises(RuleViolationError) as info:
        parse_amount(amount, currency)
    assert info.value.pointer == pointer


class TestParseAmount:
    def test_usd_with_two_digits(self):
        assert parse_amount("34.50", "USD") == 3450

    def test_usd_zero(self):
        assert parse_amount("0.00", "USD") == 0

    def test_rejects_usd_with_one_digit(self):
        rejected("34.5", "USD")

    def test_rejects_usd_with_three_digits(self):
        rejected("34.500", "USD")

    def test_rejects_usd_without_fraction(self):
        rejected("34", "USD")

    def test_jpy_without_fraction(self):
        assert parse_amount("1200", "JPY") == 1200

    def test_rejects_jpy_with_fraction(self):
        rejected("12.00", "JPY")

    def test_kwd_with_three_digits(self):
        assert parse_amount("1.250", "KWD") == 1250

    def test_rejects_kwd_with_two_digits(self):
        rejected("1.25", "KWD")

    @pytest.mark.parametrize("amount", ["-1.00", "1e3", " 1.00", "1.00 ", "01.00", "1,00", "", ".50", "1.", "+1.00"])
    def test_rejects_malformed(self, amount):
        rejected(amount, "USD")

    def test_rejects_trailing_newline(self):
        rejected("1.00\n", "USD")

    @pytest.mark.parametrize("currency", ["XXX", "ABC", "usd-"])
    def test_rejects_unknown_or_unitless_currency(self, currency):
        rejected("1.00", currency, pointer="/currency")

    def test_custom_pointer(self):
        with pytest.raises(RuleViolationError) as info:
            parse_amount("1.0", "USD", pointer="/paid/amount")
        assert info.value.pointer == "/paid/amount"


class TestFormatAmount:
    def test_usd(self):
        assert format_amount(3450, "USD") == "34.50"

    def test_usd_plan_price(self):
        assert format_amount(67333, "USD") == "673.33"

    def test_usd_zero(self):
        assert format_amount(0, "USD") == "0.00"

    def test_jpy(self):
        assert format_amount(5, "JPY") == "5"

    def test_kwd(self):
        assert format_amount(5, "KWD") == "0.005"

    def test_rejects_unknown_currency(self):
        with pytest.raises(RuleViolationError):
            format_amount(100, "XXX")


class TestRoundTrip:
    @given(minor=st.integers(min_value=0, max_value=10**12), currency=st.sampled_from(["USD", "JPY", "KWD", "EUR"]))
    def test_parse_of_format_is_identity(self, minor, currency):
        assert parse_amount(format_amount(minor, currency), currency) == minor
