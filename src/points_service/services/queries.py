"""Reads: balances, lots, ledger pages and tickets, as of an instant.

Each function takes a connection (a reader thread's, inside one snapshot when it sends several
statements: `Database.read`) and returns records. Stored counters include available points whose
lot has expired but whose `expiry` entry is not written yet; every read subtracts them here and
shows them as pending expiries, so what a client sees is correct at the instant whether or not any
write or sweep has run.

Every read here is bounded (a page, one ticket, the accounts of a page) and keeps all its rows, so
it takes them with `.all()`: SQLAlchemy then fetches them in one call, where iterating the result
fetches them one `fetchone` at a time, about 1 µs more per row (docs/performance.md, "Rows
fetched at once").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Row,
    Select,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.sql import ColumnElement, operators
from sqlalchemy.sql.elements import UnaryExpression

from ..db import schema as t
from ..db.records import (
    FIELDS,
    SELECT,
    Account,
    Allocation,
    Category,
    Entry,
    Lot,
    Ticket,
    TicketEvent,
    WebhookEvent,
)
from ..domain.clock import is_expired
from ..domain.errors import NotFoundError
from ..domain.ledger import EntryKind
from ..domain.lots import LotKey, consumption_key
from .balance import BalanceView, Expiring, PendingExpiry, balance_at
from .tickets import TicketView

MODIFICATION_KINDS = tuple(kind.value for kind in EntryKind if kind.modifies_balance)
_NO_SEQ_LIMIT = 2**62


def _many(name: str) -> Any:
    return bindparam(name, expanding=True)


@dataclass
class KeyedPage:
    items: list[Any]
    next_key: list[Any] | None = None


def page_of(rows: Sequence[Any], limit: int, key: Callable[[Any], list[Any]]) -> KeyedPage:
    """The first `limit` of `rows` (read with one more, to know there are more) and the key of the last."""
    items = list(rows[:limit])
    return KeyedPage(items, key(items[-1]) if len(rows) > limit and items else None)


# -- balances --------------------------------------------------------------------------------------

# The lots a balance looks at: available points that expire by the horizon (the due ones no longer
# count, the rest are listed as expiring).
_EXPIRING_BY = (t.SPENDABLE_LOT, t.lots.c.expires_at.is_not(None), t.lots.c.expires_at <= bindparam("horizon"))
_ACCOUNT_COLUMNS = [t.accounts.c[name] for name in FIELDS[Account]]
_N_ACCOUNT = len(_ACCOUNT_COLUMNS)

# An account joined to its lots with available points expiring by the horizon (the join's lot
# columns are NULL when none).
_ACCOUNTS_AND_EXPIRING = t.accounts.outerjoin(t.lots, and_(t.lots.c.account_id == t.accounts.c.id, *_EXPIRING_BY))

# One statement for the account, its balance and its due expiries.
ACCOUNT_AND_LOTS = (
    select(*_ACCOUNT_COLUMNS, *(t.lots.c[name] for name in FIELDS[Lot]))
    .select_from(_ACCOUNTS_AND_EXPIRING)
    .where(t.accounts.c.id == bindparam("account_id"))
)
# A balance alone, reading only the columns it needs, each row ending with its account's id: for
# one account, and for several at once (`balance_rows`).
_BALANCE_COLUMNS = (
    t.accounts.c.available,
    t.accounts.c.held,
    t.accounts.c.deducted,
    t.lots.c.expires_at,
    t.lots.c.id,
    t.lots.c.available,
    t.accounts.c.awaiting_count,
    t.accounts.c.awaiting_points,
    t.accounts.c.id,
)
BALANCE = select(*_BALANCE_COLUMNS).select_from(_ACCOUNTS_AND_EXPIRING).where(t.accounts.c.id == bindparam("account"))
BALANCES = select(*_BALANCE_COLUMNS).select_from(_ACCOUNTS_AND_EXPIRING).where(t.accounts.c.id.in_(_many("accounts")))
EXPIRING_OF_ACCOUNTS = select(t.lots.c.account_id, t.lots.c.expires_at, t.lots.c.id, t.lots.c.available).where(
    t.lots.c.account_id.in_(_many("accounts")), *_EXPIRING_BY
)


def balance_params(account_id: str, now: datetime, window: timedelta) -> dict[str, Any]:
    return {"account_id": account_id, "horizon": now + window}


def balance_rows(conn: Connection, asked: Sequence[tuple[str, datetime]]) -> list[list[Row[*tuple[Any, ...]]]]:
    """A balance's rows for each (account id, horizon) asked, with one statement for them all
    (several callers' balance reads: `Database.read_batched`). The lots are read up to the latest
    horizon asked; `balance_at` ignores those past a caller's own (its rows may hold a few more)."""
    found: dict[str, list[Row[*tuple[Any, ...]]]] = {account_id: [] for account_id, _ in asked}
    horizon = max(horizon for _, horizon in asked)
    if len(found) == 1:  # no list to expand into the statement: a lone read costs what it did
        rows = conn.execute(BALANCE, {"account": asked[0][0], "horizon": horizon}).all()
    else:
        rows = conn.execute(BALANCES, {"accounts": list(found), "horizon": horizon}).all()
    for row in rows:
        found[row[-1]].append(row)
    return [found[account_id] for account_id, _ in asked]


def balance_from_rows(
    account_id: str, rows: Sequence[Row[*tuple[Any, ...]]], now: datetime, window: timedelta
) -> BalanceView:
    """The balance an account's rows from `balance_rows` describe (no row: the account does not exist)."""
    if not rows:
        raise NotFoundError("account", account_id)
    counters = tuple(rows[0][:3])
    lots = [(row[3], row[4], row[5]) for row in rows if row[4] is not None]
    return balance_at(account_id, counters, lots, now, window, (rows[0][6], rows[0][7]))


def account_and_balance(
    conn: Connection, account_id: str, now: datetime, window: timedelta
) -> tuple[Account, BalanceView, list[Lot]]:
    """The account, its balance, and its lots whose expiry is due but not written (for
    `ledger_page`), with one statement."""
    rows = conn.execute(ACCOUNT_AND_LOTS, balance_params(account_id, now, window)).all()
    return _account_and_balance_of(account_id, rows, now, window)


def _account_and_balance_of(
    account_id: str, rows: Sequence[Sequence[Any]], now: datetime, window: timedelta
) -> tuple[Account, BalanceView, list[Lot]]:
    """`account_and_balance` from the rows of `ACCOUNT_AND_LOTS` (none: the account does not exist)."""
    if not rows:
        raise NotFoundError("account", account_id)
    account = Account(*rows[0][:_N_ACCOUNT])
    lots = sorted(
        (Lot(*row[_N_ACCOUNT:]) for row in rows if row[_N_ACCOUNT] is not None),
        key=lambda lot: (lot.expires_at, lot.id),
    )
    figures = [(lot.expires_at, lot.id, lot.available) for lot in lots]
    counters = (account.available, account.held, account.deducted)
    balance = balance_at(account.id, counters, figures, now, window, (account.awaiting_count, account.awaiting_points))
    return account, balance, [lot for lot in lots if is_expired(lot.expires_at, now)]


def balances(conn: Connection, accounts: Sequence[Account], now: datetime, window: timedelta) -> list[BalanceView]:
    """The balances of several accounts (a page of them), with one statement for all their lots."""
    lots: dict[str, list[tuple[datetime | None, str, int]]] = {account.id: [] for account in accounts}
    if lots:
        params = {"accounts": list(lots), "horizon": now + window}
        for account_id, expires_at, lot_id, points in conn.execute(EXPIRING_OF_ACCOUNTS, params).all():
            lots[account_id].append((expires_at, lot_id, points))  # type: ignore[index, arg-type]  # mypy takes a Row's items as object (records.SELECT)
    return [
        balance_at(
            a.id, (a.available, a.held, a.deducted), lots[a.id], now, window, (a.awaiting_count, a.awaiting_points)
        )
        for a in accounts
    ]


# -- lots ------------------------------------------------------------------------------------------


def lot_key(lot: Lot) -> list[Any]:
    expires_last, expires, granted, ident = consumption_key(LotKey(lot.id, lot.granted_at, lot.expires_at, 0))
    return [expires_last, expires.isoformat(timespec="microseconds"), granted.isoformat(timespec="microseconds"), ident]


@cache
def _lots_page_statement(expiring: bool, live_only: bool, after: bool, recorded_by: bool = False) -> Select[Any]:
    """A page of an account's lots in consumption order: those that expire (soonest first), or
    those that never do (oldest grant first), which come after all of them; an index range each.
    `recorded_by`: only the lots recorded by `recorded_by` (an as-of read)."""
    lots = t.lots.c
    order = (lots.expires_at, lots.granted_at, lots.id) if expiring else (lots.granted_at, lots.id)
    stmt = SELECT[Lot].where(
        lots.account_id == bindparam("account_id"),
        lots.expires_at.is_not(None) if expiring else lots.expires_at.is_(None),
    )
    if recorded_by:
        stmt = stmt.where(lots.created_at <= bindparam("recorded_by", type_=lots.created_at.type))
    if live_only:  # holding points: held, or available and not expired (`LIVE_LOT` names the index)
        stmt = stmt.where(
            t.LIVE_LOT,
            or_(
                lots.held > literal_column("0"),  # as in `LIVE_LOT`: a bound 0 would be planned at every run
                lots.expires_at.is_(None),
                lots.expires_at > bindparam("now", type_=lots.expires_at.type),
            ),
        )
    if after:
        after_key = [bindparam(f"after_{c.name}", type_=c.type) for c in order]
        stmt = stmt.where(tuple_(*order) > tuple_(*after_key))
    return stmt.order_by(*order).limit(bindparam("limit"))


def list_lots(
    conn: Connection,
    account_id: str,
    now: datetime,
    *,
    include_empty: bool,
    after: list[Any] | None,
    limit: int,
    recorded_by: datetime | None = None,
) -> KeyedPage:
    """A page of the account's lots in consumption order (`lot_key`); without `include_empty`, only
    those holding points at `now`. Reads at most `limit + 1` lots. `recorded_by`: only the lots
    recorded by then (as they are now: an as-of read gives them their states then)."""
    params: dict[str, Any] = {"account_id": account_id, "now": now, "limit": limit + 1, "recorded_by": recorded_by}
    by = recorded_by is not None
    lots: list[Lot] = []
    past_expiring = after is not None and after[0]  # the cursor is among the never-expiring lots
    if not past_expiring:
        branch = dict(params)
        if after is not None:
            branch.update(
                after_expires_at=datetime.fromisoformat(after[1]),
                after_granted_at=datetime.fromisoformat(after[2]),
                after_id=after[3],
            )
        stmt = _lots_page_statement(True, not include_empty, after is not None, by)
        lots = [Lot(*row) for row in conn.execute(stmt, branch).all()]  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
    if len(lots) <= limit:
        branch = {**params, "limit": limit + 1 - len(lots)}
        if past_expiring:
            assert after is not None
            branch.update(after_granted_at=datetime.fromisoformat(after[2]), after_id=after[3])
        stmt = _lots_page_statement(False, not include_empty, past_expiring, by)
        lots += [Lot(*row) for row in conn.execute(stmt, branch).all()]  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
    return page_of(lots, limit, lot_key)


# -- the ledger --------------------------------------------------------------------------------------


def newest_first(stmt: Select[Any], at: ColumnElement[Any], ident: ColumnElement[Any], *, after: bool) -> Select[Any]:
    """`stmt` newest first by (`at`, `ident`), at most `limit` rows; with `after`, only the rows older
    than the previous page's last (`after_at`, `after_id`: `after_params`)."""
    if after:
        key = tuple_(bindparam("after_at", type_=at.type), bindparam("after_id"))
        stmt = stmt.where(tuple_(at, ident) < key)
    return stmt.order_by(at.desc(), ident.desc()).limit(bindparam("limit"))


def after_params(after: list[Any] | None) -> dict[str, Any]:
    """The bindings of a newest-first page's cursor key, (the instant as text, the id); none on the first page."""
    return {} if after is None else {"after_at": datetime.fromisoformat(after[0]), "after_id": after[1]}


def merge_ranges(branches: list[Select[Any]], *order: str) -> Select[Any]:
    """One statement reading several index ranges, each ordered and limited, merged into one page
    (`order`: the columns, descending). The branches are subqueries: each keeps its own ORDER BY
    and LIMIT, so each reads at most a page whatever the account's history."""
    if len(branches) == 1:
        return branches[0]
    merged = union_all(*(select(*branch.subquery().c) for branch in branches)).subquery()
    return select(*merged.c).order_by(*(merged.c[name].desc() for name in order)).limit(bindparam("limit"))


@cache
def _ledger_page_statement(kinds: int) -> Select[Any]:
    """Entries newest first: of any kind (`kinds` 0), or of `kinds` kinds (`kind_0`…), one
    (account, kind, seq) index range each."""

    def branch(kind: str | None) -> Select[Any]:
        entries = t.ledger_entries.c
        stmt = SELECT[Entry].where(entries.account_id == bindparam("account_id"), entries.seq < bindparam("before_seq"))
        if kind is not None:
            stmt = stmt.where(entries.kind == bindparam(kind))
        return stmt.order_by(entries.seq.desc()).limit(bindparam("limit"))

    return merge_ranges([branch(f"kind_{n}") for n in range(kinds)] if kinds else [branch(None)], "seq")


_POSTING_VIEW = ("lot_id", "from_state", "to_state", "points")  # what an entry shows of each (`Posting.view`)
_ENTRY_COLUMNS = len(FIELDS[Entry])
_POSTINGS_END = _ENTRY_COLUMNS + len(_POSTING_VIEW)


@cache
def _ledger_rows_with_postings(kinds: int) -> tuple[Select[Any], tuple[ColumnElement[Any], ...]]:
    """`_ledger_page_statement`'s entries, each with its postings joined: one row per posting (an
    entry without postings: one row, its posting columns NULL), the posting's `idx` last; and the
    rows' order, newest entry first, then each entry's postings in their order."""
    page = _ledger_page_statement(kinds).subquery()
    postings = t.postings.c
    stmt = select(*page.c, *(postings[name] for name in _POSTING_VIEW), postings.idx).select_from(
        page.outerjoin(t.postings, postings.entry_id == page.c.id)
    )
    return stmt, (page.c.seq.desc(), postings.idx)


@cache
def _ledger_page_with_postings(kinds: int) -> Select[Any]:
    """`_ledger_rows_with_postings`, in its order."""
    stmt, order = _ledger_rows_with_postings(kinds)
    return stmt.order_by(*order)


def _chosen_kinds(kinds: Sequence[str] | None) -> tuple[str, ...]:
    """The kinds a ledger page filters by: none when it shows every kind."""
    return tuple(sorted(set(kinds))) if kinds is not None and set(kinds) != set(t.ENTRY_KINDS) else ()


@lru_cache(maxsize=64)
def _kind_params(chosen: tuple[str, ...]) -> dict[str, str]:
    """The bindings of the kinds a ledger page filters by (`kind_0`…), made once per set of kinds:
    the statement's, for one, are the same at every request. Callers copy it into their own."""
    return {f"kind_{n}": kind for n, kind in enumerate(chosen)}


def _ledger_params(
    account_id: str, chosen: tuple[str, ...], before_seq: int | None, limit: int, through_seq: int | None = None
) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "before_seq": min(
            before_seq if before_seq is not None else _NO_SEQ_LIMIT,
            through_seq + 1 if through_seq is not None else _NO_SEQ_LIMIT,
        ),
        "limit": limit + 1,
        **_kind_params(chosen),
    }


