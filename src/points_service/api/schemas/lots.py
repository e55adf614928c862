"""Lots, and what creates or changes them: purchases, licenses, imports, adjustments, revocations."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from .common import (
    _L1,
    _L2,
    _NOW,
    _USD_120,
    Code,
    Instant,
    LotSourceName,
    Money,
    PositivePoints,
    Reason,
    Ref,
    RequestBody,
    SignedPoints,
    UnitPrice,
    _examples,
)
from .ledger import _BALANCE, _EXPIRING_L1, Balance, PostingOut

_NO_EXTRAS = {"revoked_at": None, "license_key": None, "external_ref": None, "origin_lot_id": None}
_STATES_FRESH = {"held": 0, "deducted": 0, "expired": 0, "revoked": 0, "written_off": 0, "reissued": 0}
_LOT_L2 = {
    "id": _L2,
    "account_id": "cust-42",
    "source": "purchase",
    "points": 120,
    "available": 120,
    **_STATES_FRESH,
    "granted_at": "2026-11-26T09:59:58Z",
    "expires_at": "2028-11-26T09:59:58Z",
    "plan": "points-120",
    "paid": _USD_120,
    "payment_id": "pay_3QF8Zk2eZvKYlo2C",
    **_NO_EXTRAS,
    "unit_price": {"amount": "0.5708333333", "currency": "USD"},
}
_LOT_L1 = {
    **_LOT_L2,
    "id": _L1,
    "points": 60,
    "available": 25,
    "held": 25,
    "deducted": 10,
    "granted_at": "2025-01-18T09:12:44Z",
    "expires_at": "2027-01-18T09:12:44Z",
    "plan": "points-60",
    "paid": {"amount": "34.50", "currency": "USD"},
    "payment_id": "pay_7dQ2mX9kLp4RzT1c",
    "unit_price": {"amount": "0.5750000000", "currency": "USD"},
}


class Lot(BaseModel):
    """One arrival of points, with how many of them are in each state; the states always sum to
    `points`."""

    model_config = _examples(_LOT_L2, _LOT_L1)

    id: str = Field(description="the lot's id: `lot_` and a ULID")
    account_id: str = Field(description="the account it belongs to")
    source: LotSourceName = Field(
        description="how the points arrived: a `purchase`, a `license_bonus`, an `adjustment` (+N by an admin), "
        "an `import` from a previous system, or `returned` (points a ticket gave back after their lot expired)"
    )
    points: int = Field(description="whole points the lot received")
    available: int = Field(description="whole points spendable now (0 once the lot has expired)")
    held: int = Field(description="whole points captured by open tickets")
    deducted: int = Field(description="whole points taken by resolved tickets")
    expired: int = Field(description="whole points that expired while available")
    revoked: int = Field(description="whole points removed because the payment was refunded or charged back")
    written_off: int = Field(description="whole points removed by negative adjustments")
    reissued: int = Field(
        description="whole points tickets gave back after the lot expired (or nearly), moved into a `returned` lot"
    )
    granted_at: datetime = Field(
        description="when the points arrived (UTC, RFC 3339): a purchase's or license's `purchased_at`, an import's "
        "`granted_at`, otherwise when the lot was created"
    )
    expires_at: datetime | None = Field(
        description="when its available points stop counting (UTC, RFC 3339); null: never"
    )
    revoked_at: datetime | None = Field(description="when the lot was revoked (UTC, RFC 3339); null unless revoked")
    plan: str | None = Field(description="the plan bought; null unless `source` is `purchase`")
    paid: Money | None = Field(description="the price paid; null unless `source` is `purchase`")
    payment_id: str | None = Field(
        description="the billing system's payment id (purchases, and imports given one); null otherwise"
    )
    license_key: str | None = Field(
        description="the license that brought the points; null unless `source` is `license_bonus`"
    )
    external_ref: str | None = Field(description="the previous system's reference; null unless `source` is `import`")
    origin_lot_id: str | None = Field(
        description="the lot these points were reissued from; null unless `source` is `returned`"
    )
    unit_price: UnitPrice = Field(
        description="cost basis: what one point cost, `paid` divided by `points` to exactly 10 decimal places "
        "(rounded half to even); zero for lots bought with nothing (license bonuses, adjustments, imports), in "
        "`POINTS_CURRENCY`; a `returned` lot keeps its origin's. The finance report values points at it"
    )


_WHEN = "(RFC 3339 with an offset, normalised to UTC)"


class PurchaseCreate(RequestBody):
    """A point pack bought with a payment."""

    model_config = _examples(
        {
            "plan": "points-120",
            "payment_id": "pay_3QF8Zk2eZvKYlo2C",
            "purchased_at": "2026-11-26T09:59:58Z",
            "paid": _USD_120,
        }
    )

    plan: Code = Field(description="the code of the plan bought (an inactive plan is still accepted)")
    payment_id: Ref = Field(
        description="the billing system's payment id, unique across accounts: the same payment again with the "
        "same fields answers 200, other content 409"
    )
    purchased_at: Instant | None = Field(
        default=None,
        description=f"when it was paid {_WHEN}; up to 5 minutes ahead (counts as now) and 7 days back "
        "(admins: any past time); omitted or null: now",
    )
    paid: Money | None = Field(default=None, description="the price paid; omitted or null: the plan's price")


class LotWithBalance(BaseModel):
    """A lot, and the account's balance after the operation."""

    model_config = _examples({"lot": _LOT_L2, "balance": _BALANCE})

    lot: Lot = Field(description="the lot created (201), or the one recorded before as it is now (200)")
    balance: Balance = Field(description="the account's balance after the operation")


