"""What a write batch works on: the rows it loaded, and what each command changes, in memory.

A batch loads, in a few statements, every row its commands need (`load.py`) into a `Batch`. Each
command then runs in a `Tx` of its own over it: reads see the batch as the commands before left
it, writes stay in the `Tx`. A command that succeeds merges its `Tx` into the batch; one that
fails (a rule refuses it, or a bug) is dropped with everything it wrote, so it leaves no row and
the next command sees the batch as if it had never run. A `Tx` can have a child of its own, for a
step that may fail without failing its command (a billing event's effect). Finally `flush.py`
writes what the batch created and changed, one statement per table.

Every read answers only for what the batch loaded: a command asks its `Needs` before it runs,
and asking about anything else is a bug (`NotLoadedError`), never a silent "absent".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlalchemy import Executable

from ..db.records import (
    Account,
    Allocation,
    ApiKey,
    Category,
    Dispute,
    Entry,
    License,
    LicenseProduct,
    Lot,
    Plan,
    StoredResponse,
    Ticket,
    TicketEvent,
    WebhookEvent,
)


class _Keyed(Protocol):
    """A record of db.records: its primary key and its class name its row."""

    @property
    def pk(self) -> Any: ...


R = TypeVar("R", bound=_Keyed)
R_co = TypeVar("R_co", covariant=True)
Key = tuple[type[Any], Any]
AfterFlush = tuple[Executable, dict[str, Any], Callable[[Any], None] | None]

# Indexes kept as rows are loaded and written. Multi-valued: an owner's rows, in the order they
# were loaded (the loader sorts them) and then created.
MULTI: dict[str, tuple[type[Any], Callable[[Any], Any]]] = {
    "lots_of": (Lot, lambda r: r.account_id),
    "allocations_of": (Allocation, lambda r: r.ticket_id),
    "history_of": (TicketEvent, lambda r: r.ticket_id),
    "licenses_of": (License, lambda r: r.account_id),
    "tickets_of": (Ticket, lambda r: r.account_id),
}
# Unique: the one row with that value (None values are not indexed).
UNIQUE: dict[str, tuple[type[Any], Callable[[Any], Any]]] = {
    "lot_by_payment": (Lot, lambda r: r.payment_id),
    "lot_by_import_ref": (Lot, lambda r: r.external_ref),
    "ticket_by_ref": (Ticket, lambda r: (r.account_id, r.external_ref)),
    "key_by_name": (ApiKey, lambda r: r.name),
    # A ticket's open dispute, as loaded or created (a dispute closed since keeps its entry: read
    # its newest version, `Scope.open_dispute`).
    "open_dispute_of": (Dispute, lambda r: r.ticket_id if r.status == "open" else None),
}
_MULTI_OF = {cls: [(name, fn) for name, (c, fn) in MULTI.items() if c is cls] for cls, _ in MULTI.values()}
_UNIQUE_OF = {cls: [(name, fn) for name, (c, fn) in UNIQUE.items() if c is cls] for cls, _ in UNIQUE.values()}


class NotLoadedError(LookupError):
    """A command read something its `Needs` did not ask for: a bug in the command."""


_NOT_LOADED = object()  # `Scope._newest` of a row the batch never looked up


@dataclass
class Needs:
    """What a batch's commands read: the loader fetches all of it before any command runs."""

    accounts: set[str] = field(default_factory=set)  # locked, with their lots that have available points
    all_lots: set[str] = field(default_factory=set)  # accounts of which every lot is read (revocation chains)
    tickets: set[str] = field(default_factory=set)  # with their allocations, the allocations' lots, history
    ticket_refs: set[tuple[str, str]] = field(default_factory=set)  # (account, external_ref) taken?
    lots: set[str] = field(default_factory=set)  # by id, whatever their account (refunds, revocations)
    payments: set[str] = field(default_factory=set)  # the lot bought with each payment id
    import_refs: set[str] = field(default_factory=set)  # the lot imported under each external_ref
    licenses: set[str] = field(default_factory=set)  # by license key
    licensed: set[str] = field(default_factory=set)  # accounts: every license they hold
    webhook_events: set[str] = field(default_factory=set)  # by webhook-id, locked
    responses: set[tuple[str, str]] = field(default_factory=set)  # stored Idempotency-Key responses
    key_names: set[str] = field(default_factory=set)  # API keys by name
    catalogue: bool = False  # reads plans, categories or license products (the cached catalogue)
    catalogue_rows: set[tuple[type[Any], str]] = field(default_factory=set)  # locked for a PUT
    disputes: set[str] = field(default_factory=set)  # by id, with their tickets (as `tickets`)
    open_disputes: set[str] = field(default_factory=set)  # tickets: the open dispute of each, if any

    def lock(self, *account_ids: str) -> Needs:
        self.accounts.update(account_ids)
        return self


