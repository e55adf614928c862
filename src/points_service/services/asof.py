"""Reads at a past instant (SPEC §6.2 "As of"): the answer the service would have given then.

Everything is rebuilt from what was recorded by `at` (inclusive: `created_at <= at`), never from a
second copy of the counters:

* the account's counters and `last_seq` are those after its newest entry recorded by `at` (an
  account's entries never go back in time, so these are the entries with `seq <= last_seq`);
* a lot's states are the sum of its postings in entries recorded by `at`; its `revoked_at` shows
  only if the revocation was recorded by then;
* expiries due at `at` and not yet written then are shown as pending, exactly as the live read
  does. Every write persists its account's due expiries first (and a return into an expired lot
  expires at once), so after the newest entry recorded by `at` no lot expiring by then still had
  available points: only lots expiring after it can be pending at `at`, a short index range;
* tickets waiting for points at `at` (the balance's `awaiting_points`) come from the tickets
  opened by then and not closed by then, and their history rows up to `at`.

The boundary is inclusive so that a read at an instant sees what a live read at that same instant
saw (a write at `at` comes before a read at `at`). The finance report's periods are half-open
`[from, to)`: its `closing` at `to` is the liability (available + held) of an as-of read at the
microsecond before `to`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, or_, select

from ..db import schema as t
from ..db.records import FIELDS, SELECT, Account, Lot, Ticket
from ..domain.clock import is_expired
from ..domain.errors import NotFoundError
from ..domain.lots import LotKey, consumption_key
from ..domain.tickets import TicketAction
from .balance import BalanceView, balance_at
from .queries import Page, _page, ledger_page, lot_key

_e, _p, _l, _k, _v = t.ledger_entries.c, t.postings.c, t.lots.c, t.tickets.c, t.ticket_events.c
_AT = bindparam("at", type_=_e.created_at.type)

ACCOUNT = SELECT[Account].where(t.accounts.c.id == bindparam("account_id"))
# The newest entry recorded by `at`: one step down `ix_ledger_entries_account_created_at`.
LAST_ENTRY = (
    select(_e.seq, _e.available_after, _e.held_after, _e.deducted_after, _e.created_at)
    .where(_e.account_id == bindparam("account_id"), _e.created_at <= _AT)
    .order_by(_e.created_at.desc(), _e.seq.desc())
    .limit(1)
)
# Lots that may hold available points expiring in (`after`, `horizon`]: pending or expiring at `at`.
LOTS_EXPIRING = SELECT[Lot].where(
    _l.account_id == bindparam("account_id"),
    _l.expires_at.is_not(None),
    _l.expires_at > bindparam("after", type_=_l.expires_at.type),
    _l.expires_at <= bindparam("horizon", type_=_l.expires_at.type),
    _l.created_at <= _AT,
)
# Lots unexpired at `at` (the lots list without `include_empty`): they were granted within their
# validity before `at`, so they stay few however long the history.
LOTS_UNEXPIRED = SELECT[Lot].where(
    _l.account_id == bindparam("account_id"),
    or_(_l.expires_at.is_(None), _l.expires_at > _AT),
    _l.created_at <= _AT,
)
LOTS_BY_ID = SELECT[Lot].where(_l.id.in_(bindparam("ids", expanding=True)))
# A lot's points per state at `at`: its postings in entries recorded by then (`ix_postings_lot_id`).
POSTINGS_BY_LOT = (
    select(_p.lot_id, _p.from_state, _p.to_state, func.sum(_p.points))
    .select_from(t.postings.join(t.ledger_entries, _e.id == _p.entry_id))
    .where(_p.lot_id.in_(bindparam("ids", expanding=True)), _e.created_at <= _AT)
    .group_by(_p.lot_id, _p.from_state, _p.to_state)
)
# Tickets in progress at `at`: opened by then, not closed by then (`ix_tickets_account_closed_at`).
TICKETS_IN_PROGRESS = SELECT[Ticket].where(
    _k.account_id == bindparam("account_id"),
    _k.opened_at <= _AT,
    or_(_k.closed_at.is_(None), _k.closed_at > _AT),
)
TICKET_EVENTS = (
    select(_v.ticket_id, _v.action, _v.points, _v.reason, _v.at, _v.estimated_points)
    .where(_v.ticket_id.in_(bindparam("ids", expanding=True)))
    .order_by(_v.ticket_id, _v.version)
)
ALLOCATED_LOTS = select(t.ticket_allocations.c.lot_id).where(
    t.ticket_allocations.c.ticket_id.in_(bindparam("ids", expanding=True))
)
AWAITING_REASON = "awaiting points"  # the `opened` history row of a ticket that had to wait


@dataclass
class Snapshot:
    """An account as it stood at `at`: its counters, `last_seq` and `ledger_at` those after its
    newest entry recorded by then; the lots whose expiry was due then and not written (`due`),
    with their states at `at`; the tickets in progress then."""

    account: Account
    at: datetime
    balance: BalanceView
    due: list[Lot]
    in_progress: list[Ticket]


def account_at(conn: Connection, account_id: str, at: datetime) -> Account:
    """The account with its counters after its newest entry recorded by `at`; 404 when the account
    did not exist then."""
    row = conn.execute(ACCOUNT, {"account_id": account_id}).first()
    if row is None or row.created_at > at:
        raise NotFoundError("account", account_id)
    account = Account(*row)  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
    last: Any = conn.execute(LAST_ENTRY, {"account_id": account_id, "at": at}).first()
    seq, available, held, deducted, recorded_at = last if last is not None else (0, 0, 0, 0, None)
    return replace(account, available=available, held=held, deducted=deducted, last_seq=seq, ledger_at=recorded_at)


def lots_at(conn: Connection, lots: Iterable[Lot], at: datetime) -> list[Lot]:
    """The lots as they were at `at`: their states from their postings recorded by then."""
    lots = list(lots)
    if not lots:
        return []
    states: dict[str, dict[str, int]] = {lot.id: dict.fromkeys(t.LOT_STATES, 0) for lot in lots}
    row: Any
    for row in conn.execute(POSTINGS_BY_LOT, {"ids": list(states), "at": at}):
        lot_id, from_state, to_state, points = row
        states[lot_id][to_state] += int(points)
        if from_state is not None:
            states[lot_id][from_state] -= int(points)
    out = []
    for lot in lots:
        values: dict[str, Any] = {name: getattr(lot, name) for name in FIELDS[Lot]}
        revoked_at = lot.revoked_at if lot.revoked_at is not None and lot.revoked_at <= at else None
        out.append(Lot(**(values | states[lot.id] | {"revoked_at": revoked_at})))
    return out


def _lots(conn: Connection, stmt: Any, params: dict[str, Any]) -> list[Lot]:
    return [Lot(*row) for row in conn.execute(stmt, params)]  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)


def _in_progress(conn: Connection, account_id: str, at: datetime) -> list[Ticket]:
    return [Ticket(*row) for row in conn.execute(TICKETS_IN_PROGRESS, {"account_id": account_id, "at": at})]  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)


def awaiting_at(conn: Connection, tickets: Sequence[Ticket], at: datetime) -> tuple[int, int]:
    """How many of `tickets` (in progress at `at`) were waiting for points then, and for how many.

    A waiting ticket's `opened` row says so (reason `awaiting points`); it waits until its
    `captured` row. What it waits for is its estimate after its newest row by `at`
    (`estimated_points`, recorded since migration 0009). Rows written before that carry none: then
    an adjust row's points, or the points of the next `captured` row when no adjust came between,
    else its current estimate (exact unless it was adjusted while waiting before 0009)."""
    ids = [ticket.id for ticket in tickets]
    if not ids:
        return 0, 0
    events: dict[str, list[Any]] = {}
    for row in conn.execute(TICKET_EVENTS, {"ids": ids}):
        events.setdefault(row.ticket_id, []).append(row)
    count = points = 0
    for ticket in tickets:
        rows = events.get(ticket.id, [])
        if not rows or rows[0].reason != AWAITING_REASON or rows[0].action != TicketAction.OPENED:
            continue
        before = [r for r in rows if r.at <= at]
        if any(r.action == TicketAction.CAPTURED for r in before):
            continue
        adjusted = [r.points for r in before if r.action == TicketAction.ADJUSTED]
        if before[-1].estimated_points is not None:
            waits = before[-1].estimated_points
        elif adjusted:
            waits = adjusted[-1]
        else:
            later = [r for r in rows if r.at > at and r.action in (TicketAction.ADJUSTED, TicketAction.CAPTURED)]
            waits = later[0].points if later and later[0].action == TicketAction.CAPTURED else ticket.estimated_points
        count, points = count + 1, points + waits
    return count, points


def snapshot(conn: Connection, account_id: str, at: datetime, window: timedelta) -> Snapshot:
    """The account, its balance and its due lots at `at`, read in one snapshot."""
    account = account_at(conn, account_id, at)
    after = account.ledger_at or at  # no entry by `at`: no lot either
    candidates = _lots(
        conn, LOTS_EXPIRING, {"account_id": account_id, "after": after, "horizon": at + window, "at": at}
    )
    lots = sorted(lots_at(conn, candidates, at), key=lambda lot: (lot.expires_at, lot.id))
    tickets = _in_progress(conn, account_id, at)
    awaiting = awaiting_at(conn, tickets, at)
    account = replace(account, awaiting_count=awaiting[0], awaiting_points=awaiting[1])
    figures = [(lot.expires_at, lot.id, lot.available) for lot in lots]
    counters = (account.available, account.held, account.deducted)
    balance = balance_at(account.id, counters, figures, at, window, awaiting)
    due = [lot for lot in lots if lot.available > 0 and is_expired(lot.expires_at, at)]
    return Snapshot(account, at, balance, due, tickets)


def ledger_page_at(
    conn: Connection, account_id: str, at: datetime, *, kinds: Sequence[str] | None, before_seq: int | None, limit: int
) -> Page:
    """`queries.ledger_page` as it was at `at`: entries up to the newest recorded by then, and the
    expiries pending then."""
    snap = snapshot(conn, account_id, at, timedelta(0))
    return ledger_page(
        conn,
        snap.account,
        at,
        kinds=kinds,
        before_seq=before_seq,
        limit=limit,
        due=snap.due,
        through_seq=snap.account.last_seq,
    )


def _live(lot: Lot, at: datetime) -> bool:
    return lot.held > 0 or (lot.available > 0 and not is_expired(lot.expires_at, at))


def _after(key: list[Any]) -> tuple[bool, datetime, datetime, str]:
    return (key[0], datetime.fromisoformat(key[1]), datetime.fromisoformat(key[2]), key[3])


def list_lots_at(
    conn: Connection, account_id: str, at: datetime, *, include_empty: bool, after: list[Any] | None, limit: int
) -> Page:
    """`queries.list_lots` as it was at `at` (the same order and cursor keys). Without
    `include_empty`: the lots unexpired at `at` and those an expired lot's points were held by
    then (the lots of the tickets in progress then), their states at `at`."""
    account_at(conn, account_id, at)  # 404 before the account existed
    params: dict[str, Any] = {"account_id": account_id, "at": at}
    if include_empty:
        # Every lot recorded by then, in consumption order (`ix_lots_account_order`).
        rows = _lots(conn, SELECT[Lot].where(_l.account_id == bindparam("account_id"), _l.created_at <= _AT), params)
    else:
        rows = _lots(conn, LOTS_UNEXPIRED, params)
        tickets = _in_progress(conn, account_id, at)
        if tickets:
            held = {row[0] for row in conn.execute(ALLOCATED_LOTS, {"ids": [k.id for k in tickets]})}
            known = {lot.id for lot in rows}
            rows += _lots(conn, LOTS_BY_ID, {"ids": sorted(held - known)}) if held - known else []
    order = sorted(rows, key=lambda lot: consumption_key(LotKey(lot.id, lot.granted_at, lot.expires_at, 0)))
    if after is not None:
        start = _after(after)
        order = [lot for lot in order if consumption_key(LotKey(lot.id, lot.granted_at, lot.expires_at, 0)) > start]
    page: list[Lot] = []
    # States for a page at a time: with `include_empty` every lot shows, so one page's worth.
    chunk = limit + 1 if include_empty else max(limit + 1, 64)
    for start_at in range(0, len(order), chunk):
        for lot in lots_at(conn, order[start_at : start_at + chunk], at):
            if include_empty or _live(lot, at):
                page.append(lot)
        if len(page) > limit:
            break
    return _page(page, limit, lot_key)
