"""The ledger's vocabulary: what a ledger entry records."""

from __future__ import annotations

import enum


class EntryKind(enum.StrEnum):
    """What a ledger entry records. Points coming in, going away, and moving with tickets."""

    PURCHASE = "purchase"
    LICENSE_BONUS = "license_bonus"
    ADJUSTMENT = "adjustment"
    IMPORT = "import"
    EXPIRY = "expiry"
    REVOCATION = "revocation"
    CAPTURE = "capture"
    CAPTURE_INCREASE = "capture_increase"
    CAPTURE_DECREASE = "capture_decrease"
    DEDUCTION = "deduction"
    RETURN = "return"

    @property
    def modifies_balance(self) -> bool:
        """Part 1 of the statement: points that arrived or left the account for good, outside
        tickets (parts 2 and 3 hold the tickets' entries)."""
        return self in _MODIFICATIONS


_MODIFICATIONS = frozenset(
    {
        EntryKind.PURCHASE,
        EntryKind.LICENSE_BONUS,
        EntryKind.ADJUSTMENT,
        EntryKind.IMPORT,
        EntryKind.EXPIRY,
        EntryKind.REVOCATION,
    }
)
