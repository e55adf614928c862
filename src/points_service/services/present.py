"""Records and service results → response bodies (plain dicts shaped as in `schemas`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..db import records as r
from ..domain.money import format_amount
from .balance import BalanceView, PendingExpiry, effective_lot_states


def money(minor: int | None, currency: str | None) -> dict[str, str] | None:
    if minor is None or currency is None:
        return None
    return {"amount": format_amount(minor, currency), "currency": currency}


def balance(b: BalanceView) -> dict[str, Any]:
    return {
        "account_id": b.account_id,
        "available": b.available,
        "held": b.held,
        "deducted": b.deducted,
        "expiring": [{"lot_id": e.lot_id, "points": e.points, "expires_at": e.expires_at} for e in b.expiring],
        "awaiting_points": {"count": b.awaiting[0], "points": b.awaiting[1]},
        "as_of": b.as_of,
    }


def account(a: r.Account, b: BalanceView) -> dict[str, Any]:
    return {
        "account_id": a.id,
        "display_name": a.display_name,
        "metadata": a.metadata,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
        "low_balance_threshold": a.low_balance_threshold,
        "balance": balance(b),
    }


def lot(row: r.Lot, now: datetime) -> dict[str, Any]:
    return {
        "id": row.id,
        "account_id": row.account_id,
        "source": row.source,
        "points": row.points,
        **effective_lot_states(row, now),
        "granted_at": row.granted_at,
        "expires_at": row.expires_at,
        "revoked_at": row.revoked_at,
        "plan": row.plan_code,
        "paid": money(row.paid_minor, row.paid_currency),
        "payment_id": row.payment_id,
        "license_key": row.license_key,
        "external_ref": row.external_ref,
        "origin_lot_id": row.origin_lot_id,
        "unit_price": {"amount": row.unit_price, "currency": row.unit_currency},
    }


def plan(row: r.Plan) -> dict[str, Any]:
    return {"code": row.code, "points": row.points, "price": money(row.price_minor, row.currency), "active": row.active}


def category(row: r.Category) -> dict[str, Any]:
    return {"code": row.code, "group": row.group, "name": row.name, "pricing": row.pricing, "active": row.active}


def license_product(row: r.LicenseProduct) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.name,
        "bonus_points": row.bonus_points,
        "bonus_policy": row.bonus_policy,
        "active": row.active,
    }


def license(row: r.License) -> dict[str, Any]:
    return {
        "license_key": row.license_key,
        "account_id": row.account_id,
        "product": row.product_code,
        "purchased_at": row.purchased_at,
        "lot_id": row.lot_id,
    }


def ticket(row: r.Ticket) -> dict[str, Any]:
    return {
        "id": row.id,
        "account_id": row.account_id,
        "external_ref": row.external_ref,
        "subject": row.subject,
        "category": row.category_code,
        "pricing": row.pricing,
        "quantity": row.quantity,
        "estimated_points": row.estimated_points,
        "captured_points": row.captured_points,
        "charged_points": row.charged_points,
        "deducted_points": row.deducted_points,
        "returned_points": row.returned_points,
        "forfeited_points": row.forfeited_points,
        "status": row.status,
        "version": row.version,
        "opened_at": row.opened_at,
        "resolved_at": row.resolved_at,
        "refunded_at": row.refunded_at,
        "closed_at": row.closed_at,
    }


def ticket_detail(row: r.Ticket, allocations: list[r.Allocation], history: list[r.TicketEvent]) -> dict[str, Any]:
    return {
        **ticket(row),
        "allocations": [
            {"seq": a.seq, "lot_id": a.lot_id, "held": a.held, "deducted": a.deducted, "returned": a.returned}
            for a in allocations
        ],
        "history": [
            {
                "at": e.at,
                "action": e.action,
                "points": e.points,
                "reason": e.reason,
                "note": e.note,
                "actor": e.actor,
                "version": e.version,
            }
            for e in history
        ],
    }


def entry(row: r.Entry | PendingExpiry, postings: list[dict[str, Any]]) -> dict[str, Any]:
    if isinstance(row, PendingExpiry):
        return {
            "id": f"pending:{row.lot.id}",
            "seq": None,
            "account_id": row.lot.account_id,
            "kind": "expiry",
            "available_delta": -row.points,
            "held_delta": 0,
            "deducted_delta": 0,
            "available_after": row.available_after,
            "held_after": row.held_after,
            "deducted_after": row.deducted_after,
            "postings": postings,
            "lot_id": row.lot.id,
            "ticket_id": None,
            "reason": None,
            "actor": "system:expiry",
            "created_at": row.created_at,
            "effective_at": row.lot.expires_at,
            "pending": True,
            "dispute_id": None,
        }
    return {
        "id": row.id,
        "seq": row.seq,
        "account_id": row.account_id,
        "kind": row.kind,
        "available_delta": row.available_delta,
        "held_delta": row.held_delta,
        "deducted_delta": row.deducted_delta,
        "available_after": row.available_after,
        "held_after": row.held_after,
        "deducted_after": row.deducted_after,
        "postings": postings,
        "lot_id": row.lot_id,
        "ticket_id": row.ticket_id,
        "reason": row.reason,
        "actor": row.actor,
        "created_at": row.created_at,
        "effective_at": row.effective_at,
        "pending": False,
        "dispute_id": row.dispute_id,
    }


def dispute(row: r.Dispute) -> dict[str, Any]:
    return {
        "id": row.id,
        "ticket_id": row.ticket_id,
        "account_id": row.account_id,
        "status": row.status,
        "points_claimed": row.points_claimed,
        "points_credited": row.points_credited,
        "reason": row.reason,
        "resolution_note": row.resolution_note,
        "opened_at": row.opened_at,
        "opened_by": row.opened_by,
        "closed_at": row.closed_at,
        "closed_by": row.closed_by,
    }


def webhook_event(e: r.WebhookEvent) -> dict[str, Any]:
    """A stored billing webhook delivery, with its payload and outcome."""
    return {
        "id": e.id,
        "type": e.type,
        "outcome": e.outcome,
        "detail": e.detail,
        "account_id": e.account_id,
        "lot_id": e.lot_id,
        "attempts": e.attempts,
        "payload": e.payload,
        "received_at": e.received_at,
        "updated_at": e.updated_at,
    }
