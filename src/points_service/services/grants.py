"""Points coming in: purchases, license bonuses, imports and manual adjustments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..db.records import License, Lot
from ..domain.clock import PastTheCalendarError, expiry_from
from ..domain.errors import ConflictError, InsufficientPointsError, RuleViolationError
from ..domain.lots import LotKey, write_off_order
from ..domain.money import parse_amount
from .balance import BalanceView
from .context import Context
from .ledger import AccountWriter, Move, new_lot, open_account_write
from .state import Needs, Scope

FUTURE_TOLERANCE = timedelta(minutes=5)
BACKDATE_LIMIT = timedelta(days=7)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()
"""An omitted `expires_at` (two years from the grant) as opposed to an explicit null (never)."""


@dataclass(frozen=True)
class Paid:
    amount: str
    currency: str


@dataclass(frozen=True)
class Granted:
    lot: Lot | None
    created: bool
    balance: BalanceView
    license: License | None = None


@dataclass(frozen=True)
class Adjusted:
    lot: Lot | None
    moves: list[Move]
    balance: BalanceView


def _expiry(granted_at: datetime, pointer: str) -> datetime:
    """The default expiry, two years on; refused at `pointer` when that is past the year 9999."""
    try:
        return expiry_from(granted_at)
    except PastTheCalendarError as exc:
        raise RuleViolationError(pointer, str(exc)) from None


def _purchase_time(requested: datetime | None, ctx: Context, now: datetime, pointer: str) -> datetime:
    """Up to 5 minutes ahead counts as now; up to 7 days back (admins: any time)."""
    if requested is None:
        return now
    if requested > now + FUTURE_TOLERANCE:
        raise RuleViolationError(pointer, "must not be more than 5 minutes in the future")
    if requested < now - BACKDATE_LIMIT and not ctx.is_admin:
        raise RuleViolationError(pointer, "must not be more than 7 days in the past (admins may backdate further)")
    return min(requested, now)


def _granted(
    writer: AccountWriter, ctx: Context, lot: Lot | None, created: bool, license: License | None = None
) -> Granted:
    """The lot as the command leaves it, with the account's balance at the command's instant."""
    current = writer.tx.lot(lot.id) if lot is not None else None
    return Granted(current, created, writer.balance(ctx.expiring_window), license)


@dataclass(frozen=True, kw_only=True)
class Purchase:
    """A point pack bought with `payment_id`. The same payment again answers the original lot."""

    ctx: Context
    account_id: str
    plan: str
    payment_id: str
    purchased_at: datetime | None = None
    paid: Paid | None = None
    flexible_time: bool = False  # billing's own clock: any past time, a future one counts as now

    def needs(self, needs: Needs) -> None:
        needs.lock(self.account_id)
        needs.payments.add(self.payment_id)
        needs.catalogue = True

    def apply(self, tx: Scope) -> Granted:
        ctx = self.ctx
        writer = open_account_write(tx, ctx, self.account_id)
        plan = tx.plan(self.plan)
        if plan is None:
            raise RuleViolationError("/plan", f"unknown plan {self.plan!r}")
        paid_minor = paid_currency = None
        if self.paid is not None:
            paid_minor = parse_amount(self.paid.amount, self.paid.currency, pointer="/paid/amount")
            paid_currency = self.paid.currency
        existing = tx.lot_by_payment(self.payment_id)
        if existing is not None:
            same = (
                existing.account_id == self.account_id
                and existing.source == "purchase"
                and existing.plan_code == self.plan
                and (self.purchased_at is None or existing.granted_at == min(self.purchased_at, existing.created_at))
                and (self.paid is None or (existing.paid_minor, existing.paid_currency) == (paid_minor, paid_currency))
            )
            if not same:
                raise ConflictError(
                    f"payment {self.payment_id!r} was already used for another grant", lot_id=existing.id
                )
            return _granted(writer, ctx, existing, created=False)
        granted_at = (
            min(self.purchased_at or writer.now, writer.now)
            if self.flexible_time
            else _purchase_time(self.purchased_at, ctx, writer.now, "/purchased_at")
        )
        lot = new_lot(
            self.account_id,
            "purchase",
            granted_at=granted_at,
            now=writer.now,
            expires_at=_expiry(granted_at, "/purchased_at"),
            plan_code=plan.code,
            paid_minor=plan.price_minor if self.paid is None else paid_minor,
            paid_currency=plan.currency if self.paid is None else paid_currency,
            payment_id=self.payment_id,
        )
        return _granted(writer, ctx, writer.add_lot(lot, plan.points, "purchase"), created=True)


@dataclass(frozen=True, kw_only=True)
class RegisterLicense:
    """A license sold to the account, with the bonus its product's policy gives."""

    ctx: Context
    account_id: str
    license_key: str
    product: str
    purchased_at: datetime | None = None
    flexible_time: bool = False

    def needs(self, needs: Needs) -> None:
        needs.lock(self.account_id)
        needs.licenses.add(self.license_key)
        needs.licensed.add(self.account_id)
        needs.catalogue = True

    def apply(self, tx: Scope) -> Granted:
        ctx = self.ctx
        writer = open_account_write(tx, ctx, self.account_id)
        product = tx.license_product(self.product)
        if product is None:
            raise RuleViolationError("/product", f"unknown license product {self.product!r}")
        existing = tx.license(self.license_key)
        if existing is not None:
            same = (
                existing.account_id == self.account_id
                and existing.product_code == self.product
                and (self.purchased_at is None or existing.purchased_at == min(self.purchased_at, existing.created_at))
            )
            if not same:
                raise ConflictError(f"license {self.license_key!r} is already registered with other content")
            lot = tx.lot(existing.lot_id) if existing.lot_id else None
            return _granted(writer, ctx, lot, created=False, license=existing)
        purchased = (
            min(self.purchased_at or writer.now, writer.now)
            if self.flexible_time
            else _purchase_time(self.purchased_at, ctx, writer.now, "/purchased_at")
        )
        first = not tx.licenses_of(self.account_id)
        lot = None
        if product.bonus_points > 0 and (product.bonus_policy == "every_license" or first):
            lot = new_lot(
                self.account_id,
                "license_bonus",
                granted_at=purchased,
                now=writer.now,
                expires_at=_expiry(purchased, "/purchased_at"),
                license_key=self.license_key,
            )
            lot = writer.add_lot(lot, product.bonus_points, "license_bonus")
        license = tx.insert(
            License(
                license_key=self.license_key,
                account_id=self.account_id,
                product_code=product.code,
                purchased_at=purchased,
                lot_id=lot.id if lot else None,
                created_at=writer.now,
            )
        )
        return _granted(writer, ctx, lot, created=True, license=license)


