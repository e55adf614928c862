"""Points coming in: purchases, license bonuses, imports and manual adjustments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db.models import License, LicenseProduct, Lot, Plan
from ..domain.clock import expiry_from
from ..domain.errors import ConflictError, InsufficientPointsError, RuleViolationError
from ..domain.lots import LotKey, write_off_order
from ..domain.money import parse_amount
from .context import Context
from .ledger import AccountWriter, Move, new_lot, open_account_write
from .queries import Balance, balance

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


@dataclass
class Granted:
    lot: Lot | None
    created: bool
    balance: Balance
    license: License | None = None


def _purchase_time(requested: datetime | None, ctx: Context, now: datetime, pointer: str) -> datetime:
    """Up to 5 minutes ahead counts as now; up to 7 days back (admins: any time)."""
    if requested is None:
        return now
    if requested > now + FUTURE_TOLERANCE:
        raise RuleViolationError(pointer, "must not be more than 5 minutes in the future")
    if requested < now - BACKDATE_LIMIT and not ctx.is_admin:
        raise RuleViolationError(pointer, "must not be more than 7 days in the past (admins may backdate further)")
    return min(requested, now)


async def _balance(writer: AccountWriter, ctx: Context) -> Balance:
    """The balance at the command's instant, inside its transaction."""
    return await balance(writer.session, writer.account, writer.now, ctx.expiring_window)


async def _add_lot(writer: AccountWriter, lot: Lot, points: int, kind: str, *, reason: str | None = None) -> Lot:
    """Create the lot with its entry, and expire it at once if it arrives already expired."""
    writer.session.add(lot)
    await writer.post(kind, [Move(lot, None, "available", points)], reason=reason, effective_at=lot.granted_at)
    if lot.expires_at is not None and lot.expires_at <= writer.now:
        await writer.expire_lot(lot)
    return lot


async def purchase(
    session: AsyncSession,
    ctx: Context,
    *,
    account_id: str,
    plan: str,
    payment_id: str,
    purchased_at: datetime | None = None,
    paid: Paid | None = None,
    flexible_time: bool = False,
) -> Granted:
    """A point pack bought with `payment_id`. The same payment again answers the original lot."""
    writer = await open_account_write(session, ctx, account_id)
    found = await session.get(Plan, plan)
    if found is None:
        raise RuleViolationError("/plan", f"unknown plan {plan!r}")
    paid_minor = paid_currency = None
    if paid is not None:
        paid_minor, paid_currency = parse_amount(paid.amount, paid.currency, pointer="/paid/amount"), paid.currency
    existing = await session.scalar(select(Lot).where(Lot.payment_id == payment_id))
    if existing is not None:
        same = (
            existing.account_id == account_id
            and existing.source == "purchase"
            and existing.plan_code == plan
            and (purchased_at is None or existing.granted_at == min(purchased_at, existing.created_at))
            and (paid is None or (existing.paid_minor, existing.paid_currency) == (paid_minor, paid_currency))
        )
        if not same:
            raise ConflictError(f"payment {payment_id!r} was already used for another grant", lot_id=existing.id)
        return Granted(existing, created=False, balance=await _balance(writer, ctx))
    granted_at = (
        min(purchased_at or writer.now, writer.now)
        if flexible_time
        else _purchase_time(purchased_at, ctx, writer.now, "/purchased_at")
    )
    lot = new_lot(
        account_id,
        "purchase",
        granted_at=granted_at,
        now=writer.now,
        expires_at=expiry_from(granted_at),
        plan_code=found.code,
        paid_minor=found.price_minor if paid is None else paid_minor,
        paid_currency=found.currency if paid is None else paid_currency,
        payment_id=payment_id,
    )
    await _add_lot(writer, lot, found.points, "purchase")
    return Granted(lot, created=True, balance=await _balance(writer, ctx))


