"""Money: exact decimal strings on the wire, integer minor units in storage."""

from __future__ import annotations

import re
from decimal import Decimal

from iso4217 import Currency

from .errors import RuleViolationError

AMOUNT_PATTERN = r"^(0|[1-9][0-9]{0,14})(\.[0-9]+)?$"
_AMOUNT = re.compile(AMOUNT_PATTERN)

# ISO 4217 currencies with minor units (the others, like XAU, cannot price anything).
CURRENCIES = sorted(c.code for c in Currency if c.exponent is not None)


def minor_digits(currency: str, pointer: str = "/currency") -> int:
    try:
        exponent = Currency(currency).exponent
    except ValueError:
        exponent = None
    if exponent is None:
        raise RuleViolationError(pointer, f"{currency!r} is not an ISO 4217 currency with minor units")
    return exponent


def parse_amount(amount: str, currency: str, *, pointer: str = "/amount") -> int:
    """`"34.50"` in USD → 3450. Exactly the currency's minor digits, never negative.

    `pointer` names the amount; the currency is reported beside it (`…/currency`).
    """
    digits = minor_digits(currency, pointer.rsplit("/", 1)[0] + "/currency")
    match = _AMOUNT.fullmatch(amount)
    fraction = match.group(2) if match else None
    if not match or (digits == 0 and fraction) or (digits > 0 and (not fraction or len(fraction) != digits + 1)):
        example = "12" if digits == 0 else "12." + "0" * digits
        raise RuleViolationError(
            pointer,
            f"amount must be a decimal string with exactly {digits} minor digits for {currency}, like {example!r}",
        )
    return int(Decimal(amount).scaleb(digits))


def format_amount(minor: int, currency: str) -> str:
    digits = minor_digits(currency)
    return str(Decimal(minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits)))
