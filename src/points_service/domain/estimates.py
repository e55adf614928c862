"""Estimate accuracy: how far the points a ticket was charged stray from what its category
estimated at opening, as the mean and spread of `charged ÷ estimated` over closed tickets.

Exact decimal arithmetic: the ratios are summed as `Decimal`s in a context of `PRECISION`
significant digits (a ratio's quotient is the only rounding before the end, far below the
reported places), and the figures reported are rounded half-even to `PLACES` decimal places.
The spread is the *population* standard deviation, √(Σ(r − mean)² / n): the closed tickets of a
period are all the tickets there are, not a sample of them. A ticket that estimated 0 points has
no ratio and is left out of both figures; so is one refunded before anything was charged (it
waited for points, or held none), whose estimate no work ever tested.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal

PLACES = 6
PRECISION = 60
_QUANTUM = Decimal(1).scaleb(-PLACES)
_CONTEXT = Context(prec=PRECISION, rounding=ROUND_HALF_EVEN)


def rounded(value: Decimal) -> str:
    """A ratio as the API writes it: a decimal string with exactly `PLACES` places."""
    return str(value.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN, context=_CONTEXT))


@dataclass
class RatioMoments:
    """What the mean and the spread of a set of ratios are computed from: their count, their sum
    and the sum of their squares (each ratio `charged ÷ estimated` as a `Decimal`)."""

    count: int = 0
    total: Decimal = Decimal(0)
    squares: Decimal = Decimal(0)

    def add(self, charged: int, estimated: int, tickets: int = 1) -> None:
        """`tickets` tickets that each estimated `estimated` points and were charged `charged`."""
        if estimated <= 0 or tickets <= 0:
            raise ValueError("a ratio needs an estimate above 0 and at least one ticket")
        ratio = _CONTEXT.divide(Decimal(charged), Decimal(estimated))
        self.count += tickets
        self.total = _CONTEXT.add(self.total, _CONTEXT.multiply(ratio, Decimal(tickets)))
        self.squares = _CONTEXT.add(self.squares, _CONTEXT.multiply(_CONTEXT.multiply(ratio, ratio), Decimal(tickets)))

    def merge(self, other: RatioMoments) -> None:
        self.count += other.count
        self.total = _CONTEXT.add(self.total, other.total)
        self.squares = _CONTEXT.add(self.squares, other.squares)

    def mean(self) -> Decimal | None:
        """The mean ratio (None without any ratio)."""
        if self.count == 0:
            return None
        return _CONTEXT.divide(self.total, Decimal(self.count))

    def stddev(self) -> Decimal | None:
        """The population standard deviation of the ratios (None without any ratio)."""
        mean = self.mean()
        if mean is None:
            return None
        # Σr²/n − mean²: exact but for the quotients' last digits, far below PLACES.
        variance = _CONTEXT.subtract(_CONTEXT.divide(self.squares, Decimal(self.count)), _CONTEXT.multiply(mean, mean))
        return _CONTEXT.sqrt(max(variance, Decimal(0)))
