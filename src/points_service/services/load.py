"""The load phase of a write batch: everything its commands need, in a few statements.

Every statement is built once, here, with expanding bound parameters (`IN (…)` lists), so each
execution reuses SQLAlchemy's compiled form. A batch sends only the statements its `Needs` ask for:

| statement | when | what |
|---|---|---|
| accounts | the batch names accounts | the accounts and their lots; on PostgreSQL locked `FOR UPDATE` in id order |
| disputes | dispute commands | by id, or a ticket's open one; read before the tickets, which include theirs |
| tickets, history | ticket commands | the tickets with their allocations; their history |
| waiting tickets | an account with tickets awaiting points | their ids (then read as tickets, above) |
| lots by id / payment / import ref | refunds, revocations, purchases, imports | |
| licenses, webhook events, responses, API keys, catalogue rows | when asked | |

(SQLite locks no accounts: its `BEGIN IMMEDIATE` already holds its only write lock.)

The accounts statement also reads the catalogue's version, so a process's cached catalogue is
checked by every batch that prices or grants, for free, and reloaded when another process
changed it.

**PostgreSQL, locks and snapshots.** Under READ COMMITTED a statement reads the snapshot taken when
it began; if it then waits for an account's lock, PostgreSQL returns the account's newest version
(the holder's) but the joined lots as the old snapshot saw them. So the statement also reads each
account's `xmin` twice: the version it locked, and the version its snapshot saw (a subquery). When
they differ, another transaction changed the account after the snapshot, and its lots are read
again, now that the lock is held. This is sound because every transaction that changes a lot also
writes its account's row (`ledger.AccountWriter.post`, and `touch` where no point moves).

**Unique external refs.** Whether a ticket's `external_ref` is taken is left to the database's
UNIQUE constraint in a batch's first pass (`assume_unique`): a conflict there makes the unit of
work redo the batch one command at a time, and that careful pass reads the refs, so the 409 names
the existing ticket. A batch of opens thus sends one statement fewer. An open the rules refuse
(no points) is checked against the refs before it is answered: if its ref is taken, the careful
pass answers the 409 instead.

Lots loaded per account, with the accounts: every lot still holding points (available: what
captures, write-offs, expiries and the balance look at; held: what open tickets hold), through a
partial index, so an account's consumed lots are never read. Then, once the accounts are locked,
in one more statement when a batch needs them: the lots of the loaded tickets' allocations that
hold nothing any more (what returns go back to), and for a revocation every lot of the account
(the chains of reissued lots).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, and_, bindparam, literal_column, or_, select, tuple_

from ..db import schema as t
from ..db.records import (
    FIELDS,
    SELECT,
    Account,
    Allocation,
    ApiKey,
    Category,
    Dispute,
    License,
    LicenseProduct,
    Lot,
    Plan,
    StoredResponse,
    Ticket,
    TicketEvent,
    WebhookEvent,
)
from .catalogue import CatalogueCache
from .state import Batch, Catalogue, Needs


def _many(name: str) -> Any:
    return bindparam(name, expanding=True)


_VERSION = select(t.catalogue_state.c.version).where(t.catalogue_state.c.id == 1)
_ACCOUNT_COLUMNS = [t.accounts.c[name] for name in FIELDS[Account]]
_LOT_COLUMNS = [t.lots.c[name] for name in FIELDS[Lot]]
# The lots a batch reads with its accounts: those still holding points, through the partial index
# of such lots (an account's consumed lots, however many, are not read). The others a command may
# need are read by `_load_other_lots` (see the module's docstring).
_LOTS_NEEDED = t.LIVE_LOT

_WITH_LOTS = t.accounts.outerjoin(t.lots, and_(t.lots.c.account_id == t.accounts.c.id, _LOTS_NEEDED))
_SEEN = t.accounts.alias("seen")
ACCOUNTS_WITH_LOTS = (  # SQLite
    select(*_ACCOUNT_COLUMNS, _VERSION.scalar_subquery(), *_LOT_COLUMNS)
    .select_from(_WITH_LOTS)
    .where(t.accounts.c.id.in_(_many("accounts")))
)
LOCK_ACCOUNTS = (  # PostgreSQL: the version locked and the version the snapshot saw, then the lots
    select(
        *_ACCOUNT_COLUMNS,
        _VERSION.scalar_subquery(),
        literal_column("accounts.xmin::text"),
        select(literal_column("seen.xmin::text")).where(_SEEN.c.id == t.accounts.c.id).scalar_subquery(),
        *_LOT_COLUMNS,
    )
    .select_from(_WITH_LOTS)
    .where(t.accounts.c.id.in_(_many("accounts")))
    .order_by(t.accounts.c.id)
    .with_for_update(of=t.accounts)
)
# The same, refusing to wait for a lock (`load(wait=False)`): PostgreSQL's `lock_not_available`.
LOCK_ACCOUNTS_NOWAIT = LOCK_ACCOUNTS.with_for_update(of=t.accounts, nowait=True)
LOTS = SELECT[Lot].where(t.lots.c.account_id.in_(_many("accounts")), _LOTS_NEEDED)
OTHER_LOTS = SELECT[Lot].where(or_(t.lots.c.id.in_(_many("lots")), t.lots.c.account_id.in_(_many("all_lots"))))
CATALOGUE_VERSION = _VERSION
TICKETS = (
    select(*(t.tickets.c[name] for name in FIELDS[Ticket]), *(t.ticket_allocations.c[n] for n in FIELDS[Allocation]))
    .select_from(t.tickets.outerjoin(t.ticket_allocations, t.ticket_allocations.c.ticket_id == t.tickets.c.id))
    .where(t.tickets.c.id.in_(_many("tickets")))
)
HISTORY = SELECT[TicketEvent].where(t.ticket_events.c.ticket_id.in_(_many("tickets")))
# The tickets waiting for points of the accounts that have some (`accounts.awaiting_count`).
WAITING = select(t.tickets.c.id).where(
    t.tickets.c.account_id.in_(_many("accounts")), t.is_word(t.tickets.c.status, "awaiting_points", t.TICKET_STATUSES)
)
TICKET_REFS = select(t.tickets.c.id, t.tickets.c.account_id, t.tickets.c.external_ref).where(
    tuple_(t.tickets.c.account_id, t.tickets.c.external_ref).in_(_many("refs"))
)
LOTS_BY_KEY = SELECT[Lot].where(
    or_(
        t.lots.c.id.in_(_many("lots")),
        t.lots.c.payment_id.in_(_many("payments")),
        t.lots.c.external_ref.in_(_many("import_refs")),
    )
)
# A license with its bonus lot (a repeated registration answers with it, however empty it is).
LICENSES = (
    select(*(t.licenses.c[name] for name in FIELDS[License]), *_LOT_COLUMNS)
    .select_from(t.licenses.outerjoin(t.lots, t.lots.c.id == t.licenses.c.lot_id))
    .where(or_(t.licenses.c.license_key.in_(_many("licenses")), t.licenses.c.account_id.in_(_many("licensed"))))
)
DISPUTES = SELECT[Dispute].where(t.disputes.c.id.in_(_many("disputes")))
# Through the partial unique index of open disputes (its condition written as the index's).
OPEN_DISPUTES = SELECT[Dispute].where(t.disputes.c.ticket_id.in_(_many("tickets")), t.OPEN_DISPUTE)
WEBHOOK_EVENTS = SELECT[WebhookEvent].where(t.webhook_events.c.id.in_(_many("ids")))
LOCK_WEBHOOK_EVENTS = WEBHOOK_EVENTS.order_by(t.webhook_events.c.id).with_for_update()
LOCK_WEBHOOK_EVENTS_NOWAIT = LOCK_WEBHOOK_EVENTS.with_for_update(nowait=True)
RESPONSES = SELECT[StoredResponse].where(
    tuple_(t.idempotency_keys.c.api_key, t.idempotency_keys.c.key).in_(_many("keys"))
)
KEYS = SELECT[ApiKey].where(t.api_keys.c.name.in_(_many("names")))
CATALOGUE: dict[type[Any], Any] = {
    cls: SELECT[cls].order_by(cls.TABLE.c.code) for cls in (Plan, Category, LicenseProduct)
}
LOCK_CATALOGUE_ROWS = {
    cls: SELECT[cls].where(cls.TABLE.c.code.in_(_many("codes"))).with_for_update()
    for cls in (Plan, Category, LicenseProduct)
}
LOCK_CATALOGUE_ROWS_NOWAIT = {cls: stmt.with_for_update(nowait=True) for cls, stmt in LOCK_CATALOGUE_ROWS.items()}

_N_ACCOUNT = len(FIELDS[Account])
_N_TICKET = len(FIELDS[Ticket])
_N_LICENSE = len(FIELDS[License])


def load(
    conn: Connection,
    needs: Needs,
    cache: CatalogueCache,
    *,
    postgres: bool,
    assume_unique: bool = False,
    wait: bool = True,
) -> Batch:
    """Read what `needs` names (locking its accounts on PostgreSQL) into a new batch.

    `assume_unique`: take every ticket ref the batch names as free, and let the UNIQUE constraint
    say otherwise at the flush (a batch's first pass). `wait=False` (PostgreSQL): a row another
    transaction holds locked fails the statement at once (`lock_not_available`, SQLSTATE 55P03)
    instead of waiting for it."""
    version: int | None = None
    lots: dict[str, list[Lot]] = {}
    tickets = sorted(needs.tickets)
    accounts = sorted(needs.accounts)
    found_accounts: dict[str, Account] = {}
    if accounts:
        params = {"accounts": accounts}
        stale: list[str] = []
        first_lot = _N_ACCOUNT + (3 if postgres else 1)
        statement = (LOCK_ACCOUNTS if wait else LOCK_ACCOUNTS_NOWAIT) if postgres else ACCOUNTS_WITH_LOTS
        for row in conn.execute(statement, params):
            if row[0] not in found_accounts:
                found_accounts[row[0]] = Account(*row[:_N_ACCOUNT])
                version = row[_N_ACCOUNT]
                lots[row[0]] = []
                if postgres and changed_since_snapshot(locked=row[_N_ACCOUNT + 1], seen=row[_N_ACCOUNT + 2]):
                    stale.append(row[0])
            if row[first_lot] is not None:
                lots[row[0]].append(Lot(*row[first_lot:]))
        if stale:  # changed after this statement's snapshot: read their lots again, under the lock
            for account_id in stale:
                lots[account_id] = []
            for row in conn.execute(LOTS, {**params, "accounts": stale}):
                lots[row[1]].append(Lot(*row))  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
    if needs.catalogue and version is None:  # no account named, or none exists yet
        version = conn.execute(CATALOGUE_VERSION).scalar_one()

    # whenever the batch needs the catalogue, its version was read above
    batch = Batch(_catalogue(conn, cache, cast(int, version)) if needs.catalogue else cache.current_or_empty())
    batch.locked = set(accounts)
    for account_id in accounts:
        account = found_accounts.get(account_id)
        if account is None:
            batch.absent(Account, account_id)
        else:
            batch.load(account)

    for account_lots in lots.values():
        for lot in account_lots:
            batch.load(lot)
    if needs.disputes or needs.open_disputes:  # read under the accounts' locks, before their tickets
        tickets = sorted({*tickets, *_load_disputes(conn, batch, needs)})
    waiting = sorted(a.id for a in found_accounts.values() if a.awaiting_count > 0)
    if waiting:  # a lot that arrives captures them: read with their history, like a command's tickets
        tickets = sorted({*tickets, *conn.execute(WAITING, {"accounts": waiting}).scalars()})
    if tickets:
        _load_tickets(conn, batch, tickets)
    if tickets or needs.all_lots:  # only tickets' allocations and revocations need other lots
        _load_other_lots(conn, batch, needs)
    _load_unique(conn, batch, needs, postgres=postgres, assume_unique=assume_unique, wait=wait)
    return batch


def changed_since_snapshot(*, locked: str, seen: str) -> bool:
    """The account row locked is not the one the statement's snapshot saw: its lots are stale."""
    return locked != seen


def _catalogue(conn: Connection, cache: CatalogueCache, version: int) -> Catalogue:
    """The cached catalogue if it is at `version`, else the catalogue read again (and cached)."""
    current = cache.current
    if current is not None and current.version == version:
        return current
    rows = [cls(*row) for cls, stmt in CATALOGUE.items() for row in conn.execute(stmt)]
    return cache.replace(Catalogue(version, rows))


def _load_tickets(conn: Connection, batch: Batch, ids: list[str]) -> None:
    found: set[str] = set()
    for row in conn.execute(TICKETS, {"tickets": ids}):
        if row[0] not in found:
            found.add(row[0])
            batch.load(Ticket(*row[:_N_TICKET]))
        if row[_N_TICKET] is not None:
            batch.load(Allocation(*row[_N_TICKET:]))
    for ticket_id in ids:
        if ticket_id not in found:
            batch.absent(Ticket, ticket_id)
    for row in conn.execute(HISTORY, {"tickets": ids}):
        batch.load(TicketEvent(*row))  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)