POSTINGS_OF = (
    select(t.postings.c.entry_id, *(t.postings.c[name] for name in _POSTING_VIEW))
    .where(t.postings.c.entry_id.in_(_many("entries")))
    .order_by(t.postings.c.entry_id, t.postings.c.idx)
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
    through_seq: int | None = None,
) -> KeyedPage:
    """Entries newest first, each with its postings. Pending expiries come first, numbered after
    the newest entry as they would be if written now (`virtual_seq`), so a cursor can page through
    them like entries. `due`: the account's due lots, read with it in this same snapshot.
    `through_seq`: the newest entry to show (an as-of read; `account` as it stood then)."""
    chosen = _chosen_kinds(kinds)
    rows = conn.execute(
        _ledger_page_with_postings(len(chosen)), _ledger_params(account.id, chosen, before_seq, limit, through_seq)
    ).all()
    return _ledger_page_of(rows, account, now, kinds=kinds, before_seq=before_seq, limit=limit, due=due)


def _ledger_page_of(
    rows: Sequence[Sequence[Any]],
    account: Account,
    now: datetime,
    *,
    kinds: Sequence[str] | None,
    before_seq: int | None,
    limit: int,
    due: list[Lot],
) -> KeyedPage:
    """`ledger_page` from the rows of `_ledger_rows_with_postings`, in its order."""
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
    entries: list[Entry] = []
    postings: dict[str, list[dict[str, Any]]] = {}
    row: Any
    for row in rows:
        if not entries or entries[-1].id != row[0]:
            entries.append(Entry(*row[:_ENTRY_COLUMNS]))
            postings[row[0]] = []
        if row[_ENTRY_COLUMNS] is not None:  # a posting's lot (never NULL): not an entry without postings
            postings[row[0]].append(dict(zip(_POSTING_VIEW, row[_ENTRY_COLUMNS:_POSTINGS_END], strict=True)))
    shown: list[Any] = [*pending, *entries]
    items = shown[:limit]
    next_key = None
    if len(shown) > limit and items:
        last = items[-1]
        next_key = [last.virtual_seq if isinstance(last, PendingExpiry) else last.seq]
    return KeyedPage(
        [(e, postings.get(e.id, [])) if isinstance(e, Entry) else (e, e.postings) for e in items], next_key
    )


