"""Reads at a past instant (docs/design.md §15): the answer the service would have given then.

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
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Select,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
)

from ..db import schema as t
from ..db.records import FIELDS, SELECT, Account, Lot, Ticket, TicketEvent
from ..domain.clock import is_expired
from ..domain.errors import NotFoundError
from ..domain.lots import LotKey, consumption_key
from ..domain.spans import SPAN_CLASSES, span_bound
from ..domain.tickets import TicketAction, TicketStatus
from .balance import BalanceView, balance_at
from .queries import (
    CLOSED,
    IN_PROGRESS,
    MODIFICATION_KINDS,
    KeyedPage,
    StatementView,
    ledger_page,
    list_lots,
    lot_key,
    page_of,
    ticket_key,
)

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
# A lot's states at `at` are those after its newest posting in an entry recorded by then (`seq` up
# to the account's `last_seq` then): one step down `ix_postings_lot_seq` for the newest `seq`, one
# for the newest `idx` within it (an entry may move one lot's points twice).
_newer = t.postings.alias("newer")
_NEWEST_SEQ = (
    select(func.max(_newer.c.seq))
    .where(_newer.c.lot_id == _l.id, _newer.c.seq <= bindparam("through_seq"))
    .scalar_subquery()
)
_NEWEST_IDX = select(func.max(_newer.c.idx)).where(_newer.c.lot_id == _l.id, _newer.c.seq == _p.seq).scalar_subquery()
_STATES_AT = [_p[f"{state}_after"] for state in t.LOT_STATES]
_LOTS_AT = select(*(_l[name] for name in FIELDS[Lot]), *_STATES_AT).select_from(
    t.lots.join(t.postings, and_(_p.lot_id == _l.id, _p.seq == _NEWEST_SEQ, _p.idx == _NEWEST_IDX))
)
_HOLDS_POINTS_AT = or_(_p.available_after > literal_column("0"), _p.held_after > literal_column("0"))
# Lots holding available points at `at` that expire in (`after`, `horizon`]: pending or expiring then.
LOTS_EXPIRING = _LOTS_AT.where(
    _l.account_id == bindparam("account_id"),
    _l.expires_at.is_not(None),
    _l.expires_at > bindparam("after", type_=_l.expires_at.type),
    _l.expires_at <= bindparam("horizon", type_=_l.expires_at.type),
    _l.created_at <= _AT,
    _p.available_after > literal_column("0"),
)
# Of the lots `ids`, those holding points at `at` (the lots list without `include_empty`), each one
# index step to its state then.
LOTS_HOLDING_BY_ID = _LOTS_AT.where(_l.id.in_(bindparam("ids", expanding=True)), _HOLDS_POINTS_AT)
LOTS_BY_ID = _LOTS_AT.where(_l.id.in_(bindparam("ids", expanding=True)))
_LATEST = datetime.max.replace(tzinfo=UTC)


def _ended_since(stmt: Select[Any], cls_column: Any, end_column: Any) -> CompoundSelect[Any]:
    """`stmt`'s rows that ended (`end_column`) after `at` within their span class's bound
    (`cls_column`, `domain.spans`): one range per class, `upto_<class>` its end. A thing in progress
    at `at` and ended since ended at most its span after `at`, so each range holds about twice the
    rows it answers, however long the history after `at`."""

    def within(cls: int) -> tuple[Any, ...]:
        since = (cls_column == literal_column(str(cls)), end_column > _AT)
        return since if span_bound(cls) is None else (*since, end_column <= bindparam(f"upto_{cls}", type_=_AT.type))

    return union_all(*(stmt.where(*within(cls)) for cls in range(SPAN_CLASSES)))


def _span_params(params: dict[str, Any], at: datetime) -> dict[str, Any]:
    """`params` with the end of each class's range after `at` (`_ended_since`)."""
    out = dict(params, at=at)
    for cls in range(SPAN_CLASSES):
        if (bound := span_bound(cls)) is not None:
            out[f"upto_{cls}"] = at + bound if _LATEST - bound >= at else _LATEST
    return out


