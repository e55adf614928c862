"""The numbers of balances and lots, as the tests compare them."""

from __future__ import annotations

from typing import Any

LOT_STATES = ("available", "held", "deducted", "expired", "revoked", "written_off", "reissued")
MODIFICATION_KINDS = {"purchase", "license_bonus", "adjustment", "import", "expiry", "revocation"}  # statement part 1


def figures(balance: dict[str, Any]) -> tuple[int, int, int]:
    """A balance as (available, held, deducted)."""
    return balance["available"], balance["held"], balance["deducted"]


def states(lot: dict[str, Any]) -> dict[str, int]:
    """A lot's points in each of its states."""
    return {s: lot[s] for s in LOT_STATES}


def expired(sweep: dict[str, Any]) -> dict[str, Any]:
    """A sweep's answer without its notices and purges: what it expired."""
    return {key: sweep[key] for key in ("expired_lots", "expired_points", "accounts")}
