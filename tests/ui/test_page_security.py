"""The pages' guards: scope (404 for another account, 403 for staff pages), CSRF on every form, the
session cookie's attributes, CSP on every page, escaping, the sign-in's single answer for a wrong
and a revoked key, its limit per client address, and sessions that end (sign-out, revocation,
8 hours)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from points_service.db import schema as t
from points_service.services.keys import RevokeKey

from conftest import Api
from support.ui import Browser, Browsers, csrf_of
from support.ui_scenario import scripted

pytestmark = pytest.mark.parametrize(
    "database_url", ["sqlite"], indirect=True
)  # the rules are the app's, not the database's

ACCOUNT_PAGES = ["", "/modifications", "/in-progress", "/closed", "/lots", "/statement.csv"]
STAFF_PAGES = {
    "/ui/accounts?q=a": ("admin", "billing", "helpdesk"),
    "/ui/expiring": ("admin", "billing", "helpdesk"),
    "/ui/idle": ("admin", "helpdesk"),
    "/ui/disputes": ("admin", "helpdesk"),
    "/ui/webhook-events": ("admin",),
    "/ui/endpoints": ("admin",),
}


async def test_a_viewer_sees_its_own_account_only(api: Api, browsers: Browsers) -> None:
    await api.account("other")
    await api.buy("other", "points-60")
    other_ticket = await api.open("other", "store-problem")
    viewer = await browsers("viewer")
    for suffix in ACCOUNT_PAGES:
        assert (await viewer.get(f"/ui/accounts/acme{suffix}")).status_code == 200, suffix
        r = await viewer.get(f"/ui/accounts/other{suffix}")
        assert r.status_code == 404 and "/problems/not-found" in r.text, suffix
        assert (await viewer.get(f"/ui/accounts/nobody{suffix}")).status_code == 404, suffix
    assert (await viewer.get(f"/ui/tickets/{other_ticket['id']}")).status_code == 404
    for page in STAFF_PAGES:
        r = await viewer.get(page)
        assert r.status_code == 403 and "/problems/forbidden" in r.text, page


async def test_staff_pages_answer_the_roles_the_api_allows(api: Api, browsers: Browsers) -> None:
    for role in ("admin", "billing", "helpdesk"):
        browser = await browsers(role)
        for page, roles in STAFF_PAGES.items():
            assert (await browser.get(page)).status_code == (200 if role in roles else 403), (role, page)


async def test_a_role_that_may_not_act_sees_no_form_and_a_forged_one_is_refused(api: Api, browsers: Browsers) -> None:
    story = await scripted(api)
    ticket_id = story["closed"][1]["id"]
    r = await api.post(f"/v1/tickets/{ticket_id}/disputes", {"reason": "too dear"}, role="viewer")
    dispute_id = r.json()["id"]
    billing = await browsers("billing")
    page = await billing.get(f"/ui/tickets/{ticket_id}")
    assert page.status_code == 200 and "/disputes" not in page.text.split("<main")[1]
    token = csrf_of(page.text)
    for path, form in (
        (f"/ui/disputes/{dispute_id}/accept", {"note": "forged"}),
        (f"/ui/disputes/{dispute_id}/reject", {"note": "forged"}),
        (f"/ui/tickets/{story['closed'][2]['id']}/disputes", {"reason": "forged"}),
    ):
        r = await billing.post(path, {"csrf_token": token, **form})
        assert r.status_code == 403 and "/problems/forbidden" in r.text, path
    assert (await api.get(f"/v1/disputes/{dispute_id}")).json()["status"] == "open"


async def test_forms_without_the_sessions_csrf_token_are_refused(api: Api, browsers: Browsers) -> None:
    story = await scripted(api)
    ticket_id = story["closed"][1]["id"]
    viewer, helpdesk = await browsers("viewer"), await browsers("helpdesk")
    others = csrf_of((await helpdesk.get("/ui/disputes")).text)  # a real token, of another session
    for token in (None, "", others, "x" * 43):
        form = {"reason": "forged"} if token is None else {"reason": "forged", "csrf_token": token}
        r = await viewer.client.post(f"/ui/tickets/{ticket_id}/disputes", data=form)
        assert r.status_code == 403 and "/problems/forbidden" in r.text
        r = await viewer.client.post("/ui/sign-out", data={} if token is None else {"csrf_token": token})
        assert r.status_code == 403
    assert (await api.get("/v1/disputes")).json()["items"] == []
    assert (await viewer.get("/ui/accounts/acme")).status_code == 200  # still signed in


async def test_the_sign_in_form_has_its_own_csrf_token(api: Api, anonymous: Browser) -> None:
    r = await anonymous.client.post("/ui/sign-in", data={"api_key": api.keys["admin"], "csrf_token": "x" * 43})
    assert r.status_code == 403 and "points_session" not in r.headers.get("set-cookie", "")


async def test_the_session_cookie(api: Api, anonymous: Browser) -> None:
    r = await anonymous.sign_in(api.keys["viewer"])
    assert (r.status_code, r.headers["location"]) == (303, "/ui/")
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("points_session="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path", "max-age", "samesite"} <= attributes and "secure" not in attributes
    assert "samesite=strict" in cookie.lower() and "path=/ui" in cookie.lower() and "max-age=28800" in cookie.lower()
    secret = cookie.split(";")[0].split("=", 1)[1]
    assert api.keys["viewer"] not in cookie
    with api.db.engine.connect() as conn:
        stored = conn.execute(select(t.ui_sessions.c.id)).scalars().all()
    assert len(stored) == 1 and secret not in stored  # only its hash is kept


async def test_the_cookie_is_secure_off_loopback(api: Api) -> None:
    async with httpx.AsyncClient(transport=api.client._transport, base_url="http://points.example.com") as client:
        form = await client.get("/ui/sign-in")  # plain http off loopback: a browser would not send it back
        assert "; secure" in form.headers["set-cookie"].lower()
    async with httpx.AsyncClient(transport=api.client._transport, base_url="https://points.example.com") as client:
        form = await client.get("/ui/sign-in")
        r = await client.post("/ui/sign-in", data={"api_key": api.keys["admin"], "csrf_token": csrf_of(form.text)})
        assert r.status_code == 303
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("points_session="))
        assert "; secure" in cookie.lower()


async def test_every_page_carries_the_content_security_policy(api: Api, browsers: Browsers) -> None:
    story = await scripted(api)
    admin, viewer = await browsers("admin"), await browsers("viewer")
    answers = [await admin.get(page) for page in [*STAFF_PAGES, "/ui/nothing-here", "/ui/static/style.css", "/ui/"]]
    answers += [await viewer.get(f"/ui/accounts/acme{suffix}") for suffix in ACCOUNT_PAGES]
    answers += [await viewer.get(f"/ui/tickets/{story['closed'][0]['id']}"), await viewer.get("/ui/endpoints")]
    async with httpx.AsyncClient(transport=api.client._transport, base_url="http://127.0.0.1") as fresh:
        answers += [await fresh.get("/ui/sign-in"), await fresh.get("/ui/accounts/acme")]
    for r in answers:
        csp = r.headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp, r.url
        assert r.headers["x-content-type-options"] == "nosniff", r.url


async def test_text_is_escaped(api: Api, browsers: Browsers) -> None:
    script = "<script>alert(1)</script>"
    r = await api.put("/v1/accounts/acme", {"display_name": script})
    assert r.status_code == 200
    await api.buy("acme", "points-60")
    ticket = await api.open("acme", "store-problem", ref="XSS-1", subject=f'"><img src=x onerror=alert(1)>{script}')
    viewer, admin = await browsers("viewer"), await browsers("admin")
    for r in (
        await viewer.get("/ui/accounts/acme"),
        await viewer.get(f"/ui/tickets/{ticket['id']}"),
        await admin.get("/ui/accounts", params={"q": "acme"}),
        await admin.get("/ui/accounts", params={"q": script}),
    ):
        assert "<script>alert(1)" not in r.text and "<img src=x" not in r.text
    page = (await viewer.get("/ui/accounts/acme")).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_a_wrong_key_and_a_revoked_key_get_the_same_answer(api: Api, anonymous: Browser) -> None:
    await api.db.write(RevokeKey(name="test-billing", now=api.clock.now()))
    wrong = await anonymous.sign_in("pts_" + "x" * 43)
    revoked = await anonymous.sign_in(api.keys["billing"])
    assert wrong.status_code == revoked.status_code == 401
    assert wrong.text == revoked.text and "points_session" not in revoked.headers.get("set-cookie", "")


async def test_sign_in_slows_down_after_repeated_failures(api: Api) -> None:
    async def attempt(address: str, key: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=api.client._transport.app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await Browser(client).sign_in(key)

    for _ in range(5):  # POINTS_UI_SIGNIN_ATTEMPTS
        assert (await attempt("10.0.0.7", "pts_wrong")).status_code == 401
    refused = await attempt("10.0.0.7", api.keys["admin"])  # even the right key, until the window passes
    assert refused.status_code == 429 and "/problems/too-many-requests" in refused.text
    assert 1 <= int(refused.headers["retry-after"]) <= 300
    assert (await attempt("10.0.0.8", api.keys["admin"])).status_code == 303  # another address


async def test_sessions_end_at_sign_out_at_revocation_and_after_eight_hours(api: Api, browsers: Browsers) -> None:
    viewer = await browsers("viewer")
    page = await viewer.get("/ui/accounts/acme")
    r = await viewer.post("/ui/sign-out", {"csrf_token": csrf_of(page.text)})
    assert (r.status_code, r.headers["location"]) == (303, "/ui/sign-in")
    r = await viewer.get("/ui/accounts/acme")
    assert (r.status_code, r.headers["location"]) == (303, "/ui/sign-in?next=%2Fui%2Faccounts%2Facme")

    helpdesk = await browsers("helpdesk")
    assert (await helpdesk.get("/ui/disputes")).status_code == 200
    await api.db.write(RevokeKey(name="test-helpdesk", now=api.clock.now()))
    assert (await helpdesk.get("/ui/disputes")).status_code == 303  # at once: no cache

    admin = await browsers("admin")
    api.clock.advance(timedelta(hours=8) - timedelta(seconds=1))
    assert (await admin.get("/ui/endpoints")).status_code == 200
    api.clock.advance(timedelta(seconds=1))
    assert (await admin.get("/ui/endpoints")).status_code == 303


async def test_sign_in_returns_to_the_page_asked_for_on_this_site_only(api: Api, anonymous: Browser) -> None:
    r = await anonymous.sign_in(api.keys["admin"], next_page="/ui/disputes")
    assert r.headers["location"] == "/ui/disputes"
    for elsewhere in ("https://evil.example/", "//evil.example/ui/", "/ui//evil.example", "/v1/accounts"):
        r = await anonymous.sign_in(api.keys["admin"], next_page=elsewhere)
        assert r.headers["location"] == "/ui/", elsewhere


async def test_the_sweep_purges_ended_sessions_only(api: Api, browsers: Browsers) -> None:
    await browsers("viewer")
    api.clock.advance(timedelta(hours=7))
    admin = await browsers("admin")
    api.clock.advance(timedelta(hours=1))  # the viewer's session has ended, the admin's has not
    r = await api.post("/v1/admin/expire")
    assert r.status_code == 200, r.text
    with api.db.engine.connect() as conn:
        left = conn.execute(select(t.ui_sessions.c.key_id)).scalars().all()
    assert left == ["key_test_admin"]
    assert (await admin.get("/ui/endpoints")).status_code == 200
