"""Talking to a live server (support.servers) over HTTP: the `Live` client, paging, scenario (a)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx

from support.servers import Server


async def pages(http: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None, **params: Any) -> list[Any]:
    """Every item of a list endpoint, following next_cursor."""
    items: list[Any] = []
    cursor = None
    while True:
        query = {**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
        r = await http.get(path, params=query, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


@dataclass
class Live:
    """An async client on a live server, with role-aware shortcuts.

    Every request is bounded by REQUEST_TIMEOUT; a transport error fails the test.
    """

    server: Server
    http: httpx.AsyncClient
    counter: dict[str, int] = field(default_factory=dict)

    async def request(self, method: str, path: str, role: str = "admin", **kwargs: Any) -> httpx.Response:
        headers = {**self.server.auth(role), **kwargs.pop("headers", {})}
        return await self.http.request(method, path, headers=headers, **kwargs)

    async def get(self, path: str, role: str = "admin", **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, role, **kwargs)

    async def post(self, path: str, json: Any = None, role: str = "admin", **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, role, json=json, **kwargs)

    async def put(self, path: str, json: Any = None, role: str = "admin", **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", path, role, json=json, **kwargs)

    def unique(self, prefix: str) -> str:
        self.counter[prefix] = self.counter.get(prefix, 0) + 1
        return f"{prefix}-{self.counter[prefix]}"

    # Arranging a scenario; each step must succeed.
    async def account(self, account_id: str) -> None:
        r = await self.put(f"/v1/accounts/{account_id}", {})
        assert r.status_code in (200, 201), r.text

    async def grant(self, account_id: str, points: int) -> None:
        r = await self.post(f"/v1/accounts/{account_id}/adjustments", {"points": points, "reason": "starting balance"})
        assert r.status_code == 201, r.text

    async def buy(self, account_id: str, plan: str = "points-120") -> dict[str, Any]:
        body = {"plan": plan, "payment_id": self.unique(f"pay-{account_id}")}
        r = await self.post(f"/v1/accounts/{account_id}/purchases", body, role="billing")
        assert r.status_code == 201, r.text
        return r.json()

    async def open(self, account_id: str, points: int, ref: str | None = None) -> dict[str, Any]:
        body = {"external_ref": ref or self.unique("T"), "category": "other", "estimated_points": points}
        r = await self.post(f"/v1/accounts/{account_id}/tickets", body, role="helpdesk")
        assert r.status_code == 201, r.text
        return r.json()

    async def balance(self, account_id: str) -> dict[str, Any]:
        r = await self.get(f"/v1/accounts/{account_id}/balance")
        assert r.status_code == 200, r.text
        return r.json()

    async def ticket(self, ticket_id: str) -> dict[str, Any]:
        r = await self.get(f"/v1/tickets/{ticket_id}")
        assert r.status_code == 200, r.text
        return r.json()

    async def pages(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a list endpoint (as admin), following next_cursor."""
        return await pages(self.http, path, self.server.auth("admin"), **params)

    async def assert_verified(self) -> None:
        r = await self.get("/v1/admin/verify")
        assert r.status_code == 200, r.text
        report = r.json()
        assert report["ok"] is True, report["disagreements"]


async def open_race(lives: list[Live], account_id: str, *, n: int = 64, points: int = 30) -> list[httpx.Response]:
    """Scenario (a): `n` concurrent opens of `points` on `account_id`, spread over `lives`."""

    async def open_one(i: int) -> httpx.Response:
        body = {"external_ref": f"race-{i}", "category": "other", "estimated_points": points}
        return await lives[i % len(lives)].post(f"/v1/accounts/{account_id}/tickets", body, role="helpdesk")

    return list(await asyncio.wait_for(asyncio.gather(*(open_one(i) for i in range(n))), timeout=60))
