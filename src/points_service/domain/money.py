"""Money: exact decimal strings on the wire, integer minor units in storage."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation, Overflow, localcontext

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


# -- cost basis ------------------------------------------------------------------------------------

UNIT_PRICE_PLACES = 10
"""A lot's `unit_price` is kept to exactly this many decimal places of the currency's major unit."""
_UNIT_PRICE_QUANTUM = Decimal(1).scaleb(-UNIT_PRICE_PLACES)
# Enough digits for any product the service forms: 19-digit points times a 26-digit unit price.
_EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN, traps=[Inexact, InvalidOperation, Overflow])


def unit_price(paid_minor: int | None, currency: str, points: int) -> Decimal:
    """What one point of a lot cost: `paid / points`, rounded half to even to `UNIT_PRICE_PLACES`
    places. Zero when nothing was paid (license bonuses, adjustments, imports).

    `"68.50"` USD for 120 points → `0.5708333333`.
    """
    if points <= 0:
        raise ValueError("a lot has at least one point")
    if not paid_minor:
        return Decimal(0).quantize(_UNIT_PRICE_QUANTUM)
    paid = Decimal(paid_minor).scaleb(-minor_digits(currency))
    with localcontext(_EXACT) as ctx:
        ctx.traps[Inexact] = False  # the quotient is rounded here, on purpose, and only here
        return (paid / points).quantize(_UNIT_PRICE_QUANTUM, rounding=ROUND_HALF_EVEN)


def format_unit_price(price: Decimal) -> str:
    """`Decimal("0.5708333333")` → `"0.5708333333"`: always `UNIT_PRICE_PLACES` places, never an exponent."""
    return f"{price.quantize(_UNIT_PRICE_QUANTUM):f}"


def value_of(points: int, price: Decimal) -> Decimal:
    """The exact value of `points` at a unit price (no rounding: the product has at most
    `UNIT_PRICE_PLACES` places). Raises if it could not be exact."""
    with localcontext(_EXACT):
        return Decimal(points) * price


def exact_sum(amounts: Iterable[Decimal]) -> Decimal:
    """The exact sum of amounts (the default context would round past 28 digits). Raises if it
    could not be exact."""
    with localcontext(_EXACT):
        return sum(amounts, Decimal(0))


def to_minor(amount: Decimal, currency: str) -> int:
    """An exact amount presented in minor units: rounded half to even (banker's rounding), the
    one rounding rule of every figure the service derives from unit prices."""
    with localcontext(_EXACT) as ctx:
        ctx.traps[Inexact] = False
        return int(amount.scaleb(minor_digits(currency)).to_integral_value(rounding=ROUND_HALF_EVEN))
