"""The only code that moves points: lot counters, account counters and ledger rows together.

Every write command starts with `open_account_write`, which locks the account row, reads the
clock once under that lock, and persists the account's due expiries. It then moves points only
through `AccountWriter.post`, so a lot's counters, the account's counters and the postings can
never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db.ids import new_id
from ..db.models import Account, LedgerEntry, Lot, Posting
from ..domain.errors import NotFoundError
from .context import Context

BALANCE_STATES = ("available", "held", "deducted")
POSTED = "points_posted"  # session.info key: the entries written in this transaction
SYSTEM_EXPIRY = "system:expiry"


@dataclass(frozen=True)
class Move:
    """`points` of `lot` go from `from_state` (None: the lot is being created) to `to_state`."""

    lot: Lot
    from_state: str | None
    to_state: str
    points: int


def new_lot(account_id: str, source: str, *, granted_at: datetime, now: datetime, **fields: object) -> Lot:
    """A lot with no points yet: its creating posting gives it its points."""
    return Lot(
        id=new_id("lot"),
        account_id=account_id,
        source=source,
        points=0,
        available=0,
        held=0,
        deducted=0,
        expired=0,
        revoked=0,
        written_off=0,
        reissued=0,
        granted_at=granted_at,
        created_at=now,
        **fields,
    )


async def load_lots(session: AsyncSession, ids: Iterable[str]) -> dict[str, Lot]:
    stmt = select(Lot).where(Lot.id.in_(set(ids))).execution_options(populate_existing=True)
    return {lot.id: lot for lot in (await session.scalars(stmt)).all()}


async def lock_account(session: AsyncSession, account_id: str) -> Account:
    stmt = (
        select(Account)
        .where(Account.id == account_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    account = (await session.execute(stmt)).scalar_one_or_none()
    if account is None:
        raise NotFoundError("account", account_id)
    return account


class AccountWriter:
    """Writes ledger entries for one locked account at one instant."""

    def __init__(
        self,
        session: AsyncSession,
        account: Account,
        *,
        now: datetime,
        actor: str,
        return_grace: timedelta = timedelta(days=30),
    ) -> None:
        self.session = session
        self.account = account
        self.now = now
        self.actor = actor
        self.return_grace = return_grace
        self.expiries: list[LedgerEntry] = []  # written by persist_due_expiries
        self.spendable_at_open: list[Lot] = []  # lots with available points, due expiries done

    async def post(
        self,
        kind: str,
        moves: Iterable[Move],
        *,
        ticket_id: str | None = None,
        reason: str | None = None,
        effective_at: datetime | None = None,
        actor: str | None = None,
    ) -> LedgerEntry | None:
        """Apply `moves` to the lots and the account, and record them as one entry.

        Operations that move no points write no entry (and return None).
        """
        moves = [m for m in moves if m.points > 0]
        if not moves:
            return None
        account = self.account
        deltas = dict.fromkeys(BALANCE_STATES, 0)
        entry_id = new_id("le")
        postings = []
        for idx, move in enumerate(moves):
            lot, n = move.lot, move.points
            if move.from_state is None:
                lot.points += n
            else:
                setattr(lot, move.from_state, getattr(lot, move.from_state) - n)
                if move.from_state in deltas:
                    deltas[move.from_state] -= n
            setattr(lot, move.to_state, getattr(lot, move.to_state) + n)
            if move.to_state in deltas:
                deltas[move.to_state] += n
            postings.append(
                {
                    "entry_id": entry_id,
                    "idx": idx,
                    "lot_id": lot.id,
                    "from_state": move.from_state,
                    "to_state": move.to_state,
                    "points": n,
                }
            )
        account.available += deltas["available"]
        account.held += deltas["held"]
        account.deducted += deltas["deducted"]
        account.last_seq += 1
        account.ledger_at = self.now
        lot_ids = {m.lot.id for m in moves}
        row = dict(
            id=entry_id,
            account_id=account.id,
            seq=account.last_seq,
            kind=kind,
            available_delta=deltas["available"],
            held_delta=deltas["held"],
            deducted_delta=deltas["deducted"],
            available_after=account.available,
            held_after=account.held,
            deducted_after=account.deducted,
            lot_id=next(iter(lot_ids)) if len(lot_ids) == 1 else None,
            ticket_id=ticket_id,
            reason=reason,
            actor=actor or self.actor,
            created_at=self.now,
            effective_at=effective_at or self.now,
        )
        # The lots, the account and the ticket first (the entry and postings reference them);
        # then the entry and its postings as plain INSERTs: nothing reads them back here.
        await self.session.flush()
        await self.session.execute(insert(LedgerEntry), row)
        await self.session.execute(insert(Posting), postings)
        entry = LedgerEntry(**row)
        self.session.info.setdefault(POSTED, []).append(entry)
        return entry

    async def expire_lot(self, lot: Lot) -> LedgerEntry | None:
        """Move a due lot's available points to `expired`, effective at its `expires_at`."""
        assert lot.expires_at is not None and lot.expires_at <= self.now
        return await self.post(
            "expiry",
            [Move(lot, "available", "expired", lot.available)],
            effective_at=lot.expires_at,
            actor=SYSTEM_EXPIRY,
        )

    async def lots_with_points(self) -> list[Lot]:
        """The account's lots with available points, as the database has them now."""
        stmt = (
            select(Lot)
            .where(Lot.account_id == self.account.id, Lot.available > 0)
            .execution_options(populate_existing=True)
        )
        return list((await self.session.scalars(stmt)).all())

    async def persist_due_expiries(self) -> list[LedgerEntry]:
        """Write an `expiry` entry for each lot of the account whose available points are due.

        Loads every lot of the account with available points (one query); the ones left
        spendable are kept in `spendable_at_open` for a command that spends next.
        """
        lots = await self.lots_with_points()
        due = sorted(
            (lot for lot in lots if lot.expires_at is not None and lot.expires_at <= self.now),
            key=lambda lot: (lot.expires_at, lot.id),
        )
        entries = []
        for lot in due:
            entry = await self.expire_lot(lot)
            if entry is not None:
                entries.append(entry)
        self.expiries += entries
        self.spendable_at_open = [lot for lot in lots if lot.available > 0]
        return entries


async def open_account_write(session: AsyncSession, ctx: Context, account_id: str) -> AccountWriter:
    """Lock the account, read the clock once, and bring its expiries up to date."""
    account = await lock_account(session, account_id)
    now = ctx.clock.now()
    if account.ledger_at is not None and now < account.ledger_at:
        now = account.ledger_at  # an account's entries never go back in time
    writer = AccountWriter(session, account, now=now, actor=ctx.actor, return_grace=ctx.return_grace)
    await writer.persist_due_expiries()
    return writer