# Tickets in progress at `at`: opened by then, not closed by then — ranges of
# `ix_tickets_account_span_closed_at`, read inside the index (their keys are in it): those still
# open, and per span class those closed since (`_ended_since`). (One statement with an OR lets the
# planner walk `opened_at` instead: every ticket opened by then.)
_OPENED_BY = (_k.account_id == bindparam("account_id"), _k.opened_at <= _AT)
_STILL_OPEN = (*_OPENED_BY, _k.span_class.is_(None), _k.closed_at.is_(None))
_KEYS = select(_k.opened_at, _k.id)
KEYS_STILL_OPEN = _KEYS.where(*_STILL_OPEN)
KEYS_CLOSED_SINCE = _ended_since(_KEYS.where(*_OPENED_BY), _k.span_class, _k.closed_at)
TICKETS_BY_ID = SELECT[Ticket].where(_k.id.in_(bindparam("ids", expanding=True)))
# The tickets in progress at `at` that were opened to wait (the only ones that can have been
# waiting then): the same ranges of the partial index `ix_tickets_waited`, their ids only (usually
# none; the tickets are read by id when some did), so that the statement of 17 ranges is short to plan.
WAITED_STILL_OPEN = select(_k.id).where(t.WAITED, *_STILL_OPEN)
WAITED_CLOSED_SINCE = _ended_since(select(_k.id).where(t.WAITED, *_OPENED_BY), _k.span_class, _k.closed_at)
# The lots that may have held points at `at`: recorded by then, and holding points now (the partial
# index `ix_lots_live`) or, per span class, holding none since a posting after `at` (ranges of the
# partial index `ix_lots_account_emptied`, read inside it): a lot that held points at `at` and holds
# none now had its newest posting after `at`.
_RECORDED_BY = (_l.account_id == bindparam("account_id"), _l.created_at <= _AT)
LOT_IDS_HOLDING = select(_l.id).where(*_RECORDED_BY, t.LIVE_LOT)
LOT_IDS_EMPTIED_SINCE = _ended_since(select(_l.id).where(*_RECORDED_BY, t.EMPTIED_LOT), _l.emptied_class, _l.emptied_at)
TICKET_EVENTS = (
    SELECT[TicketEvent].where(_v.ticket_id.in_(bindparam("ids", expanding=True))).order_by(_v.ticket_id, _v.version)
)
# Points returned into a revoked lot are revoked again at once: the ticket's `forfeited_points`.
FORFEITED = (
    select(_e.ticket_id, func.sum(_p.points))
    .select_from(t.postings.join(t.ledger_entries, _e.id == _p.entry_id))
    .where(
        _e.ticket_id.in_(bindparam("ids", expanding=True)),
        t.is_word(_e.kind, "revocation", t.ENTRY_KINDS),
        t.is_word(_p.to_state, "revoked", t.LOT_STATES),
        _e.created_at <= _AT,
    )
    .group_by(_e.ticket_id)
)
# Tickets closed by `at`, newest first: down `ix_tickets_account_id_opened_at` from `at`.
TICKETS_CLOSED = (
    SELECT[Ticket]
    .where(_k.account_id == bindparam("account_id"), _k.opened_at <= _AT, _k.closed_at <= _AT)
    .order_by(_k.opened_at.desc(), _k.id.desc())
    .limit(bindparam("limit"))
)
TICKETS_CLOSED_AFTER = TICKETS_CLOSED.where(
    tuple_(_k.opened_at, _k.id) < tuple_(bindparam("after_at", type_=_k.opened_at.type), bindparam("after_id"))
)
AWAITING_REASON = "awaiting points"  # the `opened` history row of a ticket that had to wait


@dataclass
class Snapshot:
    """An account as it stood at `at`: its counters, `last_seq` and `ledger_at` those after its
    newest entry recorded by then; the lots whose expiry was due then and not written (`due`),
    with their states at `at`."""

    account: Account
    at: datetime
    balance: BalanceView
    due: list[Lot]


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