def _load_disputes(conn: Connection, batch: Batch, needs: Needs) -> set[str]:
    """The disputes asked for by id, and the open dispute of each ticket asked for; the tickets
    of the disputes found (a decision reads its ticket)."""
    found: list[Dispute] = []
    if needs.disputes:
        found += [Dispute(*row) for row in conn.execute(DISPUTES, {"disputes": sorted(needs.disputes)})]  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
    if needs.open_disputes:
        for ticket_id in needs.open_disputes:
            batch.looked_up("open_dispute_of", ticket_id)
        found += [Dispute(*row) for row in conn.execute(OPEN_DISPUTES, {"tickets": sorted(needs.open_disputes)})]  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
    for dispute in found:
        batch.load(dispute)
    for dispute_id in needs.disputes:
        batch.absent(Dispute, dispute_id)
    return {dispute.ticket_id for dispute in found}


def _load_other_lots(conn: Connection, batch: Batch, needs: Needs) -> None:
    """The lots a batch needs beyond those holding points, read now that its accounts are locked:
    the lots its tickets' allocations name (what returns go back to, perhaps emptied since), and
    every lot of the accounts whose revocation chains are followed."""
    allocated = {record.lot_id for (cls, _), record in batch.base.items() if cls is Allocation and record is not None}
    missing = sorted(lot_id for lot_id in allocated if (Lot, lot_id) not in batch.base)
    if missing or needs.all_lots:
        for row in conn.execute(OTHER_LOTS, {"lots": missing, "all_lots": sorted(needs.all_lots)}):
            batch.load(Lot(*row))  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)