class LicenseCreate(RequestBody):
    """A software license sold to the account."""

    model_config = _examples(
        {"license_key": "LIC-4F7K-92QX-MM4T", "product": "default", "purchased_at": "2026-11-26T09:58:00Z"}
    )

    license_key: Ref = Field(
        description=(
            "the license's key; it belongs to one account forever "
            "(the same content again answers 200, other content 409)"
        )
    )
    product: Code = Field(description="the code of the license product")
    purchased_at: Instant | None = Field(
        default=None,
        description=f"when the license was bought {_WHEN}; up to 5 minutes ahead and 7 days back "
        "(admins: any past time); omitted or null: now",
    )


_L3 = "lot_01M8BMRD80TM9GSV13PSEXYBWE"
_LICENSE = {
    "license_key": "LIC-4F7K-92QX-MM4T",
    "account_id": "cust-77",
    "product": "default",
    "purchased_at": "2026-11-26T09:58:00Z",
    "lot_id": _L3,
}


class License(BaseModel):
    """A software license sold to an account."""

    model_config = _examples(_LICENSE)

    license_key: str = Field(description="the license's key")
    account_id: str = Field(description="the account it belongs to")
    product: str = Field(description="the code of the license product")
    purchased_at: datetime = Field(description="when it was bought (UTC, RFC 3339)")
    lot_id: str | None = Field(
        description="the lot of bonus points it brought; null when the product's policy gave none"
    )


class LicenseResult(BaseModel):
    """A license, its bonus lot, and the account's balance after it."""

    model_config = _examples(
        {
            "license": _LICENSE,
            "lot": {
                **_LOT_L2,
                "id": _L3,
                "account_id": "cust-77",
                "source": "license_bonus",
                "points": 60,
                "available": 60,
                "granted_at": "2026-11-26T09:58:00Z",
                "expires_at": "2028-11-26T09:58:00Z",
                "plan": None,
                "paid": None,
                "unit_price": {"amount": "0.0000000000", "currency": "USD"},
                "payment_id": None,
                "license_key": "LIC-4F7K-92QX-MM4T",
            },
            "balance": {
                "account_id": "cust-77",
                "available": 60,
                "held": 0,
                "deducted": 0,
                "expiring": [],
                "awaiting_points": {"count": 0, "points": 0},
                "as_of": _NOW,
            },
        },
        {
            "license": {**_LICENSE, "license_key": "LIC-9XW2-H7RM-3KQP", "account_id": "cust-42", "lot_id": None},
            "lot": None,
            "balance": _BALANCE,
        },
    )

    license: License = Field(description="the license")
    lot: Lot | None = Field(description="the bonus lot; null when the product's bonus policy gives nothing")
    balance: Balance = Field(description="the account's balance after the operation")


class ImportCreate(RequestBody):
    """Points moved from a previous system."""

    model_config = _examples(
        {
            "points": 40,
            "granted_at": "2025-06-01T00:00:00Z",
            "expires_at": "2027-06-01T00:00:00Z",
            "external_ref": "legacy-8812",
            "reason": "balance moved from the old helpdesk",
        }
    )

    points: PositivePoints = Field(description="whole points to import, at least 1")
    granted_at: Instant = Field(description=f"when the previous system granted them {_WHEN}; not in the future")
    expires_at: Instant | None = Field(
        default=None,
        description=f"when they expire {_WHEN}; after `granted_at`, and may be past (the lot is created expired); "
        "omitted: two years from `granted_at`; null: never",
    )
    external_ref: Ref = Field(
        description="the previous system's reference; imported once (the same content again answers 200)"
    )
    payment_id: Ref | None = Field(
        default=None,
        description=(
            "the payment behind the points, in the purchases' namespace (its refund revokes the lot); "
            "omitted or null: none"
        ),
    )
    reason: Reason = Field(description="why, recorded on the ledger entry")