async def register_license(
    session: AsyncSession,
    ctx: Context,
    *,
    account_id: str,
    license_key: str,
    product: str,
    purchased_at: datetime | None = None,
    flexible_time: bool = False,
) -> Granted:
    """A license sold to the account, with the bonus its product's policy gives."""
    writer = await open_account_write(session, ctx, account_id)
    found = await session.get(LicenseProduct, product)
    if found is None:
        raise RuleViolationError("/product", f"unknown license product {product!r}")
    existing = await session.get(License, license_key)
    if existing is not None:
        same = (
            existing.account_id == account_id
            and existing.product_code == product
            and (purchased_at is None or existing.purchased_at == min(purchased_at, existing.created_at))
        )
        if not same:
            raise ConflictError(f"license {license_key!r} is already registered with other content")
        lot = await session.get(Lot, existing.lot_id) if existing.lot_id else None
        return Granted(lot, created=False, balance=await _balance(writer, ctx), license=existing)
    purchased = (
        min(purchased_at or writer.now, writer.now)
        if flexible_time
        else _purchase_time(purchased_at, ctx, writer.now, "/purchased_at")
    )
    earlier = await session.scalar(select(License.license_key).where(License.account_id == account_id).limit(1))
    gives_bonus = found.bonus_points > 0 and (found.bonus_policy == "every_license" or earlier is None)
    lot = None
    if gives_bonus:
        lot = new_lot(
            account_id,
            "license_bonus",
            granted_at=purchased,
            now=writer.now,
            expires_at=expiry_from(purchased),
            license_key=license_key,
        )
        await _add_lot(writer, lot, found.bonus_points, "license_bonus")
    license = License(
        license_key=license_key,
        account_id=account_id,
        product_code=found.code,
        purchased_at=purchased,
        lot_id=lot.id if lot else None,
        created_at=writer.now,
    )
    session.add(license)
    return Granted(lot, created=True, balance=await _balance(writer, ctx), license=license)


async def import_points(
    session: AsyncSession,
    ctx: Context,
    *,
    account_id: str,
    points: int,
    granted_at: datetime,
    external_ref: str,
    reason: str,
    expires_at: datetime | None | _Unset = UNSET,
    payment_id: str | None = None,
) -> Granted:
    """A balance moved from a previous system, once per `external_ref`."""
    writer = await open_account_write(session, ctx, account_id)
    if granted_at > writer.now + FUTURE_TOLERANCE:
        raise RuleViolationError("/granted_at", "must not be in the future")

    def settled(now: datetime) -> tuple[datetime, datetime | None]:
        """granted_at as recorded at `now` (a little ahead counts as now), and its expiry."""
        granted = min(granted_at, now)
        return granted, (expiry_from(granted) if isinstance(expires_at, _Unset) else expires_at)

    existing = await session.scalar(select(Lot).where(Lot.external_ref == external_ref))
    if existing is not None:
        same = (
            existing.account_id == account_id
            and existing.points == points
            and (existing.granted_at, existing.expires_at) == settled(existing.created_at)
            and existing.payment_id == payment_id
        )
        if not same:
            raise ConflictError(f"external_ref {external_ref!r} was already imported with other content", lot_id=existing.id)
        return Granted(existing, created=False, balance=await _balance(writer, ctx))
    granted_at, expiry = settled(writer.now)
    if expiry is not None and expiry <= granted_at:
        raise RuleViolationError("/expires_at", "must be after granted_at")
    if payment_id is not None and await session.scalar(select(Lot.id).where(Lot.payment_id == payment_id)):
        raise ConflictError(f"payment {payment_id!r} was already used for another grant")
    lot = new_lot(
        account_id,
        "import",
        granted_at=granted_at,
        now=writer.now,
        expires_at=expiry,
        external_ref=external_ref,
        payment_id=payment_id,
        reason=reason,
    )
    await _add_lot(writer, lot, points, "import", reason=reason)
    return Granted(lot, created=True, balance=await _balance(writer, ctx))


@dataclass
class Adjusted:
    lot: Lot | None
    moves: list[Move]
    balance: Balance


async def adjust_points(
    session: AsyncSession,
    ctx: Context,
    *,
    account_id: str,
    points: int,
    reason: str,
    expires_at: datetime | None | _Unset = UNSET,
) -> Adjusted:
    """+N grants a new lot; −N writes off available points in consumption order."""
    writer = await open_account_write(session, ctx, account_id)
    now = writer.now
    if points > 0:
        expiry = expiry_from(now) if isinstance(expires_at, _Unset) else expires_at
        if expiry is not None and expiry <= now:
            raise RuleViolationError("/expires_at", "must be in the future")
        lot = new_lot(account_id, "adjustment", granted_at=now, now=now, expires_at=expiry, reason=reason)
        await _add_lot(writer, lot, points, "adjustment", reason=reason)
        return Adjusted(lot, [], await _balance(writer, ctx))
    if not isinstance(expires_at, _Unset):
        raise RuleViolationError("/expires_at", "applies only to positive adjustments")
    lots = writer.spendable_at_open  # nothing but expiries moved since the account was locked
    by_id = {lot.id: lot for lot in lots}
    try:
        pieces = write_off_order([LotKey(l.id, l.granted_at, l.expires_at, l.available) for l in lots], -points, now)
    except InsufficientPointsError as exc:
        raise RuleViolationError(
            "/points", f"only {exc.available} points are available to write off", available=exc.available
        ) from exc
    moves = [Move(by_id[lot_id], "available", "written_off", n) for lot_id, n in pieces]
    await writer.post("adjustment", moves, reason=reason)
    return Adjusted(None, moves, await _balance(writer, ctx))