def _lots_at(conn: Connection, stmt: Any, params: dict[str, Any], at: datetime) -> list[Lot]:
    """`stmt`'s lots (`_LOTS_AT`) as they were at `at`: their states after their newest posting by
    then (`params["through_seq"]`), their `revoked_at` only if recorded by then."""
    n = len(FIELDS[Lot])
    out = []
    row: Any
    for row in conn.execute(stmt, params):
        lot = Lot(*row[:n])
        revoked_at = lot.revoked_at if lot.revoked_at is not None and lot.revoked_at <= at else None
        states = dict(zip(t.LOT_STATES, row[n:], strict=True))
        out.append(replace(lot, **states, revoked_at=revoked_at))
    return out


def lots_at(conn: Connection, ids: Sequence[str], account: Account, at: datetime) -> list[Lot]:
    """The lots `ids` of `account` (as it stood at `at`) as they were at `at`."""
    if not ids:
        return []
    found = {lot.id: lot for lot in _lots_at(conn, LOTS_BY_ID, {"ids": list(ids), "through_seq": account.last_seq}, at)}
    return [found[i] for i in ids if i in found]  # a lot recorded after `at` has no state then


def _in_progress(conn: Connection, account_id: str, at: datetime) -> list[tuple[datetime, str]]:
    """The keys (`opened_at`, `id`) of the tickets in progress at `at`, newest first."""
    params = _span_params({"account_id": account_id}, at)
    keys = [(row[0], row[1]) for stmt in (KEYS_STILL_OPEN, KEYS_CLOSED_SINCE) for row in conn.execute(stmt, params)]
    return sorted(keys, reverse=True)


def _tickets(conn: Connection, stmt: Any, params: dict[str, Any]) -> list[Ticket]:
    return [Ticket(*row) for row in conn.execute(stmt, params)]  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)


def _waiting(conn: Connection, account_id: str, at: datetime) -> list[Ticket]:
    """The tickets waiting for points at `at`, as they stood then."""
    params = _span_params({"account_id": account_id}, at)
    ids = [row[0] for stmt in (WAITED_STILL_OPEN, WAITED_CLOSED_SINCE) for row in conn.execute(stmt, params)]
    if not ids:
        return []
    waited = _tickets(conn, TICKETS_BY_ID, {"ids": ids})
    return [k for k in tickets_at(conn, waited, at) if k.status == TicketStatus.AWAITING_POINTS]


def _forfeited(conn: Connection, ids: list[str], at: datetime) -> dict[str, int]:
    return {row[0]: int(row[1]) for row in conn.execute(FORFEITED, {"ids": ids, "at": at})}


def tickets_at(conn: Connection, tickets: Sequence[Ticket], at: datetime) -> list[Ticket]:
    """`tickets` (opened by `at`) as they stood at `at`, rebuilt from their history rows recorded by
    then and the points their `revocation` entries recorded by then forfeited."""
    # A ticket unchanged since `at` (every change writes a history row and `changed_at`) is as it
    # stood then; the others are rebuilt.
    ids = [ticket.id for ticket in tickets if ticket.changed_at > at]
    if not ids:
        return list(tickets)
    events: dict[str, list[TicketEvent]] = {}
    for row in conn.execute(TICKET_EVENTS, {"ids": ids}):
        event = TicketEvent(*row)  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
        events.setdefault(event.ticket_id, []).append(event)
    forfeited = _forfeited(conn, ids, at)
    return [
        _ticket_at(ticket, events[ticket.id], forfeited.get(ticket.id, 0), at) if ticket.id in events else ticket
        for ticket in tickets
    ]


