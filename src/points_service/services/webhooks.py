"""Billing webhook events: each delivery stored by its webhook id with its outcome, applied once.

An event whose id is settled (`applied`, `ignored`, `needs_review`, `conflict`) is answered again
without doing anything; a `failed` one is attempted again when the sender retries. The effect and
the event's record commit together; a failing effect is rolled back to its savepoint and only the
`failed` record is kept.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db.models import Account, Lot, WebhookEvent
from ..domain.errors import ConflictError, DomainError, NotFoundError
from ..domain.money import parse_amount
from .accounts import new_account
from .context import Context
from .grants import Paid, purchase, register_license
from .ledger import POSTED
from .revocation import revoke_lot

ACTOR = "webhook:billing"


class Outcome(enum.StrEnum):
    APPLIED = "applied"
    IGNORED = "ignored"
    FAILED = "failed"
    NEEDS_REVIEW = "needs_review"
    CONFLICT = "conflict"


SETTLED = {Outcome.APPLIED, Outcome.IGNORED, Outcome.NEEDS_REVIEW, Outcome.CONFLICT}
_HANDLED = {"payment.succeeded", "payment.refunded", "payment.charged_back", "license.purchased"}


class EventError(Exception):
    """The event cannot be applied (yet): it is stored as `failed` and the sender retries."""


@dataclass
class Received:
    event: WebhookEvent
    replayed: bool  # an already settled delivery: nothing was done

    @property
    def outcome(self) -> Outcome:
        return Outcome(self.event.outcome)


ACCOUNT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _account_id(data: dict[str, Any], *, required: bool = True) -> str | None:
    value = _text(data, "account_id", required=required, limit=64)
    if value is not None and not ACCOUNT_ID.match(value):
        raise EventError("data.account_id must be 1 to 64 of A-Z a-z 0-9 . _ : -")
    return value


def _text(data: dict[str, Any], name: str, *, required: bool = True, limit: int = 128) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= limit or "\x00" in value:
        raise EventError(f"data.{name} must be a string of 1 to {limit} characters, without NUL")
    return value


def _instant(data: dict[str, Any], name: str) -> datetime:
    raw = _text(data, name, limit=64)
    assert raw is not None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise EventError(f"data.{name} must be an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise EventError(f"data.{name} must carry a UTC offset")
    return moment


async def _ensure_account(session: AsyncSession, account_id: str, now: datetime) -> None:
    if await session.scalar(select(Account.id).where(Account.id == account_id)) is None:
        session.add(new_account(account_id, now))
        await session.flush()


async def _payment_succeeded(session: AsyncSession, ctx: Context, data: dict[str, Any]) -> tuple[Outcome, str, Lot | None]:
    account_id = _account_id(data)
    payment_id = _text(data, "payment_id")
    plan = _text(data, "plan", limit=64)
    amount = _text(data, "amount", limit=24)
    currency = _text(data, "currency", limit=3)
    paid_at = _instant(data, "paid_at")
    assert account_id and payment_id and plan and amount and currency
    existing = await session.scalar(select(Lot).where(Lot.payment_id == payment_id))
    if existing is not None:
        # SPEC §4: a payment seen before is the same event when plan and amount agree (a resend
        # may carry another paid_at); another plan, amount or account is a conflict.
        same = (
            existing.source == "purchase"
            and existing.account_id == account_id
            and existing.plan_code == plan
            and existing.paid_currency == currency
            and existing.paid_minor == parse_amount(amount, currency)
        )
        if not same:
            return Outcome.CONFLICT, f"payment {payment_id!r} was recorded with other content", existing
        return Outcome.APPLIED, "payment seen before: nothing added", existing
    await _ensure_account(session, account_id, ctx.clock.now())
    try:
        granted = await purchase(
            session,
            ctx,
            account_id=account_id,
            plan=plan,
            payment_id=payment_id,
            purchased_at=paid_at,
            paid=Paid(amount, currency),
            flexible_time=True,
        )
    except ConflictError as exc:
        return Outcome.CONFLICT, exc.detail, None
    detail = "purchase recorded" if granted.created else "payment seen before: nothing added"
    return Outcome.APPLIED, detail, granted.lot


async def _payment_reversed(
    session: AsyncSession, ctx: Context, kind: str, data: dict[str, Any]
) -> tuple[Outcome, str, Lot | None]:
    payment_id = _text(data, "payment_id")
    account_id = _account_id(data, required=False)
    amount = data.get("amount")
    lot = await session.scalar(select(Lot).where(Lot.payment_id == payment_id))
    if lot is None:
        raise EventError(f"payment {payment_id!r} has not been seen")
    if account_id is not None and account_id != lot.account_id:
        return Outcome.CONFLICT, f"payment {payment_id!r} belongs to another account", lot
    if amount is not None:
        if not isinstance(amount, str):
            raise EventError("data.amount must be a decimal string")
        if lot.paid_currency is None:  # imported without a price: nothing to compare with
            return Outcome.NEEDS_REVIEW, "refund with an amount of a payment whose price is unknown", lot
        currency = data.get("currency", lot.paid_currency)
        if currency != lot.paid_currency or parse_amount(amount, lot.paid_currency) != lot.paid_minor:
            return Outcome.NEEDS_REVIEW, "partial refund: review by hand", lot
    reason = data.get("reason")
    note = f"{kind}: {_printable(reason)}" if isinstance(reason, str) and reason else kind
    await revoke_lot(session, ctx, lot_id=lot.id, reason=note[:500])
    return Outcome.APPLIED, "lot revoked", lot


async def _license_purchased(session: AsyncSession, ctx: Context, data: dict[str, Any]) -> tuple[Outcome, str, Lot | None]:
    account_id = _account_id(data)
    license_key = _text(data, "license_key")
    product = _text(data, "product", limit=64)
    purchased_at = _instant(data, "purchased_at")
    assert account_id and license_key and product
    await _ensure_account(session, account_id, ctx.clock.now())
    try:
        granted = await register_license(
            session,
            ctx,
            account_id=account_id,
            license_key=license_key,
            product=product,
            purchased_at=purchased_at,
            flexible_time=True,
        )
    except ConflictError as exc:
        return Outcome.CONFLICT, exc.detail, None
    return Outcome.APPLIED, "license recorded" if granted.created else "license seen before", granted.lot


async def _apply(session: AsyncSession, ctx: Context, event_type: str, data: dict[str, Any]) -> tuple[Outcome, str, Lot | None]:
    match event_type:
        case "payment.succeeded":
            return await _payment_succeeded(session, ctx, data)
        case "payment.refunded" | "payment.charged_back":
            return await _payment_reversed(session, ctx, event_type, data)
        case "license.purchased":
            return await _license_purchased(session, ctx, data)
    return Outcome.IGNORED, f"event type {event_type!r} is not handled", None


def _printable(text: str) -> str:
    return text.replace("\x00", "\ufffd")


async def receive_event(
    session: AsyncSession, ctx: Context, *, webhook_id: str, payload: dict[str, Any]
) -> Received:
    now = ctx.clock.now()
    stmt = select(WebhookEvent).where(WebhookEvent.id == webhook_id).with_for_update()
    event = (await session.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()
    if event is not None and Outcome(event.outcome) in SETTLED:
        return Received(event, replayed=True)

    event_type = payload.get("type") if isinstance(payload.get("type"), str) else ""
    data = payload.get("data")
    lot = None
    posted = len(session.info.get(POSTED, []))
    try:
        async with session.begin_nested():
            if not event_type:
                raise EventError("the event has no type")
            if not isinstance(data, dict) and event_type in _HANDLED:
                raise EventError("the event has no data object")
            outcome, detail, lot = await _apply(session, ctx, event_type, data if isinstance(data, dict) else {})
    except (EventError, DomainError) as exc:
        del session.info.get(POSTED, [])[posted:]  # rolled back with the savepoint
        outcome = Outcome.FAILED
        detail = str(exc) if isinstance(exc, EventError) else exc.detail
        if isinstance(exc, NotFoundError):
            detail = f"{exc.kind} {exc.ident!r} does not exist"
    account_id = data.get("account_id") if isinstance(data, dict) else None
    fields = {
        # Copies of the payload's text for the admin list: PostgreSQL text cannot hold NUL (the
        # payload itself, stored as JSON, keeps it escaped).
        "type": _printable(event_type[:100]) or "(none)",
        "payload": payload,
        "outcome": str(outcome),
        "detail": detail[:1000],
        "account_id": _printable(account_id[:64]) if isinstance(account_id, str) else None,
        "lot_id": lot.id if lot is not None else None,
        "updated_at": now,
    }
    if event is None:
        event = WebhookEvent(id=webhook_id, attempts=1, received_at=now, **fields)
        session.add(event)
    else:
        for key, value in fields.items():
            setattr(event, key, value)
        event.attempts += 1
    await session.flush()
    return Received(event, replayed=False)


async def list_events(
    session: AsyncSession, *, outcomes: list[str] | None, after: list[Any] | None, limit: int
) -> tuple[list[WebhookEvent], list[Any] | None]:
    """Newest first, by (received_at, id)."""
    stmt = select(WebhookEvent)
    if outcomes:
        stmt = stmt.where(WebhookEvent.outcome.in_(outcomes))
    if after is not None:
        at = datetime.fromisoformat(after[0])
        stmt = stmt.where(
            or_(WebhookEvent.received_at < at, and_(WebhookEvent.received_at == at, WebhookEvent.id < after[1]))
        )
    stmt = stmt.order_by(WebhookEvent.received_at.desc(), WebhookEvent.id.desc()).limit(limit + 1)
    rows = list((await session.scalars(stmt)).all())
    items = rows[:limit]
    next_key = (
        [items[-1].received_at.isoformat(timespec="microseconds"), items[-1].id] if len(rows) > limit and items else None
    )
    return items, next_key