@cache
def _account_ledger_statement(kinds: int) -> tuple[Select[Any], tuple[Callable[[Row[Any]], tuple[Any, ...]], ...]]:
    """The account with its lots (`ACCOUNT_AND_LOTS`) and a ledger page of `kinds` kinds with its
    postings (`_ledger_rows_with_postings`), side by side in one statement."""
    return _side_by_side((ACCOUNT_AND_LOTS, ()), _ledger_rows_with_postings(kinds))


def account_ledger_page(
    conn: Connection, account_id: str, now: datetime, *, kinds: Sequence[str] | None, before_seq: int | None, limit: int
) -> KeyedPage:
    """A page of the account's ledger at `now`, newest first: what `ledger_page` gives with the
    account and its due expiries (`account_and_balance`), read with them by one statement (one
    snapshot: `Database.read_single`); NotFoundError when the account does not exist."""
    chosen = _chosen_kinds(kinds)
    stmt, places = _account_ledger_statement(len(chosen))
    params = {**balance_params(account_id, now, timedelta(0)), **_ledger_params(account_id, chosen, before_seq, limit)}
    lots, entries = _parts(conn.execute(stmt, params).all(), places)
    account, _, due = _account_and_balance_of(account_id, lots, now, timedelta(0))
    return _ledger_page_of(entries, account, now, kinds=kinds, before_seq=before_seq, limit=limit, due=due)


