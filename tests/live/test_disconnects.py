"""Clients that hang up mid-request: every command they sent is applied whole or not at all.

64 raw TCP clients each send a complete "open ticket" request and close the socket at once, without
reading the answer (a browser tab closed, a proxy timing out). The writer threads apply or refuse
each command regardless of its caller: afterwards every ticket that exists has its capture, its
allocations and its history; the points held match the tickets; the ledger verifies. Then the
same refs opened again by a client that waits are each either created now or answered 409 naming
the ticket a hung-up request created: nothing half-made is ever visible.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

CLIENTS = 64
POINTS = 10


async def _hang_up_after_sending(base_url: str, headers: dict[str, str], path: str, body: dict[str, Any]) -> None:
    parts = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    payload = json.dumps(body).encode()
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: {parts.netloc}",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
    ]
    head += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
    await writer.drain()
    writer.close()  # gone before any answer
    await writer.wait_closed()
    del reader


async def test_clients_that_hang_up_leave_each_command_whole_or_absent(live: Any) -> None:
    await live.account("gone")
    await live.grant("gone", CLIENTS * POINTS // 2)  # room for half of them: some opens are refused
    refs = [f"hangup-{i}" for i in range(CLIENTS)]
    body = {"category": "other", "estimated_points": POINTS}
    headers = live.server.auth("helpdesk")
    await asyncio.gather(
        *(
            _hang_up_after_sending(
                live.server.base_url, headers, "/v1/accounts/gone/tickets", {**body, "external_ref": ref}
            )
            for ref in refs
        )
    )

    # Wait until the writers are done with whatever reached them (no new ticket for a while).
    seen = -1
    for _ in range(100):
        tickets = await live.pages("/v1/accounts/gone/tickets")
        if len(tickets) == seen:
            break
        seen = len(tickets)
        await asyncio.sleep(0.3)

    made = {t["external_ref"]: t for t in tickets}
    assert set(made) <= set(refs)
    for ticket in made.values():  # each one whole: captured, allocated, in its history
        detail = await live.ticket(ticket["id"])
        assert detail["captured_points"] == POINTS and detail["status"] == "open"
        assert sum(a["held"] for a in detail["allocations"]) == POINTS
        assert [h["action"] for h in detail["history"]] == ["opened"]
    balance = await live.balance("gone")
    assert balance["held"] == POINTS * len(made)
    assert balance["available"] + balance["held"] == CLIENTS * POINTS // 2
    await live.assert_verified()

    # The same refs again, by a client that waits: each is created now, or names the ticket made before.
    for ref in refs:
        r = await live.post("/v1/accounts/gone/tickets", {**body, "external_ref": ref}, role="helpdesk")
        if ref in made:
            assert r.status_code == 409 and r.json()["ticket_id"] == made[ref]["id"], r.text
        else:
            assert r.status_code in (201, 409), r.text
            if r.status_code == 409:
                assert r.json()["type"] == "/problems/insufficient-points", r.text
    await live.assert_verified()
