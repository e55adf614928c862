"""Reads: balances, lots, ledger pages and tickets, as of an instant.

Each function takes a connection (a reader thread's, inside one snapshot when it sends several
statements: `Database.read`) and returns records. Stored counters include available points whose
lot has expired but whose `expiry` entry is not written yet; every read subtracts them here and
shows them as pending expiries, so what a client sees is correct at the instant whether or not any
write or sweep has run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, bindparam, func, or_, select

from ..db import schema as t
from ..db.records import (
    FIELDS,
    SELECT,
    Account,
    Allocation,
    Category,
    Entry,
    Lot,
    Posting,
    Ticket,
    TicketEvent,
    WebhookEvent,
)
from ..domain.clock import is_expired
from ..domain.errors import NotFoundError
from ..domain.ledger import EntryKind
from ..domain.lots import LotKey, consumption_key
from .balance import BalanceView, Expiring, balance_at
from .tickets import TicketView

MODIFICATION_KINDS = tuple(kind.value for kind in EntryKind if kind.modifies_balance)
_NO_SEQ_LIMIT = 2**62


def _many(name: str) -> Any:
    return bindparam(name, expanding=True)


@dataclass
class Page:
    items: list[Any]
    next_key: list[Any] | None = None


@dataclass
class PendingExpiry:
    """An expiry that is due but not yet written: shown with `pending: true` and no seq."""

    lot: Lot
    points: int
    available_after: int
    held_after: int
    deducted_after: int
    created_at: datetime
    virtual_seq: int  # the seq it would get if written now: orders it among entries, never shown
    postings: list[dict[str, Any]] = field(default_factory=list)


def _page(rows: Sequence[Any], limit: int, key: Callable[[Any], list[Any]]) -> Page:
    items = list(rows[:limit])
    return Page(items, key(items[-1]) if len(rows) > limit and items else None)


# -- balances --------------------------------------------------------------------------------------

# The lots a balance looks at: available points that expire by the horizon (the due ones no longer
# count, the rest are listed as expiring).
_EXPIRING_BY = (t.lots.c.available > 0, t.lots.c.expires_at.is_not(None), t.lots.c.expires_at <= bindparam("horizon"))
_ACCOUNT_COLUMNS = [t.accounts.c[name] for name in FIELDS[Account]]
_N_ACCOUNT = len(_ACCOUNT_COLUMNS)

# The account joined to its lots with available points expiring by the horizon: one statement for
# the account, its balance and its due expiries (the join's lot columns are NULL when none).
ACCOUNT_AND_LOTS = (
    select(*_ACCOUNT_COLUMNS, *(t.lots.c[name] for name in FIELDS[Lot]))
    .select_from(t.accounts.outerjoin(t.lots, and_(t.lots.c.account_id == t.accounts.c.id, *_EXPIRING_BY)))
    .where(t.accounts.c.id == bindparam("account_id"))
)
# The same for a balance alone, reading only the columns it needs.
BALANCE = (
    select(
        t.accounts.c.available,
        t.accounts.c.held,
        t.accounts.c.deducted,
        t.lots.c.expires_at,
        t.lots.c.id,
        t.lots.c.available,
    )
    .select_from(t.accounts.outerjoin(t.lots, and_(t.lots.c.account_id == t.accounts.c.id, *_EXPIRING_BY)))
    .where(t.accounts.c.id == bindparam("account_id"))
)
EXPIRING_OF_ACCOUNTS = select(t.lots.c.account_id, t.lots.c.expires_at, t.lots.c.id, t.lots.c.available).where(
    t.lots.c.account_id.in_(_many("accounts")), *_EXPIRING_BY
)


def balance_params(account_id: str, now: datetime, window: timedelta) -> dict[str, Any]:
    return {"account_id": account_id, "horizon": now + window}


def balance_from_rows(
    account_id: str, rows: Sequence[Row[*tuple[Any, ...]]], now: datetime, window: timedelta
) -> BalanceView:
    """The balance `BALANCE`'s rows describe (no row: the account does not exist)."""
    if not rows:
        raise NotFoundError("account", account_id)
    counters = tuple(rows[0][:3])
    lots = [(row[3], row[4], row[5]) for row in rows if row[4] is not None]
    return balance_at(account_id, counters, lots, now, window)