def postings_of(conn: Connection, entry_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    if not entry_ids:
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    row: Any
    for row in conn.execute(POSTINGS_OF, {"entries": entry_ids}).all():
        out.setdefault(row[0], []).append(dict(zip(_POSTING_VIEW, row[1:], strict=True)))
    return out


# -- tickets ------------------------------------------------------------------------------------------


def ticket_key(ticket: Ticket) -> list[Any]:
    return [ticket.opened_at.isoformat(timespec="microseconds"), ticket.id]


@cache
def _tickets_page_statement(statuses: tuple[str, ...], by_ref: bool, after: bool) -> Select[Any]:
    """Tickets newest first: in any status (`statuses` empty) or in `statuses`, one (account, status,
    opened_at) index range each, each status written into the statement (`schema.is_word`); by
    `external_ref` (at most one ticket, found by its unique index) in the statuses `statuses_in`."""
    tickets = t.tickets.c

    def branch(status: str | None) -> Select[Any]:
        stmt = SELECT[Ticket].where(tickets.account_id == bindparam("account_id"))
        if status is not None:
            stmt = stmt.where(t.is_word(tickets.status, status, t.TICKET_STATUSES))
        return newest_first(stmt, tickets.opened_at, tickets.id, after=after)

    if by_ref:
        ref = branch(None).where(tickets.external_ref == bindparam("external_ref"))
        return ref.where(tickets.status.in_(_many("statuses_in")))
    return merge_ranges([branch(status) for status in statuses] if statuses else [branch(None)], "opened_at", "id")


def _chosen_statuses(statuses: Sequence[str] | None) -> tuple[str, ...]:
    """The statuses a tickets page filters by: none when it shows every status."""
    return tuple(sorted(set(statuses))) if statuses and set(statuses) != set(t.TICKET_STATUSES) else ()


def tickets_page(
    conn: Connection,
    account_id: str,
    *,
    statuses: Sequence[str] | None,
    external_ref: str | None,
    after: list[Any] | None,
    limit: int,
) -> KeyedPage:
    """A page of the account's tickets, newest first; reads at most a page per status asked for."""
    chosen = _chosen_statuses(statuses)
    by_ref = external_ref is not None
    params: dict[str, Any] = {"account_id": account_id, "limit": limit + 1}
    if by_ref:
        params["external_ref"] = external_ref
        params["statuses_in"] = list(chosen or t.TICKET_STATUSES)
    params.update(after_params(after))
    stmt = _tickets_page_statement(() if by_ref else chosen, by_ref, after is not None)
    return page_of([Ticket(*row) for row in conn.execute(stmt, params).all()], limit, ticket_key)  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)