class Command(Protocol[R_co]):
    """A write use case: it says what it reads (`needs`, the accounts it locks among them, given
    by its caller) and applies its rules to what was loaded (`apply`), writing through the scope
    it is given. It never sends a statement and never commits: the unit of work does both."""

    def needs(self, needs: Needs) -> None: ...

    def apply(self, tx: Scope) -> R_co: ...


class Scope:
    """Rows and indexes, falling through to a parent; what this scope wrote stays here until
    `commit` merges it into the parent."""

    def __init__(self, parent: Scope | None) -> None:
        self.parent = parent
        self.changed: dict[Key, Any] = {}  # the newest version of every row written here
        self.created: dict[Key, None] = {}  # rows inserted here, in order (an ordered set)
        self.multi: dict[tuple[str, Any], list[Any]] = {}
        self.unique: dict[tuple[str, Any], Any] = {}
        self.entries: list[Entry] = []  # ledger entries posted here (for the metrics, after COMMIT)
        self.statements: list[AfterFlush] = []  # run after the rows (deletes), with what reads their result
        self.catalogue_changed = False

    # -- the generic layer ---------------------------------------------------------------------

    def get(self, cls: type[R], pk: Any) -> R | None:
        row = self._newest((cls, pk))
        if row is _NOT_LOADED:
            raise NotLoadedError(f"{cls.__name__} {pk!r} was not loaded")
        return row  # type: ignore[no-any-return]  # rows are kept under (their class, pk)

    def _newest(self, key: Key) -> Any:
        """The row's newest version, None if it was looked up and is absent, `_NOT_LOADED` if
        the batch never looked it up."""
        scope: Scope | None = self
        while scope is not None:
            if key in scope.changed:
                return scope.changed[key]
            if isinstance(scope, Batch):
                return scope.base.get(key, _NOT_LOADED)
            scope = scope.parent
        raise AssertionError("a scope chain ends in a Batch")

    def keys(self, index: str, value: Any) -> list[Any]:
        chain = []
        scope: Scope | None = self
        while scope is not None:
            chain.append(scope)
            scope = scope.parent
        found: list[Any] = []
        for scope in reversed(chain):  # the batch's rows first, then each scope's new ones
            found += scope.multi.get((index, value), [])
        return found

    def find(self, index: str, value: Any) -> Any:
        """The primary key of the row with this unique value, or None."""
        scope: Scope | None = self
        while scope is not None:
            if (index, value) in scope.unique:
                return scope.unique[(index, value)]
            if isinstance(scope, Batch):
                raise NotLoadedError(f"{index} {value!r} was not loaded")
            scope = scope.parent
        raise AssertionError("a scope chain ends in a Batch")

    def insert(self, record: R) -> R:
        key = (type(record), record.pk)
        if self._exists(key):
            raise AssertionError(f"{key} exists already")
        self.changed[key] = record
        self.created[key] = None
        self._index(record)
        return record

    def update(self, record: R) -> R:
        key = (type(record), record.pk)
        if not self._exists(key):
            raise AssertionError(f"{key} does not exist")
        self.changed[key] = record
        return record

    def execute_after(
        self, statement: Executable, params: dict[str, Any], then: Callable[[Any], None] | None = None
    ) -> None:
        """A statement for the flush to run after the rows (a purge's DELETE); `then` is given
        its result."""
        self.statements.append((statement, params, then))

    def child(self) -> Tx:
        return Tx(self)

    def commit(self) -> None:
        """Merge what this scope wrote into its parent."""
        parent = self.parent
        assert parent is not None, "the batch is written by the flush, not committed"
        parent.changed.update(self.changed)
        parent.created.update(self.created)
        for key, pks in self.multi.items():
            parent.multi.setdefault(key, []).extend(pks)
        parent.unique.update(self.unique)
        parent.entries += self.entries
        parent.statements += self.statements
        parent.catalogue_changed |= self.catalogue_changed

    def _exists(self, key: Key) -> bool:
        # a row never looked up (a new id) is taken as absent: the database's constraints stand guard
        row = self._newest(key)
        return row is not None and row is not _NOT_LOADED

    def _index(self, record: Any) -> None:
        for name, value_of in _MULTI_OF.get(type(record), ()):
            self.multi.setdefault((name, value_of(record)), []).append(record.pk)
        for name, value_of in _UNIQUE_OF.get(type(record), ()):
            value = value_of(record)
            if value is not None:
                self.unique[(name, value)] = record.pk

    # -- what commands read ----------------------------------------------------------------------

    def account(self, account_id: str) -> Account | None:
        return self.get(Account, account_id)

    def lot(self, lot_id: str) -> Lot:
        lot = self.get(Lot, lot_id)
        if lot is None:
            raise NotLoadedError(f"lot {lot_id}")
        return lot

    def lots_of(self, account_id: str) -> list[Lot]:
        """The account's lots the batch loaded (every lot with available points, the lots of its
        loaded tickets' allocations) and created, newest versions."""
        return [self.lot(pk) for pk in dict.fromkeys(self.keys("lots_of", account_id))]

    def ticket(self, ticket_id: str) -> Ticket | None:
        return self.get(Ticket, ticket_id)

    def waiting_tickets(self, account_id: str) -> list[Ticket]:
        """The account's tickets waiting for points, first come first: all of them once the batch
        holds the account (the loader reads them with an account that has any), with those
        opened since."""
        found = (self.ticket(pk) for pk in dict.fromkeys(self.keys("tickets_of", account_id)))
        waiting = [t for t in found if t is not None and t.status == "awaiting_points"]
        return sorted(waiting, key=lambda t: (t.opened_at, t.id))

    def allocations(self, ticket_id: str) -> list[Allocation]:
        """The ticket's allocations in sequence."""
        found = [self.get(Allocation, pk) for pk in self.keys("allocations_of", ticket_id)]
        return sorted((a for a in found if a is not None), key=lambda a: a.seq)

    def history(self, ticket_id: str) -> list[TicketEvent]:
        found = [self.get(TicketEvent, pk) for pk in self.keys("history_of", ticket_id)]
        return sorted((e for e in found if e is not None), key=lambda e: e.version)

    def dispute(self, dispute_id: str) -> Dispute | None:
        return self.get(Dispute, dispute_id)

    def open_dispute(self, ticket_id: str) -> Dispute | None:
        """The ticket's open dispute, or None."""
        pk = self.find("open_dispute_of", ticket_id)
        dispute = None if pk is None else self.get(Dispute, pk)
        return dispute if dispute is not None and dispute.status == "open" else None

    def ticket_id_by_ref(self, account_id: str, external_ref: str) -> str | None:
        return self.find("ticket_by_ref", (account_id, external_ref))  # type: ignore[no-any-return]  # a ticket's id

    def lot_by_payment(self, payment_id: str) -> Lot | None:
        pk = self.find("lot_by_payment", payment_id)
        return None if pk is None else self.lot(pk)

    def lot_by_import_ref(self, external_ref: str) -> Lot | None:
        pk = self.find("lot_by_import_ref", external_ref)
        return None if pk is None else self.lot(pk)

    def license(self, license_key: str) -> License | None:
        return self.get(License, license_key)

    def licenses_of(self, account_id: str) -> list[License]:
        return [lic for pk in self.keys("licenses_of", account_id) if (lic := self.get(License, pk)) is not None]

    def webhook_event(self, webhook_id: str) -> WebhookEvent | None:
        return self.get(WebhookEvent, webhook_id)

    def stored_response(self, api_key: str, key: str) -> StoredResponse | None:
        return self.get(StoredResponse, (api_key, key))

    def api_key_named(self, name: str) -> ApiKey | None:
        pk = self.find("key_by_name", name)
        return None if pk is None else self.get(ApiKey, pk)

    def plan(self, code: str) -> Plan | None:
        return self._catalogue(Plan, code)

    def category(self, code: str) -> Category | None:
        return self._catalogue(Category, code)

    def license_product(self, code: str) -> LicenseProduct | None:
        return self._catalogue(LicenseProduct, code)

    def _catalogue(self, cls: type[R], code: str) -> R | None:
        try:
            return self.get(cls, code)
        except NotLoadedError:
            return self.batch.catalogue.get(cls, code)

    @property
    def batch(self) -> Batch:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        assert isinstance(scope, Batch)
        return scope