def account_and_balance(
    conn: Connection, account_id: str, now: datetime, window: timedelta
) -> tuple[Account, BalanceView, list[Lot]]:
    """The account, its balance, and its lots whose expiry is due but not written (for
    `ledger_page`), with one statement."""
    rows = conn.execute(ACCOUNT_AND_LOTS, balance_params(account_id, now, window)).all()
    if not rows:
        raise NotFoundError("account", account_id)
    account = Account(*rows[0][:_N_ACCOUNT])
    lots = sorted(
        (Lot(*row[_N_ACCOUNT:]) for row in rows if row[_N_ACCOUNT] is not None),
        key=lambda lot: (lot.expires_at, lot.id),
    )
    figures = [(lot.expires_at, lot.id, lot.available) for lot in lots]
    balance = balance_at(account.id, (account.available, account.held, account.deducted), figures, now, window)
    return account, balance, [lot for lot in lots if is_expired(lot.expires_at, now)]


def balances(conn: Connection, accounts: Sequence[Account], now: datetime, window: timedelta) -> list[BalanceView]:
    """The balances of several accounts (a page of them), with one statement for all their lots."""
    lots: dict[str, list[tuple[datetime | None, str, int]]] = {account.id: [] for account in accounts}
    if lots:
        params = {"accounts": list(lots), "horizon": now + window}
        for account_id, expires_at, lot_id, points in conn.execute(EXPIRING_OF_ACCOUNTS, params):
            lots[account_id].append((expires_at, lot_id, points))  # type: ignore[index, arg-type]  # mypy takes a Row's items as object (records.SELECT)
    return [balance_at(a.id, (a.available, a.held, a.deducted), lots[a.id], now, window) for a in accounts]


# -- lots ------------------------------------------------------------------------------------------

LOTS_OF_ACCOUNT = SELECT[Lot].where(t.lots.c.account_id == bindparam("account_id"))


def effective_lot_states(lot: Lot, now: datetime) -> dict[str, int]:
    """The lot's states at `now`: available points of an expired lot count as expired."""
    states = lot.states()
    if is_expired(lot.expires_at, now):
        states["expired"] += states["available"]
        states["available"] = 0
    return states


def lot_key(lot: Lot) -> list[Any]:
    expires_last, expires, granted, ident = consumption_key(LotKey(lot.id, lot.granted_at, lot.expires_at, 0))
    return [expires_last, expires.isoformat(timespec="microseconds"), granted.isoformat(timespec="microseconds"), ident]


def list_lots(
    conn: Connection, account_id: str, now: datetime, *, include_empty: bool, after: list[Any] | None, limit: int
) -> Page:
    lots = [Lot(*row) for row in conn.execute(LOTS_OF_ACCOUNT, {"account_id": account_id})]  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
    if not include_empty:
        lots = [lot for lot in lots if lot.held > 0 or (lot.available > 0 and not is_expired(lot.expires_at, now))]
    ordered = sorted(lots, key=lot_key)
    if after is not None:
        ordered = [lot for lot in ordered if lot_key(lot) > after]
    return _page(ordered, limit, lot_key)


# -- the ledger --------------------------------------------------------------------------------------

LEDGER_PAGE = (
    SELECT[Entry]
    .where(
        t.ledger_entries.c.account_id == bindparam("account_id"),
        t.ledger_entries.c.kind.in_(_many("kinds")),
        t.ledger_entries.c.seq < bindparam("before_seq"),
    )
    .order_by(t.ledger_entries.c.seq.desc())
    .limit(bindparam("limit"))
)
POSTINGS_OF = (
    SELECT[Posting].where(t.postings.c.entry_id.in_(_many("entries"))).order_by(t.postings.c.entry_id, t.postings.c.idx)
)


def ledger_page(
    conn: Connection,
    account: Account,
    now: datetime,
    *,
    kinds: Sequence[str] | None,
    before_seq: int | None,
    limit: int,
    due: list[Lot],
) -> Page:
    """Entries newest first, each with its postings. Pending expiries come first, numbered after
    the newest entry as they would be if written now (`virtual_seq`), so a cursor can page through
    them like entries. `due`: the account's due lots, read with it in this same snapshot."""
    pending: list[PendingExpiry] = []
    if kinds is None or "expiry" in kinds:
        available = account.available
        for n, lot in enumerate(due, start=1):
            available -= lot.available
            pending.append(
                PendingExpiry(
                    lot=lot,
                    points=lot.available,
                    available_after=available,
                    held_after=account.held,
                    deducted_after=account.deducted,
                    created_at=now,
                    virtual_seq=account.last_seq + n,
                    postings=[
                        {"lot_id": lot.id, "from_state": "available", "to_state": "expired", "points": lot.available}
                    ],
                )
            )
        pending.reverse()
        if before_seq is not None:
            pending = [p for p in pending if p.virtual_seq < before_seq]
    params = {
        "account_id": account.id,
        "kinds": list(kinds if kinds is not None else t.ENTRY_KINDS),
        "before_seq": before_seq if before_seq is not None else _NO_SEQ_LIMIT,
        "limit": limit + 1,
    }
    rows: list[Any] = [*pending, *(Entry(*row) for row in conn.execute(LEDGER_PAGE, params))]  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
    items = rows[:limit]
    next_key = None
    if len(rows) > limit and items:
        last = items[-1]
        next_key = [last.virtual_seq if isinstance(last, PendingExpiry) else last.seq]
    postings = postings_of(conn, [e.id for e in items if isinstance(e, Entry)])
    return Page([(e, postings.get(e.id, [])) if isinstance(e, Entry) else (e, e.postings) for e in items], next_key)


