"""What the access checks remember (`deps.Owners`): a ticket opened over the API is known to its
account from its answer on, so its adjusts, resolves and reads do not look the account up; only
what was committed is remembered; a full memory forgets its oldest facts first.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from points_service.api.deps import Owners
from points_service.services import tickets
from points_service.services.context import Context
from points_service.services.uow import Database

from conftest import Api, statements_sent, ticket_owner_lookups


async def _funded(api: Api) -> None:
    await api.account("acme")
    await api.buy("acme", "points-300")


async def test_a_ticket_opened_over_the_api_is_adjusted_resolved_and_read_without_looking_its_account_up(
    api: Api,
) -> None:
    await _funded(api)
    ticket = await api.open("acme", "other", estimated_points=30)
    with statements_sent(api.db) as sent:
        r = await api.post(f"/v1/tickets/{ticket['id']}/adjust", {"points": 40, "reason": "r"}, role="helpdesk")
        assert r.status_code == 200, r.text
        r = await api.post(f"/v1/tickets/{ticket['id']}/resolve", {}, role="helpdesk")
        assert r.status_code == 200, r.text
        r = await api.get(f"/v1/tickets/{ticket['id']}")
        assert r.status_code == 200 and r.json()["status"] == "resolved", r.text
    assert ticket_owner_lookups(sent) == [], sent


async def test_a_ticket_opened_elsewhere_is_looked_up_once(api: Api) -> None:
    """The control: a ticket this process did not open over the API (another replica's; here one
    written in-process) costs one look-up, at its first request, and none after."""
    await _funded(api)
    ctx = Context(actor="elsewhere", role="helpdesk", clock=api.clock, return_grace=timedelta(days=30))
    opened = tickets.OpenTicket(ctx=ctx, account_id="acme", external_ref="E-1", category="other", estimated_points=30)
    ticket = (await api.db.write(opened)).ticket
    with statements_sent(api.db) as sent:
        for points in (40, 50):
            r = await api.post(f"/v1/tickets/{ticket.id}/adjust", {"points": points, "reason": "r"}, role="helpdesk")
            assert r.status_code == 200, r.text
    assert len(ticket_owner_lookups(sent)) == 1, sent


async def test_only_the_ticket_of_the_attempt_that_committed_is_remembered(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With an Idempotency-Key the answer is made in the batch, at each attempt. A batch whose
    COMMIT is refused as busy is redone whole: the open is applied again, under a new ticket id.
    The rolled-back attempt's id is never remembered (asking for it looks it up, and finds
    nothing); the answered ticket is."""
    await _funded(api)
    made: list[str] = []
    real_new_id = tickets.new_id

    def new_id(prefix: str) -> str:
        made.append(real_new_id(prefix))
        return made[-1]

    real_commit = Database._commit
    refused: list[bool] = []

    def commit(self: Database, conn: Connection) -> None:
        if not refused:
            refused.append(True)
            conn.exec_driver_sql("ROLLBACK")
            raise OperationalError("COMMIT", {}, Exception("database is locked"))
        real_commit(self, conn)

    monkeypatch.setattr(tickets, "new_id", new_id)
    monkeypatch.setattr(Database, "_commit", commit)
    body = {"external_ref": "R-1", "category": "other", "estimated_points": 30}
    r = await api.post("/v1/accounts/acme/tickets", body, role="helpdesk", headers={"Idempotency-Key": "open-r-1"})
    assert r.status_code == 201, r.text
    answered = r.json()["id"]
    opened = [i for i in made if i.startswith("tkt_")]
    assert refused and len(opened) == 2 and opened[1] == answered, opened
    with statements_sent(api.db) as sent:
        r = await api.get(f"/v1/tickets/{opened[0]}")
        assert r.status_code == 404, r.text
        assert len(ticket_owner_lookups(sent)) == 1, "the rolled-back attempt's ticket must not be remembered"
        r = await api.get(f"/v1/tickets/{answered}")
        assert r.status_code == 200, r.text
    assert len(ticket_owner_lookups(sent)) == 1, "the answered ticket is remembered"


def test_a_full_memory_forgets_its_oldest_quarter(monkeypatch: pytest.MonkeyPatch) -> None:
    owners = Owners()
    monkeypatch.setattr(Owners, "LIMIT", 8)
    for n in range(10):
        owners.learn(Owners.TICKET, f"tkt_{n}", "acme")
    # Full at the ninth: the two oldest went; the tenth fitted.
    assert [ident for _, ident in owners._known] == [f"tkt_{n}" for n in range(2, 10)]
