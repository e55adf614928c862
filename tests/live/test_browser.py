"""The pages in a real browser: Debian's Chromium driven by Playwright against a live
`points-service serve` on loopback, with scripting on and off.

A viewer signs in, reads the three parts with the figures the statement endpoint gives for a
scripted account, pages through its 60 closed tickets and downloads the statement as CSV; a
helpdesk agent signs in, finds the account and opens the "use them or lose them" list.

With POINTS_SCREENSHOTS=<folder>, the run also saves the screenshots of docs/ there
(`make screenshots`).
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from points_service.services.keys import CreateKey
from points_service.services.uow import Database
from points_service.settings import Settings

from support.servers import Server

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root in a container, without the sandbox; no background traffic to a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = os.environ.get("POINTS_SCREENSHOTS")
CLOSED = 60


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        await browser.close()


def viewer_key(url: str, account_id: str) -> str:
    async def main() -> str:
        db = Database.from_settings(Settings(database_url=url))
        try:
            made = await db.write(
                CreateKey(role="viewer", name=f"browser-{account_id}", account_id=account_id, now=datetime.now(UTC))
            )
            return made.secret
        finally:
            await db.dispose()

    return asyncio.run(main())


async def script(http: httpx.AsyncClient, server: Server) -> None:
    """Acme Corp: 3,000 points bought, 60 tickets resolved (the first refunded: a software bug), two
    in progress, and 30 goodwill points that expire in ten days."""

    async def ok(method: str, path: str, role: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        r = await http.request(method, path, json=body, headers=server.auth(role))
        assert r.status_code in (200, 201), r.text
        return r.json()

    await ok("PUT", "/v1/accounts/acme", "admin", {"display_name": "Acme Corp"})
    for n in range(3):
        await ok("POST", "/v1/accounts/acme/purchases", "billing", {"plan": "points-1200", "payment_id": f"p-{n}"})
    for n in range(CLOSED):
        t = await ok(
            "POST",
            "/v1/accounts/acme/tickets",
            "helpdesk",
            {"external_ref": f"C-{n:03d}", "category": "store-problem", "subject": f"Store problem {n}"},
        )
        await ok("POST", f"/v1/tickets/{t['id']}/resolve", "helpdesk", {})
        if n == 0:
            await ok("POST", f"/v1/tickets/{t['id']}/refund", "helpdesk", {"reason": "software_bug"})
    t = await ok(
        "POST",
        "/v1/accounts/acme/tickets",
        "helpdesk",
        {"external_ref": "P-1", "category": "store-problem", "subject": "Checkout is slow"},
    )
    await ok("POST", f"/v1/tickets/{t['id']}/adjust", "helpdesk", {"points": 40, "reason": "two stores, not one"})
    await ok(
        "POST",
        "/v1/accounts/acme/tickets",
        "helpdesk",
        {"external_ref": "P-2", "category": "store-problem", "subject": "Import fails"},
    )
    soon = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    await ok("POST", "/v1/accounts/acme/adjustments", "admin", {"points": 30, "reason": "goodwill", "expires_at": soon})


def number(text: str) -> int:
    return int(text.replace(",", "").replace("−", "-").strip())


async def sign_in(page: Any, base_url: str, key: str) -> None:
    await page.goto(f"{base_url}/ui/")
    assert page.url.startswith(f"{base_url}/ui/sign-in")
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()


async def shot(page: Any, name: str, *, full_page: bool = False) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        await page.set_viewport_size({"width": 1000, "height": 760})
        await page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=full_page)


@pytest.mark.parametrize("scripting", [True, False], ids=["javascript", "no-javascript"])
async def test_a_customer_and_a_helpdesk_agent_in_a_browser(
    chromium: Any, live_server: Server, database_url: str, tmp_path: Path, scripting: bool
) -> None:
    base = live_server.base_url
    async with live_server.client() as http:
        await script(http, live_server)
        statement = (
            await http.get("/v1/accounts/acme/statement", params={"limit": 20}, headers=live_server.auth("admin"))
        ).json()
        closed_api = (
            await http.get(
                "/v1/accounts/acme/tickets",
                params={"status": ["resolved", "refunded"], "limit": 100},
                headers=live_server.auth("admin"),
            )
        ).json()["items"]
    key = await asyncio.to_thread(viewer_key, database_url, "acme")

    context = await chromium.new_context(java_script_enabled=scripting, accept_downloads=True)
    page = await context.new_page()
    await sign_in(page, base, key)
    assert page.url == f"{base}/ui/accounts/acme"
    await shot(page, "customer-account", full_page=True)
    balance = statement["balance"]
    for element, figure in (("#available", "available"), ("#held", "held"), ("#deducted", "deducted")):
        assert number(await page.locator(element).inner_text()) == balance[figure]
    assert (balance["available"], balance["held"], balance["deducted"]) == (3600 + 30 - 59 * 25 - 65, 65, 59 * 25)
    deltas = [number(x) for x in await page.locator("[data-delta]").all_inner_texts()]
    assert deltas == [e["available_delta"] for e in statement["modifications"]["items"]]
    captured = [number(x) for x in await page.locator("[data-captured]").all_inner_texts()]
    assert captured == [t["captured_points"] for t in statement["in_progress"]["items"]] == [25, 40]
    expiring = await page.locator(".expiring").inner_text()
    assert "30 points" in expiring

    # Page through the closed tickets: 20 on the account page, then "Older" until the oldest.
    refs = await page.locator("section[aria-labelledby=closed-heading] td a").all_inner_texts()
    await page.get_by_role("link", name="Older closed tickets").click()
    while True:
        refs += await page.locator("main table td a").all_inner_texts()
        older = page.get_by_role("link", name="Older", exact=True)
        if await older.count() == 0:
            break
        await older.click()
    assert refs == [t["external_ref"] for t in closed_api] and len(refs) == CLOSED

    # The statement as CSV, as the browser saves it.
    await page.goto(f"{base}/ui/accounts/acme")
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Download the statement (CSV)").click()
    download = await downloading.value
    saved = tmp_path / "statement.csv"
    await download.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text())))
    assert [r["part"] for r in rows].count("closed") == CLOSED
    assert int(rows[0]["available"]) == balance["available"]
    taken = sum(int(r["points_taken"]) for r in rows if r["part"] == "closed")
    assert taken == balance["deducted"]
    await page.goto(f"{base}/ui/tickets/{closed_api[0]['id']}")
    await shot(page, "customer-ticket")
    await context.close()

    # Helpdesk: find the account, then the "use them or lose them" list.
    context = await chromium.new_context(java_script_enabled=scripting)
    page = await context.new_page()
    await sign_in(page, base, live_server.keys["helpdesk"])
    assert page.url == f"{base}/ui/accounts"
    await page.get_by_label("Account id or name").fill("acme")
    await page.get_by_role("button", name="Find").click()
    await page.wait_for_load_state()
    assert page.url == f"{base}/ui/accounts/acme"
    assert number(await page.locator("#available").inner_text()) == balance["available"]
    await page.get_by_role("link", name="Use them or lose them").click()
    await page.wait_for_load_state()
    row = page.locator("main table tbody tr", has_text="acme")
    assert await row.count() == 1 and "30" in await row.inner_text()
    await shot(page, "staff-expiring")
    await page.get_by_role("link", name="Idle tickets").click()
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_load_state()
    assert page.url.startswith(f"{base}/ui/sign-in")
    await context.close()