def postings_of(conn: Connection, entry_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    if not entry_ids:
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    for row in conn.execute(POSTINGS_OF, {"entries": entry_ids}):
        posting = Posting(*row)  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
        out.setdefault(posting.entry_id, []).append(posting.view())
    return out


# -- tickets ------------------------------------------------------------------------------------------


def ticket_key(ticket: Ticket) -> list[Any]:
    return [ticket.opened_at.isoformat(timespec="microseconds"), ticket.id]


@cache
def _tickets_page_statement(by_ref: bool, after: bool) -> Select[Any]:
    stmt = SELECT[Ticket].where(
        t.tickets.c.account_id == bindparam("account_id"), t.tickets.c.status.in_(_many("statuses"))
    )
    if by_ref:
        stmt = stmt.where(t.tickets.c.external_ref == bindparam("external_ref"))
    if after:
        at = bindparam("after_at", type_=t.tickets.c.opened_at.type)
        stmt = stmt.where(
            or_(t.tickets.c.opened_at < at, and_(t.tickets.c.opened_at == at, t.tickets.c.id < bindparam("after_id")))
        )
    return stmt.order_by(t.tickets.c.opened_at.desc(), t.tickets.c.id.desc()).limit(bindparam("limit"))


def tickets_page(
    conn: Connection,
    account_id: str,
    *,
    statuses: Sequence[str] | None,
    external_ref: str | None,
    after: list[Any] | None,
    limit: int,
) -> Page:
    params: dict[str, Any] = {
        "account_id": account_id,
        "statuses": list(statuses or t.TICKET_STATUSES),
        "limit": limit + 1,
    }
    if external_ref is not None:
        params["external_ref"] = external_ref
    if after is not None:
        params["after_at"], params["after_id"] = datetime.fromisoformat(after[0]), after[1]
    stmt = _tickets_page_statement(external_ref is not None, after is not None)
    return _page([Ticket(*row) for row in conn.execute(stmt, params)], limit, ticket_key)  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)


TICKET = SELECT[Ticket].where(t.tickets.c.id == bindparam("ticket_id"))
ALLOCATIONS = (
    SELECT[Allocation]
    .where(t.ticket_allocations.c.ticket_id == bindparam("ticket_id"))
    .order_by(t.ticket_allocations.c.seq)
)
HISTORY = (
    SELECT[TicketEvent].where(t.ticket_events.c.ticket_id == bindparam("ticket_id")).order_by(t.ticket_events.c.version)
)


def ticket_detail(conn: Connection, ticket_id: str) -> TicketView:
    row = conn.execute(TICKET, {"ticket_id": ticket_id}).first()
    if row is None:
        raise NotFoundError("ticket", ticket_id)
    params = {"ticket_id": ticket_id}
    allocations = [Allocation(*r) for r in conn.execute(ALLOCATIONS, params)]  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
    history = [TicketEvent(*r) for r in conn.execute(HISTORY, params)]  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
    return TicketView(Ticket(*row), allocations, history)  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)


# -- accounts ---------------------------------------------------------------------------------------

ACCOUNTS_PAGE = (
    SELECT[Account].where(t.accounts.c.id > bindparam("after_id")).order_by(t.accounts.c.id).limit(bindparam("limit"))
)


def list_accounts(conn: Connection, *, after: list[Any] | None, limit: int) -> Page:
    params = {"after_id": after[0] if after is not None else "", "limit": limit + 1}
    return _page([Account(*row) for row in conn.execute(ACCOUNTS_PAGE, params)], limit, lambda a: [a.id])  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)


@dataclass
class ExpiringAccount:
    account: Account
    expiring_points: int
    expiring: list[Expiring]
    earliest: datetime