def any_ticket_ref_taken(conn: Connection, refs: set[tuple[str, str]]) -> bool:
    """Whether a ticket already holds one of these (account, external_ref) pairs."""
    return conn.execute(TICKET_REFS, {"refs": sorted(refs)}).first() is not None


def _load_unique(
    conn: Connection, batch: Batch, needs: Needs, *, postgres: bool, assume_unique: bool, wait: bool
) -> None:
    if needs.ticket_refs:
        for ref in needs.ticket_refs:
            batch.looked_up("ticket_by_ref", ref)
        if not assume_unique:
            for ticket_id, account_id, external_ref in conn.execute(TICKET_REFS, {"refs": sorted(needs.ticket_refs)}):
                batch.unique[("ticket_by_ref", (account_id, external_ref))] = ticket_id
    if needs.lots or needs.payments or needs.import_refs:
        for payment_id in needs.payments:
            batch.looked_up("lot_by_payment", payment_id)
        for external_ref in needs.import_refs:
            batch.looked_up("lot_by_import_ref", external_ref)
        params = {
            "lots": sorted(needs.lots),
            "payments": sorted(needs.payments),
            "import_refs": sorted(needs.import_refs),
        }
        for row in conn.execute(LOTS_BY_KEY, params):
            batch.load(Lot(*row))  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
        for lot_id in needs.lots:
            batch.absent(Lot, lot_id)
    if needs.licenses or needs.licensed:
        params = {"licenses": sorted(needs.licenses), "licensed": sorted(needs.licensed)}
        for row in conn.execute(LICENSES, params):
            batch.load(License(*row[:_N_LICENSE]))
            if row[_N_LICENSE] is not None:
                batch.load(Lot(*row[_N_LICENSE:]))
        for license_key in needs.licenses:
            batch.absent(License, license_key)
    if needs.webhook_events:
        statement = (LOCK_WEBHOOK_EVENTS if wait else LOCK_WEBHOOK_EVENTS_NOWAIT) if postgres else WEBHOOK_EVENTS
        for row in conn.execute(statement, {"ids": sorted(needs.webhook_events)}):
            batch.load(WebhookEvent(*row))  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
        for webhook_id in needs.webhook_events:
            batch.absent(WebhookEvent, webhook_id)
    if needs.responses:
        for row in conn.execute(RESPONSES, {"keys": sorted(needs.responses)}):
            batch.load(StoredResponse(*row))  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
        for pk in needs.responses:
            batch.absent(StoredResponse, pk)
    if needs.key_names:
        for name in needs.key_names:
            batch.looked_up("key_by_name", name)
        for row in conn.execute(KEYS, {"names": sorted(needs.key_names)}):
            batch.load(ApiKey(*row))  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
    if needs.catalogue_rows:
        for cls in (Plan, Category, LicenseProduct):
            codes = sorted(code for kind, code in needs.catalogue_rows if kind is cls)
            if codes:
                locking = LOCK_CATALOGUE_ROWS if wait else LOCK_CATALOGUE_ROWS_NOWAIT
                for row in conn.execute(locking[cls], {"codes": codes}):
                    batch.load(cls(*row))  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
                for code in codes:
                    batch.absent(cls, code)
