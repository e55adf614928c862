"""Billing webhook events: each delivery stored by its webhook id with its outcome, applied once.

An event whose id is settled (`applied`, `ignored`, `needs_review`, `conflict`) is answered again
without doing anything; a `failed` one is attempted again when the sender retries. The effect and
the event's record commit together; a failing effect leaves nothing but the `failed` record.

The accounts an event touches are named by its caller (`event_accounts`, and for a refund that
names none, the account of the payment's lot as read just before), so the command locks them
like any other write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from ..db import schema as t
from ..db.records import Lot, WebhookEvent
from ..domain.clock import parse_instant
from ..domain.errors import ConflictError, DomainError, NotFoundError
from ..domain.money import parse_amount
from ..domain.vocabulary import Outcome
from .accounts import ensure_account
from .context import Context
from .grants import Granted, Paid, Purchase, RegisterLicense
from .revocation import RevokeLot
from .state import Needs, Scope

ACTOR = "webhook:billing"


SETTLED = {Outcome.APPLIED, Outcome.IGNORED, Outcome.NEEDS_REVIEW, Outcome.CONFLICT}
_PAYMENT = "payment.succeeded"
_REVERSALS = {"payment.refunded", "payment.charged_back"}
_LICENSE = "license.purchased"
_HANDLED = {_PAYMENT, *_REVERSALS, _LICENSE}


class EventError(Exception):
    """The event cannot be applied (yet): it is stored as `failed` and the sender retries."""


@dataclass(frozen=True)
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
    """The API's one reading of a timestamp (`parse_instant`), for a date in the event's data."""
    raw = _text(data, name, limit=64)
    assert raw is not None
    try:
        return parse_instant(raw)
    except ValueError as exc:
        raise EventError(f"data.{name} {exc}") from None


def _grant(tx: Scope, command: Purchase | RegisterLicense) -> Granted | ConflictError:
    """Apply a grant in a child scope, kept only if it succeeds: a conflict is answered, not raised."""
    step = tx.child()
    try:
        granted = command.apply(step)
    except ConflictError as exc:
        return exc
    step.commit()
    return granted


def _printable(text: str) -> str:
    return text.replace("\x00", "\ufffd")


def _parts(payload: dict[str, Any]) -> tuple[str, Any]:
    event_type = payload.get("type")
    return (event_type if isinstance(event_type, str) else ""), payload.get("data")


def _optional_text(data: Any, name: str) -> str | None:
    """A string member of the data as sent, if it is a usable one (the command validates it)."""
    try:
        return _text(data, name) if isinstance(data, dict) else None
    except EventError:
        return None


def event_accounts(payload: dict[str, Any]) -> set[str]:
    """The account an event names (`data.account_id`), if it names a valid one."""
    event_type, data = _parts(payload)
    if event_type not in _HANDLED or not isinstance(data, dict):
        return set()
    try:
        account_id = _account_id(data, required=False)
    except EventError:
        return set()
    return {account_id} if account_id else set()


def refunded_payment(payload: dict[str, Any]) -> str | None:
    """The payment a refund or chargeback names, when it names no account (the caller then reads
    the account of that payment's lot, `payment_account`)."""
    event_type, data = _parts(payload)
    if event_type in _REVERSALS and not event_accounts(payload):
        return _optional_text(data, "payment_id")
    return None


PAYMENT_ACCOUNT = select(t.lots.c.account_id).where(t.lots.c.payment_id == bindparam("payment_id"))


def payment_account(conn: Connection, payment_id: str) -> str | None:
    return conn.execute(PAYMENT_ACCOUNT, {"payment_id": payment_id}).scalar_one_or_none()


@dataclass(frozen=True, kw_only=True)
class ReceiveBillingEvent:
    ctx: Context
    webhook_id: str
    payload: dict[str, Any]
    accounts: frozenset[str]  # the accounts it may touch, named by the caller

    def needs(self, needs: Needs) -> None:
        needs.webhook_events.add(self.webhook_id)
        needs.lock(*self.accounts)
        event_type, data = _parts(self.payload)
        if event_type not in _HANDLED or not isinstance(data, dict):
            return
        needs.catalogue = True
        if (payment_id := _optional_text(data, "payment_id")) is not None:
            needs.payments.add(payment_id)
        if event_type in _REVERSALS:
            needs.all_lots.update(self.accounts)
        if event_type == _LICENSE and (license_key := _optional_text(data, "license_key")) is not None:
            needs.licenses.add(license_key)
            needs.licensed.update(self.accounts)

    def apply(self, tx: Scope) -> Received:
        now = self.ctx.clock.now()
        event = tx.webhook_event(self.webhook_id)
        if event is not None and Outcome(event.outcome) in SETTLED:
            return Received(event, replayed=True)
        event_type, data = _parts(self.payload)
        lot = None
        step = tx.child()
        try:
            if not event_type:
                raise EventError("the event has no type")
            if not isinstance(data, dict) and event_type in _HANDLED:
                raise EventError("the event has no data object")
            outcome, detail, lot = self._apply(step, event_type, data if isinstance(data, dict) else {})
            step.commit()
        except (EventError, DomainError) as exc:  # the effect is dropped, the record kept
            outcome = Outcome.FAILED
            detail = str(exc) if isinstance(exc, EventError) else exc.detail
            if isinstance(exc, NotFoundError):
                detail = f"{exc.kind} {exc.ident!r} does not exist"
        account_id = data.get("account_id") if isinstance(data, dict) else None
        fields: dict[str, Any] = {
            # Copies of the payload's text for the admin list: PostgreSQL text cannot hold NUL (the
            # payload itself, stored as JSON, keeps it escaped).
            "type": _printable(event_type[:100]) or "(none)",
            "payload": self.payload,
            "outcome": str(outcome),
            "detail": detail[:1000],
            "account_id": _printable(account_id[:64]) if isinstance(account_id, str) else None,
            "lot_id": lot.id if lot is not None else None,
            "updated_at": now,
        }
        if event is None:
            event = tx.insert(WebhookEvent(id=self.webhook_id, attempts=1, received_at=now, **fields))
        else:
            event = tx.update(replace(event, attempts=event.attempts + 1, **fields))
        return Received(event, replayed=False)

    def _apply(self, tx: Scope, event_type: str, data: dict[str, Any]) -> tuple[Outcome, str, Lot | None]:
        match event_type:
            case "payment.succeeded":
                return self._payment_succeeded(tx, data)
            case "payment.refunded" | "payment.charged_back":
                return self._payment_reversed(tx, event_type, data)
            case "license.purchased":
                return self._license_purchased(tx, data)
        return Outcome.IGNORED, f"event type {event_type!r} is not handled", None

    def _locked(self, tx: Scope, account_id: str) -> str:
        if account_id not in tx.batch.locked:  # the caller read the event otherwise: a race
            raise EventError(f"account {account_id!r} was not locked for this event; retry")
        return account_id

    def _payment_succeeded(self, tx: Scope, data: dict[str, Any]) -> tuple[Outcome, str, Lot | None]:
        account_id = _account_id(data)
        payment_id = _text(data, "payment_id")
        plan = _text(data, "plan", limit=64)
        amount = _text(data, "amount", limit=24)
        currency = _text(data, "currency", limit=3)
        paid_at = _instant(data, "paid_at")
        assert account_id and payment_id and plan and amount and currency
        existing = tx.lot_by_payment(payment_id)
        if existing is not None:
            # A payment seen before is the same event when plan and amount agree (a resend may
            # carry another paid_at); another plan, amount or account is a conflict.
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
        ensure_account(tx, self._locked(tx, account_id), self.ctx.clock.now())
        purchase = Purchase(
            ctx=self.ctx,
            account_id=account_id,
            plan=plan,
            payment_id=payment_id,
            purchased_at=paid_at,
            paid=Paid(amount, currency),
            flexible_time=True,
        )
        granted = _grant(tx, purchase)
        if isinstance(granted, ConflictError):
            return Outcome.CONFLICT, granted.detail, None
        detail = "purchase recorded" if granted.created else "payment seen before: nothing added"
        return Outcome.APPLIED, detail, granted.lot

    def _payment_reversed(self, tx: Scope, kind: str, data: dict[str, Any]) -> tuple[Outcome, str, Lot | None]:
        payment_id = _text(data, "payment_id")
        account_id = _account_id(data, required=False)
        amount = data.get("amount")
        assert payment_id is not None
        lot = tx.lot_by_payment(payment_id)
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
                return Outcome.NEEDS_REVIEW, "refund amount differs from the amount paid: review by hand", lot
        reason = data.get("reason")
        note = f"{kind}: {_printable(reason)}" if isinstance(reason, str) and reason else kind
        revoke = RevokeLot(ctx=self.ctx, account_id=self._locked(tx, lot.account_id), lot_id=lot.id, reason=note[:500])
        revoke.apply(tx)
        return Outcome.APPLIED, "lot revoked", tx.lot(lot.id)

    def _license_purchased(self, tx: Scope, data: dict[str, Any]) -> tuple[Outcome, str, Lot | None]:
        account_id = _account_id(data)
        license_key = _text(data, "license_key")
        product = _text(data, "product", limit=64)
        purchased_at = _instant(data, "purchased_at")
        assert account_id and license_key and product
        ensure_account(tx, self._locked(tx, account_id), self.ctx.clock.now())
        register = RegisterLicense(
            ctx=self.ctx,
            account_id=account_id,
            license_key=license_key,
            product=product,
            purchased_at=purchased_at,
            flexible_time=True,
        )
        granted = _grant(tx, register)
        if isinstance(granted, ConflictError):
            return Outcome.CONFLICT, granted.detail, None
        return Outcome.APPLIED, "license recorded" if granted.created else "license seen before", granted.lot