def accounts_expiring_before(
    conn: Connection, now: datetime, before: datetime, *, after: list[Any] | None, limit: int
) -> Page:
    """Accounts with available points expiring in (now, before), soonest first."""
    live = and_(
        t.lots.c.available > 0,
        t.lots.c.expires_at.is_not(None),
        t.lots.c.expires_at > now,
        t.lots.c.expires_at < before,
    )
    earliest = func.min(t.lots.c.expires_at).label("earliest")
    sub = select(t.lots.c.account_id, earliest).where(live).group_by(t.lots.c.account_id).subquery()
    ordered = select(sub.c.account_id, sub.c.earliest)
    if after is not None:
        at = datetime.fromisoformat(after[0])
        ordered = ordered.where(or_(sub.c.earliest > at, and_(sub.c.earliest == at, sub.c.account_id > after[1])))
    ordered = ordered.order_by(sub.c.earliest, sub.c.account_id).limit(limit + 1)
    rows = conn.execute(ordered).all()
    ids = [r.account_id for r in rows[:limit]]
    accounts = {
        a.id: a
        for a in (Account(*row) for row in conn.execute(SELECT[Account].where(t.accounts.c.id.in_(ids))))  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
    }
    lots = [Lot(*row) for row in conn.execute(SELECT[Lot].where(live, t.lots.c.account_id.in_(ids)))]  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
    by_account: dict[str, list[Lot]] = {}
    for lot in sorted(lots, key=lambda lot: (lot.expires_at, lot.id)):
        by_account.setdefault(lot.account_id, []).append(lot)
    items = []
    for row in rows[:limit]:
        its = by_account.get(row.account_id, [])
        items.append(
            ExpiringAccount(
                account=accounts[row.account_id],
                expiring_points=sum(lot.available for lot in its),
                expiring=[Expiring(lot.id, lot.available, lot.expires_at) for lot in its if lot.expires_at],
                earliest=row.earliest,
            )
        )
    next_key = None
    if len(rows) > limit and items:
        last = items[-1]
        next_key = [last.earliest.isoformat(timespec="microseconds"), last.account.id]
    return Page(items, next_key)


# -- owners (the access checks) ---------------------------------------------------------------------------

ACCOUNT_EXISTS = select(t.accounts.c.id).where(t.accounts.c.id == bindparam("ident"))
TICKET_OWNER = select(t.tickets.c.account_id).where(t.tickets.c.id == bindparam("ident"))
LOT_OWNER = select(t.lots.c.account_id).where(t.lots.c.id == bindparam("ident"))


# -- the catalogue -------------------------------------------------------------------------------------------


def catalogue_page(
    conn: Connection, cls: type[Any], *, include_inactive: bool, after: list[Any] | None, limit: int
) -> Page:
    """Entries by code, a page at a time."""
    stmt = SELECT[cls].order_by(cls.TABLE.c.code).limit(limit + 1)
    if not include_inactive:
        stmt = stmt.where(cls.TABLE.c.active.is_(True))
    if after is not None:
        stmt = stmt.where(cls.TABLE.c.code > after[0])
    return _page([cls(*row) for row in conn.execute(stmt)], limit, lambda e: [e.code])


CATEGORY = SELECT[Category].where(t.categories.c.code == bindparam("code"))


def category(conn: Connection, code: str) -> Category | None:
    row = conn.execute(CATEGORY, {"code": code}).first()
    return Category(*row) if row is not None else None  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)


# -- billing webhook deliveries ----------------------------------------------------------------------------


def webhook_events_page(conn: Connection, *, outcomes: list[str] | None, after: list[Any] | None, limit: int) -> Page:
    """Newest first, by (received_at, id)."""
    w = t.webhook_events.c
    stmt = SELECT[WebhookEvent]
    if outcomes:
        stmt = stmt.where(w.outcome.in_(outcomes))
    if after is not None:
        at = datetime.fromisoformat(after[0])
        stmt = stmt.where(or_(w.received_at < at, and_(w.received_at == at, w.id < after[1])))
    stmt = stmt.order_by(w.received_at.desc(), w.id.desc()).limit(limit + 1)
    return _page(
        [WebhookEvent(*row) for row in conn.execute(stmt)],  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
        limit,
        lambda e: [e.received_at.isoformat(timespec="microseconds"), e.id],
    )


# -- the statement (the three parts) ----------------------------------------------------------------------


@dataclass
class Statement:
    """The three-part view of one account, read from one snapshot."""

    account: Account
    balance: BalanceView
    modifications: Page  # part 1: ledger entries of the modification kinds (pending expiries too)
    in_progress: Page  # part 2: open tickets
    closed: Page  # part 3: resolved and refunded tickets


def statement(conn: Connection, account_id: str, now: datetime, window: timedelta, limit: int) -> Statement:
    account, balance, due = account_and_balance(conn, account_id, now, window)
    return Statement(
        account=account,
        balance=balance,
        modifications=ledger_page(conn, account, now, kinds=MODIFICATION_KINDS, before_seq=None, limit=limit, due=due),
        in_progress=tickets_page(conn, account_id, statuses=["open"], external_ref=None, after=None, limit=limit),
        closed=tickets_page(
            conn, account_id, statuses=["refunded", "resolved"], external_ref=None, after=None, limit=limit
        ),
    )
