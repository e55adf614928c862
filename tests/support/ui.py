"""The pages in tests: a browser-like client over ASGI, and reading figures back out of the HTML
(the markers the templates set for this)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from conftest import Api

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@dataclass
class Browser:
    """An httpx client that keeps cookies, as a browser on loopback (so cookies are not Secure)."""

    client: httpx.AsyncClient

    async def sign_in(self, key: str, next_page: str = "/ui/") -> httpx.Response:
        form = await self.client.get("/ui/sign-in")
        token = csrf_of(form.text)
        return await self.client.post(
            "/ui/sign-in", data={"api_key": key, "csrf_token": token, "next": next_page}, follow_redirects=False
        )

    async def get(self, path: str, **kwargs: object) -> httpx.Response:
        return await self.client.get(path, **kwargs)

    async def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return await self.client.post(path, data=data, follow_redirects=False)


class Browsers:
    """Browsers signed in on demand, one per role (`await browsers("viewer")`): signing in after
    the scenario has moved the clock, so the session is fresh at the test's "now"."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.clients: list[httpx.AsyncClient] = []

    async def __call__(self, role: str) -> Browser:
        client = httpx.AsyncClient(transport=self.api.client._transport, base_url="http://127.0.0.1")
        self.clients.append(client)
        browser = Browser(client)
        r = await browser.sign_in(self.api.keys[role])
        assert r.status_code == 303, r.text
        return browser


DELTA = re.compile(r"<td class=\"num\" data-delta>([^<]+)</td>")
CAPTURED = re.compile(r"<td class=\"num\" data-captured>([^<]+)</td>")
TAKEN = re.compile(r"<td class=\"num\" data-points-taken>([^<]+)</td>")
TICKET_LINK = re.compile(r'<a href="/ui/tickets/([^"]+)">')
OLDER = re.compile(r'<a (?:rel="next" )?href="([^"]+)">Older')


def number(text: str) -> int:
    """A figure as a page prints it: thousands separators, a real minus sign."""
    text = text.replace(",", "").replace("−", "-").strip()
    return int(text)


def figure(html: str, element_id: str) -> int:
    found = re.search(rf'id="{element_id}">([^<]+)<', html)
    assert found, f"no #{element_id} on the page"
    return number(found.group(1))


def deltas(html: str) -> list[int]:
    return [number(x) for x in DELTA.findall(html)]


def captured(html: str) -> list[int]:
    return [number(x) for x in CAPTURED.findall(html)]


def taken(html: str) -> list[int]:
    return [number(x) for x in TAKEN.findall(html)]


def older(html: str) -> str | None:
    found = OLDER.search(html)
    return found.group(1).replace("&amp;", "&") if found else None