class AdjustmentCreate(RequestBody):
    """Points granted or written off by hand."""

    model_config = _examples(
        {"points": 30, "reason": "goodwill: outage on 2026-11-24", "expires_at": "2027-11-26T10:00:00Z"},
        {"points": -15, "reason": "duplicate import of a legacy balance"},
    )

    points: SignedPoints = Field(
        description="whole points: +N grants a new lot (`source: adjustment`), −N writes off N available points "
        "in consumption order (422 if fewer are available); never 0",
        json_schema_extra={"not": {"const": 0}},  # checked by the route (a 422 pointing at #/points)
    )
    reason: Reason = Field(description="why, recorded on the ledger entry")
    expires_at: Instant | None = Field(
        default=None,
        description=f"positive adjustments only: when the new lot expires {_WHEN}, in the future; "
        "omitted: two years from now; null: never",
    )


_LADJ = "lot_01M8BMRD80VJRP81ZZJXYMCXSD"


class AdjustmentResult(BaseModel):
    """The outcome of an adjustment: a new lot (+N, 201) or the points written off (−N, 200)."""

    model_config = _examples(
        {
            "lot": {
                **_LOT_L2,
                "id": _LADJ,
                "source": "adjustment",
                "points": 30,
                "available": 30,
                "granted_at": _NOW,
                "expires_at": "2027-11-26T10:00:00Z",
                "plan": None,
                "paid": None,
                "unit_price": {"amount": "0.0000000000", "currency": "USD"},
                "payment_id": None,
            },
            "postings": [],
            "balance": {**_BALANCE, "available": 175},
        },
        {
            "lot": None,
            "postings": [{"lot_id": _L1, "from_state": "available", "to_state": "written_off", "points": 15}],
            "balance": {**_BALANCE, "available": 130, "expiring": [{**_EXPIRING_L1, "points": 10}]},
        },
    )

    lot: Lot | None = Field(description="the new lot (+N); null for a write-off (−N)")
    postings: list[PostingOut] = Field(description="the points written off, per lot (−N); empty for +N")
    balance: Balance = Field(description="the account's balance after the adjustment")


class RevokeRequest(RequestBody):
    """The payment behind a lot was refunded or charged back."""

    model_config = _examples({"reason": "payment pay_9hB4nW6tYc2JmQ8s charged back"})

    reason: Reason = Field(description="why, recorded on the ledger entry")


_LREV = "lot_01M00H6D4RC482AA689SZ2W45Q"


class Revocation(BaseModel):
    """A revoked lot and where its points were. `revoked`, `held_by_open_tickets`, `unrecoverable`,
    `already_expired`, `written_off` and `reissued` sum to the lot's points."""

    model_config = _examples(
        {
            "lot": {
                **_LOT_L2,
                "id": _LREV,
                "account_id": "cust-31",
                "available": 0,
                "held": 25,
                "deducted": 15,
                "revoked": 80,
                "granted_at": "2026-08-14T16:20:31Z",
                "expires_at": "2028-08-14T16:20:31Z",
                "revoked_at": _NOW,
                "payment_id": "pay_9hB4nW6tYc2JmQ8s",
            },
            "revoked": 80,
            "held_by_open_tickets": 25,
            "unrecoverable": 15,
            "already_expired": 0,
            "written_off": 0,
            "reissued": 0,
            "revoked_from_reissued_lots": 0,
        }
    )

    lot: Lot = Field(description="the lot, now revoked")
    revoked: int = Field(
        description="whole points revoked: those available at revocation, and held ones that came back since"
    )
    held_by_open_tickets: int = Field(
        description="whole points still held by open tickets; revoked when they come back"
    )
    unrecoverable: int = Field(description="whole points resolved tickets had already taken")
    already_expired: int = Field(description="whole points that had expired")
    written_off: int = Field(description="whole points written off by negative adjustments")
    reissued: int = Field(description="whole points given back after the lot expired and moved into `returned` lots")
    revoked_from_reissued_lots: int = Field(
        description="whole points revoked from the lots reissued from this one (its `origin_lot_id` chain)"
    )