def _ticket_parts_rows(parts: tuple[tuple[str, ...], ...]) -> tuple[Select[Any], tuple[ColumnElement[Any], ...]]:
    """The first page of each part (a set of statuses, `_tickets_page_statement`), in one statement:
    each part keeps its own ORDER BY and LIMIT, and its rows come tagged with its place in `parts`
    (the last column); and the rows' order, by part, then newest first."""
    tagged = [
        select(
            literal_column(str(n), Integer).label("part"),
            *_tickets_page_statement(statuses, False, False).subquery().c,
        )
        for n, statuses in enumerate(parts)
    ]
    merged = union_all(*tagged).subquery()
    order = (merged.c.part, merged.c.opened_at.desc(), merged.c.id.desc())
    return select(*(c for c in merged.c if c.name != "part"), merged.c.part), order


def _ticket_pages_of(rows: Sequence[Sequence[Any]], parts: int, limit: int) -> list[KeyedPage]:
    """The first page of each part from the rows of `_ticket_parts_rows`, in its order."""
    tickets: list[list[Ticket]] = [[] for _ in range(parts)]
    for row in rows:
        tickets[row[-1]].append(Ticket(*row[:-1]))
    return [page_of(part, limit, ticket_key) for part in tickets]


_IDLE = SELECT[Ticket].where(
    t.is_word(t.tickets.c.status, "open", t.TICKET_STATUSES),
    t.tickets.c.changed_at <= bindparam("before", type_=t.tickets.c.changed_at.type),
)
IDLE_TICKETS = _IDLE.order_by(t.tickets.c.changed_at, t.tickets.c.id).limit(bindparam("limit"))
IDLE_TICKETS_AFTER = (
    _IDLE.where(
        tuple_(t.tickets.c.changed_at, t.tickets.c.id)
        > tuple_(bindparam("after_at", type_=t.tickets.c.changed_at.type), bindparam("after_id"))
    )
    .order_by(t.tickets.c.changed_at, t.tickets.c.id)
    .limit(bindparam("limit"))
)


