"""The pages show what the API answers: the three parts with the statement's figures, each part
paged, the lots, a ticket, the CSV download, and staff's lists and actions (both databases)."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from typing import Any

from points_service.api.pagination import encode_cursor, scope_of
from points_service.services.dispatch import Dispatcher
from points_service.services.keys import CreateKey, RevokeKey
from points_service.services.sessions import StartSession

from conftest import Api
from support.times import T0
from support.ui import TICKET_LINK, Browsers, captured, csrf_of, deltas, figure, older, taken
from support.ui_scenario import scripted


async def statement(api: Api, account_id: str = "acme") -> dict[str, Any]:
    r = await api.get(f"/v1/accounts/{account_id}/statement", params={"limit": 20})
    assert r.status_code == 200, r.text
    return r.json()


async def test_the_three_parts_show_the_statements_figures(api: Api, browsers: Browsers) -> None:
    await scripted(api)
    st = await statement(api)
    for role in ("viewer", "helpdesk"):
        html = (await (await browsers(role)).get("/ui/accounts/acme")).text
        bal = st["balance"]
        assert (figure(html, "available"), figure(html, "held"), figure(html, "deducted")) == (
            bal["available"],
            bal["held"],
            bal["deducted"],
        )
        assert deltas(html) == [e["available_delta"] for e in st["modifications"]["items"]]
        assert captured(html) == [t["captured_points"] for t in st["in_progress"]["items"]]
        assert taken(html) == [t["charged_points"] - t["returned_points"] for t in st["closed"]["items"]]
    # The scripted figures, by hand: 1,500 bought; 3 × 25 charged, 25 refunded; 40 + 25 held; 15 written off.
    assert (st["balance"]["available"], st["balance"]["held"], st["balance"]["deducted"]) == (1370, 65, 50)
    assert [t["captured_points"] for t in st["in_progress"]["items"]] == [25, 40]
    assert [t["charged_points"] - t["returned_points"] for t in st["closed"]["items"]] == [25, 25, 0]


async def test_closed_tickets_page_through_sixty(api: Api, browsers: Browsers) -> None:
    await scripted(api, closed=60)
    viewer = await browsers("viewer")
    html = (await viewer.get("/ui/accounts/acme")).text
    seen = TICKET_LINK.findall(html.split('id="closed-heading"')[1])
    address = older(html.split('id="closed-heading"')[1])
    pages = 1
    while address:
        r = await viewer.get(address)
        assert r.status_code == 200, r.text
        seen += TICKET_LINK.findall(r.text)
        address = older(r.text)
        pages += 1
    r = await api.get("/v1/accounts/acme/tickets", params={"status": ["resolved", "refunded"], "limit": 100})
    assert seen == [t["id"] for t in r.json()["items"]]
    assert (len(seen), pages) == (60, 3)


async def test_modifications_and_tickets_in_progress_page_as_the_api_does(api: Api, browsers: Browsers) -> None:
    await api.account("acme")
    for _ in range(25):
        await api.buy("acme", "points-60")
    for n in range(22):
        await api.open("acme", "store-problem", ref=f"O-{n}")
    viewer = await browsers("viewer")
    html = (await viewer.get("/ui/accounts/acme")).text
    mods = html.split('id="modifications-heading"')[1].split('id="in-progress-heading"')[0]
    r = await viewer.get(older(mods) or "")
    assert len(deltas(mods)) + len(deltas(r.text)) == 25 and older(r.text) is None
    progress = html.split('id="in-progress-heading"')[1].split('id="closed-heading"')[0]
    r = await viewer.get(older(progress) or "")
    assert len(captured(progress)) + len(captured(r.text)) == 22 and older(r.text) is None


async def test_the_csv_download_holds_the_whole_statement(api: Api, browsers: Browsers) -> None:
    await scripted(api, closed=30)
    r = await (await browsers("viewer")).get("/ui/accounts/acme/statement.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith('attachment; filename="statement-acme-')
    rows = list(csv.DictReader(io.StringIO(r.text)))
    parts = [row["part"] for row in rows]
    assert parts.count("balance") == 1 and parts.count("closed") == 30 and parts.count("in_progress") == 2
    bal = (await statement(api))["balance"]
    assert (rows[0]["available"], rows[0]["held"], rows[0]["deducted"]) == tuple(
        str(bal[k]) for k in ("available", "held", "deducted")
    )
    ledger = await api.get("/v1/accounts/acme/ledger", params={"view": "modifications"})
    modifications = [int(row["points"]) for row in rows if row["part"] == "modification"]
    assert modifications == [e["available_delta"] for e in ledger.json()["items"]]
    closed = [(row["external_ref"], int(row["points_taken"])) for row in rows if row["part"] == "closed"]
    assert closed[-1] == ("C-000", 0) and sum(p for _, p in closed) == 29 * 25


async def test_lots_show_their_expiry_in_consumption_order(api: Api, browsers: Browsers) -> None:
    await api.account("acme")
    await api.buy("acme", "points-120")
    api.clock.advance(timedelta(days=30))
    await api.buy("acme", "points-60")
    r = await (await browsers("viewer")).get("/ui/accounts/acme/lots")
    assert r.status_code == 200
    lots = (await api.get("/v1/accounts/acme/lots")).json()["items"]
    expiries = [lot["expires_at"][:10] for lot in lots]
    assert [r.text.index(f'datetime="{lot["expires_at"].replace("+00:00", "Z")}"') for lot in lots] == sorted(
        r.text.index(f'datetime="{lot["expires_at"].replace("+00:00", "Z")}"') for lot in lots
    )
    assert all(day in r.text for day in expiries)


async def test_a_viewer_disputes_a_charge_and_the_helpdesk_accepts_it(api: Api, browsers: Browsers) -> None:
    story = await scripted(api)
    ticket_id = story["closed"][1]["id"]
    viewer, helpdesk = await browsers("viewer"), await browsers("helpdesk")
    page = await viewer.get(f"/ui/tickets/{ticket_id}")
    assert "Dispute this charge" in page.text
    r = await viewer.post(
        f"/ui/tickets/{ticket_id}/disputes",
        {"csrf_token": csrf_of(page.text), "reason": "it still fails", "points": "10"},
    )
    assert (r.status_code, r.headers["location"]) == (303, f"/ui/tickets/{ticket_id}?done=disputed")
    after = await viewer.get(r.headers["location"])
    assert "Your dispute was sent" in after.text and "Dispute this charge" not in after.text
    queue = await helpdesk.get("/ui/disputes")
    assert "it still fails" in queue.text
    dispute_id = (await api.get("/v1/disputes", params={"status": "open"})).json()["items"][0]["id"]
    before = figure((await viewer.get("/ui/accounts/acme")).text, "available")
    r = await helpdesk.post(
        f"/ui/disputes/{dispute_id}/accept", {"csrf_token": csrf_of(queue.text), "note": "agreed", "points": ""}
    )
    assert (r.status_code, r.headers["location"]) == (303, "/ui/disputes?done=accepted")
    assert (await api.get(f"/v1/disputes/{dispute_id}")).json()["points_credited"] == 10
    assert figure((await viewer.get("/ui/accounts/acme")).text, "available") == before + 10
    history = (await viewer.get(f"/ui/tickets/{ticket_id}")).text
    assert "<td>credited</td>" in history and f"<td>dispute {dispute_id}</td>" in history


async def test_a_dispute_refused_by_the_rules_is_a_page_with_the_problem_type(api: Api, browsers: Browsers) -> None:
    story = await scripted(api)
    viewer = await browsers("viewer")
    open_ticket = story["in_progress"][0]["id"]
    page = await viewer.get(f"/ui/tickets/{open_ticket}")
    assert "Dispute this charge" not in page.text  # not resolved: no form
    r = await viewer.post(
        f"/ui/tickets/{open_ticket}/disputes", {"csrf_token": csrf_of(page.text), "reason": "forged anyway"}
    )
    assert r.status_code == 409 and "/problems/invalid-state" in r.text
    assert r.headers["content-type"].startswith("text/html")
    r = await viewer.post(
        f"/ui/tickets/{story['closed'][1]['id']}/disputes", {"csrf_token": csrf_of(page.text), "reason": ""}
    )
    assert r.status_code == 422 and "/problems/validation-error" in r.text


async def test_the_helpdesk_rejects_a_dispute(api: Api, browsers: Browsers) -> None:
    story = await scripted(api)
    ticket_id = story["closed"][2]["id"]
    r = await api.post(f"/v1/tickets/{ticket_id}/disputes", {"reason": "too dear"}, role="viewer")
    assert r.status_code == 201, r.text
    admin = await browsers("admin")
    queue = await admin.get("/ui/disputes")
    r = await admin.post(
        f"/ui/disputes/{r.json()['id']}/reject", {"csrf_token": csrf_of(queue.text), "note": "worked as billed"}
    )
    assert r.status_code == 303
    assert "No dispute is open" in (await admin.get("/ui/disputes")).text
    history = (await (await browsers("viewer")).get(f"/ui/tickets/{ticket_id}")).text
    assert "dispute rejected" in history and "worked as billed" in history


async def test_staff_find_an_account(api: Api, browsers: Browsers) -> None:
    await api.account("acme")
    r = await api.put("/v1/accounts/globex-7", {"display_name": "Globex Corporation"})
    assert r.status_code == 201
    billing = await browsers("billing")
    r = await billing.get("/ui/accounts", params={"q": "globex-7"})
    assert (r.status_code, r.headers["location"]) == (303, "/ui/accounts/globex-7")
    r = await billing.get("/ui/accounts", params={"q": "CORPOR"})
    assert 'href="/ui/accounts/globex-7"' in r.text and 'href="/ui/accounts/acme"' not in r.text
    r = await billing.get("/ui/accounts", params={"q": "100%_"})
    assert "No account matches" in r.text


async def test_use_them_or_lose_them_and_idle_tickets(api: Api, browsers: Browsers) -> None:
    await api.account("acme")
    await api.buy("acme", "points-120")
    ticket = await api.open("acme", "store-problem", ref="STUCK-1")
    api.clock.advance(timedelta(days=700))  # the pack expires at day 730: within 30 days now
    helpdesk = await browsers("helpdesk")
    r = await helpdesk.get("/ui/expiring", params={"days": 60})
    assert 'href="/ui/accounts/acme"' in r.text and ">95<" in r.text
    assert "No points expire" in (await helpdesk.get("/ui/expiring", params={"days": 5})).text
    r = await helpdesk.get("/ui/idle", params={"days": 14})
    assert f'href="/ui/tickets/{ticket["id"]}"' in r.text


async def test_webhook_events_to_review_and_endpoints_with_their_failures(api: Api, browsers: Browsers) -> None:
    await api.account("acme")
    r = await api.post(
        "/v1/webhook-endpoints",
        {"url": "http://127.0.0.1:9/points", "event_types": ["*"], "description": "CRM <sync>"},
    )
    assert r.status_code == 201, r.text
    endpoint_id = r.json()["id"]
    await api.buy("acme", "points-60")
    dispatcher = Dispatcher(api.db.engine, api.clock, allow_private=True, timeout=1.0)
    assert await asyncio.to_thread(dispatcher.run_once) >= 1  # nothing listens on port 9: refused
    admin = await browsers("admin")
    page = await admin.get("/ui/endpoints")
    assert "CRM &lt;sync&gt;" in page.text and "http://127.0.0.1:9/points" in page.text
    r = await admin.get(f"/ui/endpoints/{endpoint_id}")
    assert r.status_code == 200 and 'class="failed"' in r.text
    assert (await admin.get("/ui/endpoints/whk_missing")).status_code == 404
    assert "Nothing to review" in (await admin.get("/ui/webhook-events")).text


async def test_a_ticket_page_shows_its_history(api: Api, browsers: Browsers) -> None:
    story = await scripted(api)
    r = await (await browsers("viewer")).get(f"/ui/tickets/{story['in_progress'][0]['id']}")
    assert r.status_code == 200
    assert "more work than thought" in r.text and ">opened<" in r.text and ">adjusted<" in r.text


async def test_a_form_with_points_that_are_not_a_whole_number_changes_nothing(api: Api, browsers: Browsers) -> None:
    story = await scripted(api)
    ticket_id = story["closed"][2]["id"]
    r = await api.post(f"/v1/tickets/{ticket_id}/disputes", {"reason": "too dear"}, role="viewer")
    dispute_id = r.json()["id"]
    helpdesk = await browsers("helpdesk")
    token = csrf_of((await helpdesk.get("/ui/disputes")).text)
    for points in ("abc", "-5", "1e3", "٣", "0", "9" * 30):
        r = await helpdesk.post(
            f"/ui/disputes/{dispute_id}/accept", {"csrf_token": token, "note": "ok", "points": points}
        )
        assert r.status_code == 422 and "/problems/validation-error" in r.text, points
    assert (await api.get(f"/v1/disputes/{dispute_id}")).json()["status"] == "open"


async def test_nul_in_a_search_or_a_crafted_cursor_is_no_500(api: Api, browsers: Browsers) -> None:
    admin = await browsers("admin")
    r = await admin.get("/ui/accounts", params={"q": "a\x00b"})
    assert r.status_code == 200 and "No account matches" in r.text
    cursor = encode_cursor(scope_of("ui-closed", account_id="acme"), [T0.isoformat(), "a\x00b"])
    r = await admin.get("/ui/accounts/acme/closed", params={"cursor": cursor})
    assert r.status_code == 422 and "/problems/validation-error" in r.text


async def test_a_session_starts_only_for_a_key_still_unrevoked(api: Api) -> None:
    """Sign-in finds the key by its secret, then starts the session in a statement that checks the
    key again (a revocation may come in between): on both databases, no session for a key revoked
    by then (the statement's answer tells; PostgreSQL's row count could not)."""
    now = api.clock.now()
    await api.db.write(CreateKey(role="helpdesk", name="ui-race", now=now))
    (started,) = await api.db.write(StartSession(key_name="ui-race", now=now))
    assert started is not None
    await api.db.write(RevokeKey(name="ui-race", now=now))
    (started,) = await api.db.write(StartSession(key_name="ui-race", now=now))
    assert started is None
