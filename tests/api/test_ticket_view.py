"""The ticket view read by one statement (`queries.ticket_detail`).

Each ticket reads as the three statements apart read it (the ticket; its allocations by sequence;
its history by version), whatever its story: in progress, adjusted both ways over two lots,
resolved, refunded, credited, waiting for points. Another ticket's rows stay out, and
`GET /v1/tickets/{id}` sends that one statement outside any transaction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, bindparam, event, select

from points_service.db import schema as t
from points_service.db.records import SELECT, Allocation, Ticket, TicketEvent
from points_service.domain.errors import NotFoundError
from points_service.services import queries
from points_service.services.tickets import TicketView

from conftest import Api
from support.ui_scenario import scripted

_TICKET = SELECT[Ticket].where(t.tickets.c.id == bindparam("id"))
_ALLOCATIONS = (
    SELECT[Allocation].where(t.ticket_allocations.c.ticket_id == bindparam("id")).order_by(t.ticket_allocations.c.seq)
)
_HISTORY = SELECT[TicketEvent].where(t.ticket_events.c.ticket_id == bindparam("id")).order_by(t.ticket_events.c.version)


def _apart(conn: Connection, ticket_id: str) -> TicketView:
    params = {"id": ticket_id}
    (ticket,) = conn.execute(_TICKET, params).all()
    return TicketView(
        Ticket(*ticket),  # type: ignore[arg-type]
        [Allocation(*row) for row in conn.execute(_ALLOCATIONS, params)],  # type: ignore[arg-type]
        [TicketEvent(*row) for row in conn.execute(_HISTORY, params)],  # type: ignore[arg-type]
    )


async def _tickets_with_every_story(api: Api) -> None:
    await scripted(api, "acme", closed=4)  # resolved, one refunded, two in progress (one adjusted)
    await scripted(api, "globex", closed=2)
    await api.account("split")
    for _ in range(3):  # three lots of 60: a ticket of 100 points takes two of them
        await api.buy("split", "points-60")
        api.clock.advance(timedelta(minutes=1))
    spread = await api.open("split", "other", ref="S-1", estimated_points=30)
    for points in (100, 70, 110):
        r = await api.post(f"/v1/tickets/{spread['id']}/adjust", {"points": points, "reason": "r"}, role="helpdesk")
        assert r.status_code == 200, r.text
    r = await api.post(f"/v1/tickets/{spread['id']}/resolve", {}, role="helpdesk")
    assert r.status_code == 200, r.text
    r = await api.post(f"/v1/tickets/{spread['id']}/credit", {"points": 20, "reason": "goodwill"}, role="helpdesk")
    assert r.status_code == 200, r.text
    body = {"external_ref": "W-1", "category": "other", "estimated_points": 5000, "when_insufficient": "wait"}
    r = await api.post("/v1/accounts/split/tickets", body, role="helpdesk")
    assert r.status_code == 202 and r.json()["status"] == "awaiting_points", r.text


async def test_each_ticket_reads_as_its_three_statements_apart(api: Api) -> None:
    await _tickets_with_every_story(api)
    with api.db.engine.connect() as conn:
        ids = list(conn.execute(select(t.tickets.c.id)).scalars())
        views = {ticket_id: queries.ticket_detail(conn, ticket_id) for ticket_id in ids}
        for ticket_id, view in views.items():
            assert view == _apart(conn, ticket_id), ticket_id
    assert len(views) == 12
    assert {view.ticket.status for view in views.values()} == {"open", "resolved", "refunded", "awaiting_points"}
    spread = next(view for view in views.values() if view.ticket.external_ref == "S-1")
    assert [a.seq for a in spread.allocations] == list(range(1, len(spread.allocations) + 1))
    assert len({a.lot_id for a in spread.allocations}) == 2 and spread.ticket.returned_points == 20
    assert [e.version for e in spread.history] == list(range(1, 7))  # opened, adjusted ×3, resolved, credited
    waiting = next(view for view in views.values() if view.ticket.external_ref == "W-1")
    assert waiting.allocations == [] and len(waiting.history) == 1


async def test_an_unknown_ticket_is_not_found(api: Api) -> None:
    await scripted(api, "acme", closed=1)
    with api.db.engine.connect() as conn, pytest.raises(NotFoundError):
        queries.ticket_detail(conn, "01NOSUCHTICKET0000000000000")


async def test_get_ticket_sends_one_statement_outside_any_transaction(api: Api) -> None:
    story = await scripted(api, "acme", closed=1)
    ticket_id = story["in_progress"][0]["id"]  # adjusted: two history rows
    sent: list[tuple[str, bool]] = []

    def record(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM api_keys" not in statement:  # the caller's key, if it is not cached yet
            driver = conn.connection.driver_connection  # sqlite3's or psycopg's connection
            in_transaction = (
                driver.in_transaction if hasattr(driver, "in_transaction") else driver.info.transaction_status
            )
            sent.append((statement, bool(in_transaction)))  # psycopg: IDLE is 0

    event.listen(api.db.engine, "before_cursor_execute", record)
    try:
        r = await api.get(f"/v1/tickets/{ticket_id}")
    finally:
        event.remove(api.db.engine, "before_cursor_execute", record)
    assert r.status_code == 200, r.text
    assert [h["action"] for h in r.json()["history"]] == ["opened", "adjusted"]
    # The ticket's owner is known since the adjust (a ticket never changes account): one statement
    # reads the ticket with its allocations and history, without BEGIN.
    assert [(sql.split(None, 1)[0], in_transaction) for sql, in_transaction in sent] == [("SELECT", False)], sent
    assert all(f"FROM {table}" in sent[0][0] for table in ("tickets", "ticket_allocations", "ticket_events"))
