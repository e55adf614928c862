"""The ledger check: recompute every balance from the ledger and the lots, and compare.

Per account: entry seqs are gapless; each entry's balances-after equal the running sum of its
deltas; the last balances equal the stored counters; every lot's states sum to its points and
equal what its postings say; lot states sum to the account's balances; open tickets' held
allocations equal their captured points; closed tickets' charged minus returned points sum to the
account's deducted; waiting tickets hold nothing, and their count and points are the account's
`awaiting_count` and `awaiting_points`; a closed ticket's span class (as-of reads find the tickets
in progress at an instant by it) is that of its opening and closing times, and a lot holding no
points emptied (its newest posting out of available or held that left it none) when it says, with
the class of how long it had held points; the points each dispute credited (`points_credited`, none
unless accepted) are those its linked entries (`dispute_id`) gave back, on its ticket.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from ..db import schema as t
from ..db.records import SELECT, Account, Lot, Ticket
from ..db.schema import LOT_STATES
from ..domain.lots import HOLDING
from ..domain.spans import span_class

BALANCES = ("available", "held", "deducted")


@dataclass
class Mismatch:
    account_id: str
    check: str
    expected: Any
    found: Any


@dataclass
class Report:
    checked_accounts: int = 0
    checked_lots: int = 0
    disagreements: list[Mismatch] = field(default_factory=list)
    next_account: str | None = None  # a paged check (`limit`): the last account of this page, if more follow

    @property
    def ok(self) -> bool:
        return not self.disagreements


def verify(
    conn: Connection, *, account_id: str | None = None, after_account: str | None = None, limit: int | None = None
) -> Report:
    """Run in one snapshot (`Database.read`), so every figure is of the same instant. The whole
    database; or one account (`account_id`); or a page of `limit` accounts by id, those after
    `after_account` (a range of ids, so each statement reads index ranges of that many accounts only)."""
    report = Report()
    bounds: tuple[str, str] | None = None
    if limit is not None:
        page = select(t.accounts.c.id).where(t.accounts.c.id > (after_account or "")).order_by(t.accounts.c.id)
        page_ids: list[str] = list(conn.execute(page.limit(limit + 1)).scalars())
        if not page_ids:
            return report
        bounds = (page_ids[0], page_ids[:limit][-1])
        report.next_account = bounds[1] if len(page_ids) > limit else None

    def scoped(stmt: Any, column: Any) -> Any:
        if account_id is not None:
            return stmt.where(column == account_id)
        if bounds is not None:
            return stmt.where(column.between(*bounds))
        return stmt

    bad = report.disagreements.append
    entries, postings, allocations = t.ledger_entries.c, t.postings.c, t.ticket_allocations.c
    accounts = [
        Account(*row)  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
        for row in conn.execute(scoped(SELECT[Account], t.accounts.c.id).order_by(t.accounts.c.id))
    ]

    running: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BALANCES, 0))
    seqs: dict[str, list[int]] = defaultdict(list)
    linked: dict[str, tuple[str, set[str], list[int]]] = {}  # dispute → account, tickets, points given back
    entry_rows = conn.execute(
        scoped(
            select(
                entries.account_id,
                entries.seq,
                entries.available_delta,
                entries.held_delta,
                entries.deducted_delta,
                entries.available_after,
                entries.held_after,
                entries.deducted_after,
                entries.ticket_id,
                entries.dispute_id,
            ),
            entries.account_id,
        ).order_by(entries.account_id, entries.seq)
    )
    for row in entry_rows:
        if row.dispute_id is not None:  # a dispute's credit: `deducted` points given back
            _, tickets, given = linked.setdefault(row.dispute_id, (row.account_id, set(), [0]))
            tickets.add(row.ticket_id)
            given[0] -= row.deducted_delta
        sums = running[row.account_id]
        sums["available"] += row.available_delta
        sums["held"] += row.held_delta
        sums["deducted"] += row.deducted_delta
        seqs[row.account_id].append(row.seq)
        after = {"available": row.available_after, "held": row.held_after, "deducted": row.deducted_after}
        if after != sums:
            bad(Mismatch(row.account_id, f"entry {row.seq} balances after", dict(sums), after))
            sums.update(after)

    posted: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(("points", *LOT_STATES), 0))
    posting_rows = conn.execute(
        scoped(
            select(
                postings.lot_id,
                postings.from_state,
                postings.to_state,
                func.sum(postings.points).label("points"),
                # the newest of them to leave the lot holding nothing (`Lot.emptied_at`)
                func.max(
                    case((and_(postings.available_after == 0, postings.held_after == 0), entries.created_at))
                ).label("emptied_at"),
            )
            .join(t.ledger_entries, entries.id == postings.entry_id)
            .group_by(postings.lot_id, postings.from_state, postings.to_state),
            entries.account_id,
        )
    )
    emptied: dict[str, datetime] = {}  # when each lot last stopped holding points
    for row in posting_rows:
        if row.from_state in HOLDING and row.to_state not in HOLDING and row.emptied_at is not None:
            emptied[row.lot_id] = max(row.emptied_at, emptied.get(row.lot_id, row.emptied_at))
        states = posted[row.lot_id]
        if row.from_state is None:  # the lot was created
            states["points"] += row.points
        else:
            states[row.from_state] -= row.points
        states[row.to_state] += row.points

    lot_sums: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BALANCES, 0))
    for lot in (Lot(*row) for row in conn.execute(scoped(SELECT[Lot], t.lots.c.account_id))):  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
        report.checked_lots += 1
        stored = {"points": lot.points, **{s: getattr(lot, s) for s in LOT_STATES}}
        if sum(stored[s] for s in LOT_STATES) != lot.points:
            bad(
                Mismatch(
                    lot.account_id, f"lot {lot.id} states sum to points", lot.points, sum(stored[s] for s in LOT_STATES)
                )
            )
        if lot.available == 0 and lot.held == 0 and lot.id in emptied:
            at = emptied[lot.id]
            cls = span_class(lot.created_at, at)
            if (lot.emptied_at, lot.emptied_class) != (at, cls):
                stands = [lot.emptied_at and lot.emptied_at.isoformat(), lot.emptied_class]
                bad(Mismatch(lot.account_id, f"lot {lot.id} emptied at and class", [at.isoformat(), cls], stands))
        if posted.get(lot.id) != stored:
            bad(Mismatch(lot.account_id, f"lot {lot.id} states match postings", dict(posted.get(lot.id, {})), stored))
        for s in BALANCES:
            lot_sums[lot.account_id][s] += getattr(lot, s)

    held_by_ticket: dict[str, int] = {  # noqa: C416  # dict(result) fails: a Result has keys(), so dict() reads it as a mapping
        ticket_id: held  # type: ignore[misc]  # mypy takes a Row's items as object (records.SELECT)
        for ticket_id, held in conn.execute(
            scoped(
                select(allocations.ticket_id, func.sum(allocations.held))
                .join(t.tickets, t.tickets.c.id == allocations.ticket_id)
                .group_by(allocations.ticket_id),
                t.tickets.c.account_id,
            )
        )
    }
    ticket_sums: dict[str, dict[str, int]] = defaultdict(lambda: {"held": 0, "deducted": 0, "waiting": 0, "for": 0})
    for ticket in (Ticket(*row) for row in conn.execute(scoped(SELECT[Ticket], t.tickets.c.account_id))):  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
        held = held_by_ticket.get(ticket.id) or 0
        span = None if ticket.closed_at is None else span_class(ticket.opened_at, ticket.closed_at)
        if ticket.span_class != span:
            bad(Mismatch(ticket.account_id, f"ticket {ticket.id} span class", span, ticket.span_class))
        if ticket.status == "open":
            ticket_sums[ticket.account_id]["held"] += ticket.captured_points
            if held != ticket.captured_points:
                bad(Mismatch(ticket.account_id, f"ticket {ticket.id} held allocations", ticket.captured_points, held))
        elif ticket.status == "awaiting_points":
            ticket_sums[ticket.account_id]["waiting"] += 1
            ticket_sums[ticket.account_id]["for"] += ticket.estimated_points
            if held or ticket.captured_points or ticket.charged_points:
                bad(Mismatch(ticket.account_id, f"waiting ticket {ticket.id} holds nothing", 0, held))
        else:
            ticket_sums[ticket.account_id]["deducted"] += ticket.charged_points - ticket.returned_points

    disputes = t.disputes.c
    dispute_rows = conn.execute(
        scoped(
            select(disputes.id, disputes.account_id, disputes.ticket_id, disputes.points_credited), disputes.account_id
        )
    )
    for row in dispute_rows:
        _, tickets, given = linked.pop(row.id, (row.account_id, {row.ticket_id}, [0]))
        expected = {"tickets": [row.ticket_id], "points": row.points_credited or 0}
        found = {"tickets": sorted(tickets), "points": given[0]}
        if found != expected:
            bad(Mismatch(row.account_id, f"dispute {row.id} credited by its linked entries", expected, found))
    for dispute_id, (entry_account, tickets, given) in sorted(linked.items()):  # a dispute of another account
        found = {"tickets": sorted(tickets), "points": given[0]}
        bad(Mismatch(entry_account, f"dispute {dispute_id} credited by its linked entries", None, found))

    for account in accounts:
        report.checked_accounts += 1
        counters = {s: getattr(account, s) for s in BALANCES}
        ids = seqs.get(account.id, [])
        if ids != list(range(1, len(ids) + 1)) or account.last_seq != len(ids):
            bad(Mismatch(account.id, "entry seqs gapless", len(ids), account.last_seq))
        if dict(running[account.id]) != counters:
            bad(Mismatch(account.id, "entries sum to counters", dict(running[account.id]), counters))
        if dict(lot_sums[account.id]) != counters:
            bad(Mismatch(account.id, "lot states sum to balances", dict(lot_sums[account.id]), counters))
        if ticket_sums[account.id]["held"] != account.held:
            bad(
                Mismatch(
                    account.id,
                    "open tickets' captured points sum to held",
                    account.held,
                    ticket_sums[account.id]["held"],
                )
            )
        waiting = (ticket_sums[account.id]["waiting"], ticket_sums[account.id]["for"])
        if waiting != (account.awaiting_count, account.awaiting_points):
            bad(
                Mismatch(
                    account.id,
                    "waiting tickets match awaiting_count and awaiting_points",
                    [account.awaiting_count, account.awaiting_points],
                    list(waiting),
                )
            )
        if ticket_sums[account.id]["deducted"] != account.deducted:
            bad(
                Mismatch(
                    account.id,
                    "closed tickets' charged minus returned sum to deducted",
                    account.deducted,
                    ticket_sums[account.id]["deducted"],
                )
            )
    return report