@dataclass(frozen=True, kw_only=True)
class ImportPoints:
    """A balance moved from a previous system, once per `external_ref`."""

    ctx: Context
    account_id: str
    points: int
    granted_at: datetime
    external_ref: str
    reason: str
    expires_at: datetime | _Unset | None = UNSET
    payment_id: str | None = None

    def needs(self, needs: Needs) -> None:
        needs.lock(self.account_id)
        needs.import_refs.add(self.external_ref)
        if self.payment_id is not None:
            needs.payments.add(self.payment_id)

    def _settled(self, now: datetime) -> tuple[datetime, datetime | None]:
        """granted_at as recorded at `now` (a little ahead counts as now), and its expiry."""
        granted = min(self.granted_at, now)
        return granted, (_expiry(granted, "/granted_at") if isinstance(self.expires_at, _Unset) else self.expires_at)

    def apply(self, tx: Scope) -> Granted:
        ctx = self.ctx
        writer = open_account_write(tx, ctx, self.account_id)
        if self.granted_at > writer.now + FUTURE_TOLERANCE:
            raise RuleViolationError("/granted_at", "must not be in the future")
        existing = tx.lot_by_import_ref(self.external_ref)
        if existing is not None:
            same = (
                existing.account_id == self.account_id
                and existing.points == self.points
                and (existing.granted_at, existing.expires_at) == self._settled(existing.created_at)
                and existing.payment_id == self.payment_id
            )
            if not same:
                raise ConflictError(
                    f"external_ref {self.external_ref!r} was already imported with other content", lot_id=existing.id
                )
            return _granted(writer, ctx, existing, created=False)
        granted_at, expiry = self._settled(writer.now)
        if expiry is not None and expiry <= granted_at:
            raise RuleViolationError("/expires_at", "must be after granted_at")
        if self.payment_id is not None and tx.lot_by_payment(self.payment_id) is not None:
            raise ConflictError(f"payment {self.payment_id!r} was already used for another grant")
        lot = new_lot(
            self.account_id,
            "import",
            granted_at=granted_at,
            now=writer.now,
            expires_at=expiry,
            external_ref=self.external_ref,
            payment_id=self.payment_id,
            reason=self.reason,
        )
        return _granted(writer, ctx, writer.add_lot(lot, self.points, "import", reason=self.reason), created=True)


@dataclass(frozen=True, kw_only=True)
class AdjustPoints:
    """+N grants a new lot; −N writes off available points in consumption order."""

    ctx: Context
    account_id: str
    points: int
    reason: str
    expires_at: datetime | _Unset | None = UNSET

    def needs(self, needs: Needs) -> None:
        needs.lock(self.account_id)

    def apply(self, tx: Scope) -> Adjusted:
        ctx = self.ctx
        writer = open_account_write(tx, ctx, self.account_id)
        now = writer.now
        if self.points > 0:
            expiry = _expiry(now, "/expires_at") if isinstance(self.expires_at, _Unset) else self.expires_at
            if expiry is not None and expiry <= now:
                raise RuleViolationError("/expires_at", "must be in the future")
            lot = new_lot(self.account_id, "adjustment", granted_at=now, now=now, expires_at=expiry, reason=self.reason)
            lot = writer.add_lot(lot, self.points, "adjustment", reason=self.reason)
            return Adjusted(lot, [], writer.balance(ctx.expiring_window))
        if not isinstance(self.expires_at, _Unset):
            raise RuleViolationError("/expires_at", "applies only to positive adjustments")
        keys = [LotKey(lot.id, lot.granted_at, lot.expires_at, lot.available) for lot in writer.spendable()]
        try:
            pieces = write_off_order(keys, -self.points, now)
        except InsufficientPointsError as exc:
            raise RuleViolationError(
                "/points", f"only {exc.available} points are available to write off", available=exc.available
            ) from exc
        moves = [Move(lot_id, "available", "written_off", n) for lot_id, n in pieces]
        writer.post("adjustment", moves, reason=self.reason)
        return Adjusted(None, moves, writer.balance(ctx.expiring_window))