class Tx(Scope):
    """One command's (or one step's) writes over a batch."""

    def __init__(self, parent: Scope) -> None:
        super().__init__(parent)


class Catalogue:
    """The catalogue rows of one version (read-only once built)."""

    def __init__(self, version: int, rows: Iterable[Any]) -> None:
        self.version = version
        self.rows: dict[Key, Any] = {(type(row), row.pk): row for row in rows}

    def get(self, cls: type[R], code: str) -> R | None:
        return self.rows.get((cls, code))


class Batch(Scope):
    """The root scope: what the loader read, with what the batch's commands wrote on top."""

    def __init__(self, catalogue: Catalogue) -> None:
        super().__init__(None)
        self.catalogue = catalogue
        self.base: dict[Key, Any] = {}  # loaded rows (None: looked up and absent)
        self.locked: set[str] = set()  # the accounts locked for this batch

    def load(self, record: Any) -> None:
        """A row read from the database (a row read twice keeps its first reading: the same)."""
        key = (type(record), record.pk)
        if self.base.get(key) is None:
            self.base[key] = record
            self._index(record)

    def absent(self, cls: type[Any], pk: Any) -> None:
        self.base.setdefault((cls, pk), None)

    def looked_up(self, index: str, value: Any) -> None:
        """A unique value the loader asked for: absent unless a loaded row carries it."""
        self.unique.setdefault((index, value), None)

    def rows_to_insert(self) -> list[Any]:
        return [self.changed[key] for key in self.created]

    def rows_to_update(self) -> list[Any]:
        return [record for key, record in self.changed.items() if key not in self.created]

    def commit(self) -> None:
        raise AssertionError("a batch is written by the flush")
