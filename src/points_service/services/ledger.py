"""The only code that moves points: lot counters, account counters and ledger rows together.

Every write command on an account starts with `open_account_write`, which takes the account the
batch locked, reads the clock once, and persists the account's due expiries. It then moves points
only through `AccountWriter.post`, so a lot's counters, the account's counters and the postings can
never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from ..db.ids import new_id
from ..db.records import Account, Entry, Lot, Posting
from ..domain.clock import is_expired
from ..domain.errors import NotFoundError
from ..domain.events import EventType, crossing
from ..domain.ledger import EntryKind
from ..domain.lots import HOLDING, LotState
from ..domain.money import format_unit_price, unit_price
from . import present
from .balance import BalanceView, balance_at
from .context import DEFAULT_CURRENCY, Context
from .events import emit
from .state import Scope

BALANCE_STATES = ("available", "held", "deducted")
SYSTEM_EXPIRY = "system:expiry"
# The entries that are events of their own (`data` = the entry); others are told through the
# ticket or the lot they concern. An adjustment is one when it writes points off.
ENTRY_EVENTS = {
    EntryKind.EXPIRY: EventType.POINTS_EXPIRED,
    EntryKind.REVOCATION: EventType.POINTS_REVOKED,
    EntryKind.ADJUSTMENT: EventType.POINTS_WRITTEN_OFF,
}


@dataclass(frozen=True, slots=True)
class Move:
    """`points` of a lot go from `from_state` (None: the lot is being created) to `to_state`."""

    lot_id: str
    from_state: str | None
    to_state: str
    points: int


def new_lot(account_id: str, source: str, *, granted_at: datetime, now: datetime, **fields: Any) -> Lot:
    """A lot with no points yet: its creating posting gives it its points."""
    values: dict[str, Any] = {
        "id": new_id("lot"),
        "account_id": account_id,
        "source": source,
        "points": 0,
        **{state.value: 0 for state in LotState},
        "granted_at": granted_at,
        "expires_at": None,
        "revoked_at": None,
        "plan_code": None,
        "paid_minor": None,
        "paid_currency": None,
        "payment_id": None,
        "license_key": None,
        "external_ref": None,
        "origin_lot_id": None,
        "reason": None,
        "created_at": now,
        "notice_days": None,
        # the cost basis: set by `AccountWriter.add_lot` from the points and the price paid, or
        # passed in (a returned lot carries its origin's)
        "unit_price": None,
        "unit_currency": None,
        "basis_plan_code": None,
    }
    values.update(fields)
    return Lot(**values)


class AccountWriter:
    """Writes ledger entries for one locked account at one instant."""

    def __init__(
        self,
        tx: Scope,
        account_id: str,
        *,
        now: datetime,
        actor: str,
        return_grace: timedelta,
        window: timedelta = timedelta(days=90),
        currency: str = DEFAULT_CURRENCY,
    ) -> None:
        if account_id not in tx.batch.locked:
            raise AssertionError(f"account {account_id!r} is not locked by this batch")
        self.tx = tx
        self.account_id = account_id
        self.now = now
        self.actor = actor
        self.return_grace = return_grace
        self.window = window  # of the balance's `expiring` points, in balance events
        self.currency = currency  # of the zero unit price of lots bought with nothing
        self.expiries: list[Entry] = []  # written by persist_due_expiries

    @property
    def account(self) -> Account:
        account = self.tx.account(self.account_id)
        assert account is not None
        return account

    def spendable(self) -> list[Lot]:
        """The account's lots with available points, as they are now (expired ones included:
        the rules of consumption order leave those out)."""
        return [lot for lot in self.tx.lots_of(self.account_id) if lot.available > 0]

    def balance(self, window: timedelta) -> BalanceView:
        """The balance at the command's instant, as it leaves the account."""
        account = self.account
        lots = ((lot.expires_at, lot.id, lot.available) for lot in self.tx.lots_of(self.account_id))
        counters = (account.available, account.held, account.deducted)
        awaiting = (account.awaiting_count, account.awaiting_points)
        return balance_at(account.id, counters, lots, self.now, window, awaiting)

    def post(
        self,
        kind: str,
        moves: Iterable[Move],
        *,
        ticket_id: str | None = None,
        reason: str | None = None,
        effective_at: datetime | None = None,
        actor: str | None = None,
        dispute_id: str | None = None,
    ) -> Entry | None:
        """Apply `moves` to the lots and the account, and record them as one entry (`dispute_id`:
        the accepted dispute it credits, `services.disputes`).

        Operations that move no points write no entry (and return None).
        """
        moves = [m for m in moves if m.points > 0]
        if not moves:
            return None
        tx = self.tx
        deltas = dict.fromkeys(BALANCE_STATES, 0)
        entry_id = new_id("le")
        seq = self.account.last_seq + 1
        lots: dict[str, Lot] = {}
        postings = []
        for idx, move in enumerate(moves):
            lot = lots.get(move.lot_id) or tx.lot(move.lot_id)
            if lot.account_id != self.account_id:
                raise AssertionError(f"lot {lot.id} is not account {self.account_id!r}'s")
            n = move.points
            changes = {move.to_state: getattr(lot, move.to_state) + n}
            if move.from_state is None:
                changes["points"] = lot.points + n
            else:
                left = getattr(lot, move.from_state) - n
                if left < 0:
                    raise AssertionError(f"lot {lot.id} has only {getattr(lot, move.from_state)} {move.from_state}")
                changes[move.from_state] = left
                if move.from_state in deltas:
                    deltas[move.from_state] -= n
            if move.to_state in deltas:
                deltas[move.to_state] += n
            lot = lots[lot.id] = replace(lot, **changes)
            # when the lot last stopped holding points (as-of reads: the lots holding points at an
            # instant; `Lot.emptied_at`): a move out of available or held that leaves it none
            if lot.available == 0 and lot.held == 0:
                if move.from_state in HOLDING and move.to_state not in HOLDING:
                    lot = lots[lot.id] = replace(lot, emptied_at=self.now, emptied_class=None)
            elif lot.emptied_at is not None:
                lot = lots[lot.id] = replace(lot, emptied_at=None, emptied_class=None)
            # the lot's states after this posting: its states at any later instant, until the next
            after = (lot.available, lot.held, lot.deducted, lot.expired, lot.revoked, lot.written_off, lot.reissued)
            postings.append(Posting(entry_id, idx, lot.id, move.from_state, move.to_state, n, seq, *after))
        for lot in lots.values():
            tx.update(lot)
        account = self.account
        account = tx.update(
            replace(
                account,
                available=account.available + deltas["available"],
                held=account.held + deltas["held"],
                deducted=account.deducted + deltas["deducted"],
                last_seq=seq,
                ledger_at=self.now,
            )
        )
        if min(account.available, account.held, account.deducted) < 0:
            raise AssertionError(f"account {account.id!r} would go negative")
        entry = tx.insert(
            Entry(
                id=entry_id,
                account_id=account.id,
                seq=seq,
                kind=kind,
                available_delta=deltas["available"],
                held_delta=deltas["held"],
                deducted_delta=deltas["deducted"],
                available_after=account.available,
                held_after=account.held,
                deducted_after=account.deducted,
                lot_id=next(iter(lots)) if len(lots) == 1 else None,
                ticket_id=ticket_id,
                reason=reason,
                actor=actor or self.actor,
                created_at=self.now,
                effective_at=effective_at or self.now,
                dispute_id=dispute_id,
            )
        )
        for posting in postings:
            tx.insert(posting)
        tx.entries.append(entry)
        self._tell(entry, postings)
        return entry

    def emit(self, kind: EventType, data: dict[str, Any]) -> None:
        emit(self.tx, self.account_id, kind, data, self.now)

    def _tell(self, entry: Entry, postings: list[Posting]) -> None:
        """The events an entry makes: the lots it created, the entry itself for an expiry, a
        revocation or a write-off, and a crossing of the account's low-balance threshold."""
        for posting in postings:
            if posting.from_state is None:
                self.emit(EventType.POINTS_GRANTED, present.lot(self.tx.lot(posting.lot_id), self.now))
        kind = ENTRY_EVENTS.get(EntryKind(entry.kind))
        if kind is not None and (kind is not EventType.POINTS_WRITTEN_OFF or entry.available_delta < 0):
            self.emit(kind, present.entry(entry, [p.view() for p in postings]))
        self.check_balance()

    def check_balance(self) -> None:
        """`balance.low` / `balance.recovered` if the account crossed its threshold."""
        account = self.account
        low = crossing(account.available, account.low_balance_threshold, account.low_balance)
        if low is None:
            return
        self.tx.update(replace(account, low_balance=low))
        self.emit(
            EventType.BALANCE_LOW if low else EventType.BALANCE_RECOVERED, present.balance(self.balance(self.window))
        )

    def touch(self) -> None:
        """A lot of the account changed without any point moving (a revocation of a lot with none
        available): its account's row is written too, as with every lot change, so that a batch
        on PostgreSQL that waited for the account's lock knows to read its lots again (`load`)."""
        self.tx.update(self.account)

    def add_lot(self, lot: Lot, points: int, kind: str, *, reason: str | None = None) -> Lot:
        """Create the lot with its entry, and expire it at once if it arrives already expired.

        Its cost basis is set here: the price paid divided by the points (zero when nothing was paid)."""
        currency = lot.paid_currency or self.currency
        lot = replace(
            lot,
            unit_price=format_unit_price(unit_price(lot.paid_minor, currency, points)),
            unit_currency=currency,
            basis_plan_code=lot.plan_code,
        )
        self.tx.insert(lot)
        self.post(kind, [Move(lot.id, None, "available", points)], reason=reason, effective_at=lot.granted_at)
        if is_expired(lot.expires_at, self.now):
            self.expire_lot(lot.id)
        self.points_arrived()
        return self.tx.lot(lot.id)

    def points_arrived(self) -> None:
        """A lot was created (and what comes with it written): the account's tickets waiting for
        points are captured now, in this transaction, first come first served."""
        from .tickets import capture_waiting  # the ticket rules build on this module: imported when used

        capture_waiting(self)

    def expire_lot(self, lot_id: str) -> Entry | None:
        """Move a due lot's available points to `expired`, effective at its `expires_at`."""
        lot = self.tx.lot(lot_id)
        assert lot.expires_at is not None and lot.expires_at <= self.now
        return self.post(
            "expiry",
            [Move(lot.id, "available", "expired", lot.available)],
            effective_at=lot.expires_at,
            actor=SYSTEM_EXPIRY,
        )

    def persist_due_expiries(self) -> list[Entry]:
        """Write an `expiry` entry for each lot of the account whose available points are due."""
        due = sorted(
            (lot for lot in self.spendable() if is_expired(lot.expires_at, self.now)),
            key=lambda lot: (lot.expires_at, lot.id),
        )
        entries = [entry for lot in due if (entry := self.expire_lot(lot.id)) is not None]
        self.expiries += entries
        return entries


def open_account_write(tx: Scope, ctx: Context, account_id: str) -> AccountWriter:
    """Take the locked account, read the clock once, and bring its expiries up to date."""
    account = tx.account(account_id)
    if account is None:
        raise NotFoundError("account", account_id)
    now = ctx.clock.now()
    if account.ledger_at is not None and now < account.ledger_at:
        now = account.ledger_at  # an account's entries never go back in time
    writer = AccountWriter(
        tx,
        account_id,
        now=now,
        actor=ctx.actor,
        return_grace=ctx.return_grace,
        window=ctx.expiring_window,
        currency=ctx.currency,
    )
    writer.persist_due_expiries()
    return writer