def idle_tickets_page(conn: Connection, *, before: datetime, after: list[Any] | None, limit: int) -> KeyedPage:
    """Open tickets of every account unchanged since `before`, the longest idle first, through
    `ix_tickets_status_changed_at`."""
    params: dict[str, Any] = {"before": before, "limit": limit + 1}
    if after is not None:
        params["after_at"], params["after_id"] = datetime.fromisoformat(after[0]), after[1]
    stmt = IDLE_TICKETS if after is None else IDLE_TICKETS_AFTER
    rows = [Ticket(*row) for row in conn.execute(stmt, params).all()]  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
    return page_of(rows, limit, lambda ticket: [ticket.changed_at.isoformat(timespec="microseconds"), ticket.id])


def _side_by_side(
    *parts: tuple[Select[Any], Sequence[ColumnElement[Any]]],
) -> tuple[Select[Any], tuple[Callable[[Row[Any]], tuple[Any, ...]], ...]]:
    """Differently shaped SELECTs read by one statement, and what takes each part's columns from
    its rows. A row of part n starts with a column `part` (n), then has the part's columns in places
    of their own and a typed NULL in every other place. The parts share places: a place holds
    columns of one type (the same SQLAlchemy type, so the same result processor), each part's column
    taking the first place of its type that part has not used yet; a row is then as wide as its
    widest part, not as all of them together. The NULLs are CAST to their place's type: PostgreSQL
    types a UNION's column from its branches, and a column of NULLs in the first two branches would
    be taken for text.

    Each part comes with its order: columns it selects, each maybe `.desc()`, the ORDER BY it would
    have alone (a branch of a `UNION ALL` cannot have its own). The rows come by part, then by each
    part's order in turn. A column a part orders by has a place no other part uses, so in the other
    parts' rows that place is NULL and only the part's own order sorts its rows."""
    types: list[Any] = []  # each place's column type
    shared: list[bool] = []  # whether other parts may use the place

    def place(column: ColumnElement[Any], taken: set[int], share: bool) -> int:
        kind = type(column.type)
        for i, type_ in enumerate(types):
            if share and shared[i] and i not in taken and type(type_) is kind:
                return i
        types.append(column.type)
        shared.append(share)
        return len(types) - 1

    layouts, orders = [], []
    for stmt, order in parts:
        ordered = {}
        for element in order:
            descending = isinstance(element, UnaryExpression) and element.modifier is operators.desc_op
            column = element.element if isinstance(element, UnaryExpression) and descending else element
            [i] = [i for i, c in enumerate(stmt.selected_columns) if c is column]  # a column the part selects, once
            ordered[i] = descending
        taken: set[int] = set()
        layout = []
        for n, column in enumerate(stmt.selected_columns):
            i = place(column, taken, share=n not in ordered)
            taken.add(i)
            layout.append(i)
        layouts.append(layout)
        orders += [(layout[n], descending) for n, descending in ordered.items()]
    branches = []
    for n, ((stmt, _), layout) in enumerate(zip(parts, layouts, strict=True)):
        mine = dict(zip(layout, stmt.selected_columns, strict=True))
        row = [(mine[i] if i in mine else cast(null(), type_)).label(f"c{i}") for i, type_ in enumerate(types)]
        branches.append(stmt.with_only_columns(literal_column(str(n), Integer).label("part"), *row))
    merged = union_all(*branches).subquery()
    by = [merged.c[f"c{i}"].desc() if descending else merged.c[f"c{i}"] for i, descending in orders]
    pickers = tuple(itemgetter(*(1 + i for i in layout)) for layout in layouts)  # after `part`
    return select(*merged.c).order_by(merged.c.part, *by), pickers