def _ticket_at(ticket: Ticket, rows: list[TicketEvent], forfeited: int, at: datetime) -> Ticket:
    """The ticket after its history rows recorded by `at` (see `services.tickets` for what each
    action does to its points)."""
    before = [r for r in rows if r.at <= at]
    status, captured, charged, deducted, returned = TicketStatus.OPEN, 0, 0, 0, 0
    resolved_at: datetime | None = None
    refunded_at: datetime | None = None
    closed_at: datetime | None = None
    for r in before:
        action = TicketAction(r.action)
        if action is TicketAction.OPENED:
            waiting = r.reason == AWAITING_REASON and r.points == 0
            status, captured = (TicketStatus.AWAITING_POINTS if waiting else TicketStatus.OPEN), r.points
        elif action is TicketAction.CAPTURED:
            status, captured = TicketStatus.OPEN, r.points
        elif action is TicketAction.ADJUSTED:
            captured = r.points if status is TicketStatus.OPEN else captured
        elif action is TicketAction.RESOLVED:
            status, captured, charged, deducted = TicketStatus.RESOLVED, 0, r.points, r.points
            resolved_at = closed_at = r.at
        elif action is TicketAction.REFUNDED:
            if status is TicketStatus.OPEN:
                charged = r.points
            if status is not TicketStatus.RESOLVED:
                closed_at = r.at
            status, captured, returned, refunded_at = TicketStatus.REFUNDED, 0, returned + r.points, r.at
        elif action is TicketAction.CREDITED:
            returned += r.points
    last = before[-1]
    if last.category_code is not None:  # recorded since 0009: the estimate and classification then
        estimated, category, quantity, pricing = last.estimated_points, last.category_code, last.quantity, last.pricing
    else:  # older rows: a waiting ticket's estimate from an adjust or its capture; else as it is now
        estimated, category, quantity, pricing = (
            ticket.estimated_points,
            ticket.category_code,
            ticket.quantity,
            ticket.pricing,
        )
        adjusted = [r.points for r in before if r.action == TicketAction.ADJUSTED]
        later = [r for r in rows if r.at > at and r.action in (TicketAction.ADJUSTED, TicketAction.CAPTURED)]
        if status is TicketStatus.AWAITING_POINTS and adjusted:
            estimated = adjusted[-1]
        elif status is TicketStatus.AWAITING_POINTS and later and later[0].action == TicketAction.CAPTURED:
            estimated = later[0].points
    return replace(
        ticket,
        category_code=category,
        quantity=quantity,
        pricing=pricing if pricing is not None else ticket.pricing,
        estimated_points=estimated if estimated is not None else ticket.estimated_points,
        captured_points=captured,
        charged_points=charged,
        deducted_points=deducted,
        returned_points=returned,
        forfeited_points=forfeited,
        status=str(status),
        version=last.version,
        resolved_at=resolved_at,
        refunded_at=refunded_at,
        closed_at=closed_at,
        changed_at=last.at,
    )


def _newest_first(tickets: Iterable[Ticket]) -> list[Ticket]:
    return sorted(tickets, key=lambda k: (k.opened_at, k.id), reverse=True)


def snapshot(conn: Connection, account_id: str, at: datetime, window: timedelta) -> Snapshot:
    """The account, its balance and its due lots at `at`, read in one snapshot."""
    account = account_at(conn, account_id, at)
    after = account.ledger_at or at  # no entry by `at`: no lot either
    params = {"account_id": account_id, "after": after, "horizon": at + window, "at": at}
    lots = _lots_at(conn, LOTS_EXPIRING, params | {"through_seq": account.last_seq}, at)
    lots.sort(key=lambda lot: (lot.expires_at, lot.id))
    waiting = _waiting(conn, account_id, at)
    awaiting = (len(waiting), sum(k.estimated_points for k in waiting))
    account = replace(account, awaiting_count=awaiting[0], awaiting_points=awaiting[1])
    figures = [(lot.expires_at, lot.id, lot.available) for lot in lots]
    counters = (account.available, account.held, account.deducted)
    balance = balance_at(account.id, counters, figures, at, window, awaiting)
    due = [lot for lot in lots if lot.available > 0 and is_expired(lot.expires_at, at)]
    return Snapshot(account, at, balance, due)


def ledger_page_at(
    conn: Connection, account_id: str, at: datetime, *, kinds: Sequence[str] | None, before_seq: int | None, limit: int
) -> KeyedPage:
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
) -> KeyedPage:
    """`queries.list_lots` as it was at `at` (the same order and cursor keys). With `include_empty`:
    the page of the lots recorded by then, as live (the same index ranges), with their states then.
    Without: of the lots holding points now or emptied since `at` (per span class, a short range
    each), those that held points then, live then (unexpired, or holding points for a ticket)."""
    account = account_at(conn, account_id, at)  # 404 before the account existed
    if include_empty:
        page = list_lots(conn, account_id, at, include_empty=True, after=after, limit=limit, recorded_by=at)
        return KeyedPage(lots_at(conn, [lot.id for lot in page.items], account, at), page.next_key)
    params = _span_params({"account_id": account_id}, at)
    ids = [row[0] for stmt in (LOT_IDS_HOLDING, LOT_IDS_EMPTIED_SINCE) for row in conn.execute(stmt, params)]
    rows = _lots_at(conn, LOTS_HOLDING_BY_ID, {"ids": ids, "through_seq": account.last_seq}, at) if ids else []
    order = sorted(
        (lot for lot in rows if _live(lot, at)),
        key=lambda lot: consumption_key(LotKey(lot.id, lot.granted_at, lot.expires_at, 0)),
    )
    if after is not None:
        start = _after(after)
        order = [lot for lot in order if consumption_key(LotKey(lot.id, lot.granted_at, lot.expires_at, 0)) > start]
    return page_of(order[: limit + 1], limit, lot_key)


def tickets_page_at(
    conn: Connection,
    account_id: str,
    at: datetime,
    *,
    statuses: Sequence[str] | None,
    external_ref: str | None,
    after: list[Any] | None,
    limit: int,
    checked: bool = False,
) -> KeyedPage:
    """`queries.tickets_page` as it was at `at`: the tickets opened by then, each as it stood then,
    filtered by their status then. Those in progress then (few) are read whole; those closed by
    then a chunk at a time, newest first, until the page is full."""
    if not checked:
        account_at(conn, account_id, at)  # 404 before the account existed
    wanted = set(statuses) if statuses else set(t.TICKET_STATUSES)
    start = (datetime.fromisoformat(after[0]), after[1]) if after is not None else None

    def keep(ticket: Ticket) -> bool:
        return (
            ticket.status in wanted
            and (external_ref is None or ticket.external_ref == external_ref)
            and (start is None or (ticket.opened_at, ticket.id) < start)
        )

    found: list[Ticket] = []
    if wanted & {TicketStatus.AWAITING_POINTS, TicketStatus.OPEN}:
        # In progress then: their keys from the index, newest first; read and rebuilt a chunk at a
        # time until the page is full.
        keys = [key for key in _in_progress(conn, account_id, at) if start is None or key < start]
        chunk = limit + 1
        for first in range(0, len(keys), chunk):
            rows = _tickets(conn, TICKETS_BY_ID, {"ids": [ident for _, ident in keys[first : first + chunk]]})
            found += [k for k in tickets_at(conn, rows, at) if keep(k)]
            if len(found) > limit:
                break
    if wanted & {TicketStatus.RESOLVED, TicketStatus.REFUNDED}:
        chunk = max(limit + 1, 100)
        params: dict[str, Any] = {"account_id": account_id, "at": at, "limit": chunk}
        if start is not None:
            params["after_at"], params["after_id"] = start
        closed: list[Ticket] = []
        while True:
            stmt = TICKETS_CLOSED_AFTER if "after_at" in params else TICKETS_CLOSED
            rows = [Ticket(*row) for row in conn.execute(stmt, params)]  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
            closed += [k for k in tickets_at(conn, rows, at) if keep(k)]
            if len(rows) < chunk or len(closed) > limit:
                break
            params["after_at"], params["after_id"] = rows[-1].opened_at, rows[-1].id
        found += closed
    return page_of(_newest_first(found)[: limit + 1], limit, ticket_key)


def statement_at(conn: Connection, account_id: str, at: datetime, window: timedelta, limit: int) -> StatementView:
    """`queries.statement` as it was at `at`, from one snapshot."""
    snap = snapshot(conn, account_id, at, window)
    modifications = ledger_page(
        conn,
        snap.account,
        at,
        kinds=MODIFICATION_KINDS,
        before_seq=None,
        limit=limit,
        due=snap.due,
        through_seq=snap.account.last_seq,
    )

    def part(statuses: Sequence[str]) -> KeyedPage:
        return tickets_page_at(
            conn,
            account_id,
            at,
            statuses=statuses,
            external_ref=None,
            after=None,
            limit=limit,
            checked=True,
        )

    return StatementView(
        account=snap.account,
        balance=snap.balance,
        modifications=modifications,
        in_progress=part(IN_PROGRESS),
        closed=part(CLOSED),
    )