def _parts(
    rows: Sequence[Row[Any]], pickers: tuple[Callable[[Row[Any]], tuple[Any, ...]], ...]
) -> list[list[Sequence[Any]]]:
    """The rows of a `_side_by_side` statement part by part, each cut to its part's columns."""
    parts: list[list[Sequence[Any]]] = [[] for _ in pickers]
    for row in rows:
        parts[row[0]].append(pickers[row[0]](row))
    return parts


TICKET_DETAIL, _TICKET_DETAIL_PLACES = _side_by_side(
    (SELECT[Ticket].where(t.tickets.c.id == bindparam("ticket_id")), ()),
    (
        SELECT[Allocation].where(t.ticket_allocations.c.ticket_id == bindparam("ticket_id")),
        (t.ticket_allocations.c.seq,),
    ),
    (SELECT[TicketEvent].where(t.ticket_events.c.ticket_id == bindparam("ticket_id")), (t.ticket_events.c.version,)),
)


def ticket_detail(conn: Connection, ticket_id: str) -> TicketView:
    """The ticket, its allocations (in sequence) and its history (oldest first), by one statement:
    one round trip, and a consistent snapshot without a transaction around it (`Database.read_single`)."""
    tickets, allocations, history = _parts(
        conn.execute(TICKET_DETAIL, {"ticket_id": ticket_id}).all(), _TICKET_DETAIL_PLACES
    )
    if not tickets:
        raise NotFoundError("ticket", ticket_id)
    return TicketView(Ticket(*tickets[0]), [Allocation(*a) for a in allocations], [TicketEvent(*e) for e in history])


# -- accounts ---------------------------------------------------------------------------------------

ACCOUNTS_PAGE = (
    SELECT[Account].where(t.accounts.c.id > bindparam("after_id")).order_by(t.accounts.c.id).limit(bindparam("limit"))
)


def list_accounts(conn: Connection, *, after: list[Any] | None, limit: int) -> KeyedPage:
    params = {"after_id": after[0] if after is not None else "", "limit": limit + 1}
    return page_of([Account(*row) for row in conn.execute(ACCOUNTS_PAGE, params).all()], limit, lambda a: [a.id])  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)


def _like(text: str) -> str:
    """`text` as a LIKE pattern matching itself anywhere (its wildcards escaped with `\\`)."""
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


SEARCH_ACCOUNTS = (
    SELECT[Account]
    .where(
        or_(
            func.lower(t.accounts.c.id).like(bindparam("pattern"), escape="\\"),
            func.lower(t.accounts.c.display_name).like(bindparam("pattern"), escape="\\"),
        )
    )
    .order_by(t.accounts.c.id)
    .limit(bindparam("limit"))
)


def search_accounts(conn: Connection, text: str, *, limit: int) -> tuple[list[Account], bool]:
    """Accounts whose id or display name holds `text` (case-insensitive), by id: the first `limit`,
    and whether there are more. A scan of the accounts that stops at `limit` matches (the pages'
    account search; an exact id is a primary-key look-up by `ACCOUNT_EXISTS` first)."""
    rows = conn.execute(SEARCH_ACCOUNTS, {"pattern": _like(text), "limit": limit + 1}).all()
    return [Account(*row) for row in rows[:limit]], len(rows) > limit  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)


@dataclass
class ExpiringAccountView:
    account: Account
    expiring_points: int
    expiring: list[Expiring]
    earliest: datetime


def accounts_expiring_before(
    conn: Connection, now: datetime, before: datetime, *, after: list[Any] | None, limit: int
) -> KeyedPage:
    """Accounts with available points expiring in (now, before), soonest first."""
    live = and_(
        t.SPENDABLE_LOT,
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
        for a in (Account(*row) for row in conn.execute(SELECT[Account].where(t.accounts.c.id.in_(ids))).all())  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
    }
    lots = [Lot(*row) for row in conn.execute(SELECT[Lot].where(live, t.lots.c.account_id.in_(ids))).all()]  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
    by_account: dict[str, list[Lot]] = {}
    for lot in sorted(lots, key=lambda lot: (lot.expires_at, lot.id)):
        by_account.setdefault(lot.account_id, []).append(lot)
    items = []
    for row in rows[:limit]:
        its = by_account.get(row.account_id, [])
        items.append(
            ExpiringAccountView(
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
    return KeyedPage(items, next_key)


# -- owners (the access checks) ---------------------------------------------------------------------------

ACCOUNT_EXISTS = select(t.accounts.c.id).where(t.accounts.c.id == bindparam("ident"))
TICKET_OWNER = select(t.tickets.c.account_id).where(t.tickets.c.id == bindparam("ident"))
LOT_OWNER = select(t.lots.c.account_id).where(t.lots.c.id == bindparam("ident"))


# -- the catalogue -------------------------------------------------------------------------------------------


def catalogue_page(
    conn: Connection, cls: type[Any], *, include_inactive: bool, after: list[Any] | None, limit: int
) -> KeyedPage:
    """Entries by code, a page at a time."""
    stmt = SELECT[cls].order_by(cls.TABLE.c.code).limit(limit + 1)
    if not include_inactive:
        stmt = stmt.where(cls.TABLE.c.active.is_(True))
    if after is not None:
        stmt = stmt.where(cls.TABLE.c.code > after[0])
    return page_of([cls(*row) for row in conn.execute(stmt).all()], limit, lambda e: [e.code])


CATEGORY = SELECT[Category].where(t.categories.c.code == bindparam("code"))


def category(conn: Connection, code: str) -> Category | None:
    row = conn.execute(CATEGORY, {"code": code}).first()
    return Category(*row) if row is not None else None  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)


# -- billing webhook deliveries ----------------------------------------------------------------------------


def webhook_events_page(
    conn: Connection, *, outcomes: list[str] | None, after: list[Any] | None, limit: int
) -> KeyedPage:
    """Newest first, by (received_at, id)."""
    w = t.webhook_events.c
    stmt = SELECT[WebhookEvent]
    if outcomes:
        stmt = stmt.where(w.outcome.in_(outcomes))
    if after is not None:
        at = datetime.fromisoformat(after[0])
        stmt = stmt.where(or_(w.received_at < at, and_(w.received_at == at, w.id < after[1])))
    stmt = stmt.order_by(w.received_at.desc(), w.id.desc()).limit(limit + 1)
    return page_of(
        [WebhookEvent(*row) for row in conn.execute(stmt).all()],  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
        limit,
        lambda e: [e.received_at.isoformat(timespec="microseconds"), e.id],
    )


# -- the statement (the three parts) ----------------------------------------------------------------------


IN_PROGRESS = ("awaiting_points", "open")  # the statement's part 2
CLOSED = ("refunded", "resolved")  # part 3


@dataclass
class StatementView:
    """The three-part view of one account, read from one snapshot."""

    account: Account
    balance: BalanceView
    modifications: KeyedPage  # part 1: ledger entries of the modification kinds (pending expiries too)
    in_progress: KeyedPage  # part 2: open tickets, and those waiting for points (nothing captured yet)
    closed: KeyedPage  # part 3: resolved and refunded tickets


_STATEMENT_PARTS = (_chosen_statuses(IN_PROGRESS), _chosen_statuses(CLOSED))  # as `tickets_page` chooses them
_STATEMENT_KINDS = _chosen_kinds(MODIFICATION_KINDS)
# The account with its lots, both ticket parts, and the modifications with their postings: the
# three statements the parts would each send, side by side in one.
STATEMENT, _STATEMENT_PLACES = _side_by_side(
    (ACCOUNT_AND_LOTS, ()),
    _ticket_parts_rows(_STATEMENT_PARTS),
    _ledger_rows_with_postings(len(_STATEMENT_KINDS)),
)


def statement(conn: Connection, account_id: str, now: datetime, window: timedelta, limit: int) -> StatementView:
    """The three parts, by one statement (`STATEMENT`): one round trip, and one snapshot without a
    transaction around it (`Database.read_single`). Each part is what its own read gives:
    `account_and_balance`, `tickets_page` for each part's statuses, and `ledger_page`
    (tests/api/test_joined_pages.py)."""
    params = {
        **balance_params(account_id, now, window),
        **_ledger_params(account_id, _STATEMENT_KINDS, None, limit),  # its `limit` is the tickets' too
    }
    lots, tickets, entries = _parts(conn.execute(STATEMENT, params).all(), _STATEMENT_PLACES)
    account, balance, due = _account_and_balance_of(account_id, lots, now, window)
    in_progress, closed = _ticket_pages_of(tickets, len(_STATEMENT_PARTS), limit)
    modifications = _ledger_page_of(
        entries, account, now, kinds=MODIFICATION_KINDS, before_seq=None, limit=limit, due=due
    )
    return StatementView(account, balance, modifications, in_progress, closed)
