"""The finance identity over random histories (Hypothesis), through the HTTP API on SQLite.

Each example plays a few random operations on two accounts — purchases (two currencies), license
bonuses, adjustments ±, tickets opened, resolved, refunded or credited, revocations, clock jumps
of up to 800 days and sweeps — then cuts the history at random instants and checks every report:
the identity in each row (points and money), grouped rows adding up to the ungrouped report,
each period opening with what the one before closed with, and the last closing equal to the
available and held points the balances show.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from points_service.app import create_app
from points_service.settings import Settings

from support.times import T0
from testkeys import TEST_KEYS

FIGURES = ("opening", "granted", "recognized", "returned", "breakage", "revoked", "written_off", "closing")
SIGNS = {"granted": 1, "recognized": -1, "returned": 1, "breakage": -1, "revoked": -1, "written_off": -1}
ACCOUNTS = ("acme", "beta")


class Clock:
    def __init__(self) -> None:
        self.current = T0

    def now(self) -> datetime:
        return self.current


OPERATIONS = st.one_of(
    st.tuples(st.just("buy"), st.sampled_from(ACCOUNTS), st.sampled_from(["points-60", "points-120", "eur"])),
    st.tuples(st.just("license"), st.sampled_from(ACCOUNTS), st.just(0)),
    st.tuples(st.just("adjust"), st.sampled_from(ACCOUNTS), st.integers(-40, 40).filter(bool)),
    st.tuples(st.just("open"), st.sampled_from(ACCOUNTS), st.sampled_from(["consultation", "store-problem"])),
    st.tuples(st.sampled_from(["resolve", "refund", "credit", "revoke"]), st.sampled_from(ACCOUNTS), st.integers(0, 9)),
    st.tuples(st.just("wait"), st.just("acme"), st.sampled_from([1, 30, 400, 800])),
    st.tuples(st.just("sweep"), st.just("acme"), st.just(0)),
)


def _play(client: TestClient, clock: Clock, steps: list[tuple[str, str, Any]]) -> list[datetime]:
    def call(method: str, path: str, role: str = "admin", **kw: Any) -> Any:
        r = client.request(method, path, headers={"Authorization": f"Bearer {TEST_KEYS[role]}"}, **kw)
        assert r.status_code < 500, r.text
        return r

    for account in ACCOUNTS:
        call("PUT", f"/v1/accounts/{account}", json={})
    tickets: dict[str, list[str]] = {a: [] for a in ACCOUNTS}
    lots: dict[str, list[str]] = {a: [] for a in ACCOUNTS}
    instants = [clock.now()]
    for n, (kind, account, arg) in enumerate(steps):
        clock.current += timedelta(minutes=1)
        base = f"/v1/accounts/{account}"
        if kind == "buy":
            body: dict[str, Any] = {"plan": "points-60" if arg == "eur" else arg, "payment_id": f"pay-{n}"}
            if arg == "eur":
                body["paid"] = {"amount": "31.00", "currency": "EUR"}
            r = call("POST", f"{base}/purchases", "billing", json=body)
            lots[account].append(r.json()["lot"]["id"])
        elif kind == "license":
            call("POST", f"{base}/licenses", "billing", json={"license_key": f"L-{n}", "product": "default"})
        elif kind == "adjust":
            call("POST", f"{base}/adjustments", json={"points": arg, "reason": "fix"})
        elif kind == "open":
            r = call("POST", f"{base}/tickets", "helpdesk", json={"external_ref": f"T-{n}", "category": arg})
            if r.status_code == 201:
                tickets[account].append(r.json()["id"])
        elif kind in ("resolve", "refund", "credit") and tickets[account]:
            ticket = tickets[account][arg % len(tickets[account])]
            body = {
                "resolve": {},
                "refund": {"reason": ["software_bug", "withdrawn"][arg % 2]},
                "credit": {"points": 1 + arg, "reason": "goodwill"},
            }[kind]
            call("POST", f"/v1/tickets/{ticket}/{kind}", "helpdesk", json=body)
        elif kind == "revoke" and lots[account]:
            call("POST", f"/v1/lots/{lots[account][arg % len(lots[account])]}/revoke", "billing", json={"reason": "cb"})
        elif kind == "wait":
            clock.current += timedelta(days=arg)
        elif kind == "sweep":
            call("POST", "/v1/admin/expire", json={})
        instants.append(clock.now())
    clock.current += timedelta(seconds=1)
    instants.append(clock.now())
    return instants


def _report(client: TestClient, start: datetime, end: datetime, group_by: str | None = None) -> list[dict[str, Any]]:
    params = {"from": start.isoformat(), "to": end.isoformat(), **({"group_by": group_by} if group_by else {})}
    r = client.get("/v1/reports/finance", params=params, headers={"Authorization": f"Bearer {TEST_KEYS['billing']}"})
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()["rows"]
    return rows


def _holds(row: dict[str, Any]) -> bool:
    def holds(f: dict[str, Any], value: Any) -> bool:
        return value(f["closing"]) == value(f["opening"]) + sum(s * value(f[n]) for n, s in SIGNS.items())

    return holds(row["points"], int) and holds(row["money"], Decimal)


def _sums(rows: list[dict[str, Any]]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for row in rows:
        c = out.setdefault(row["currency"], Counter())
        for f in FIGURES:
            c[f] += row["points"][f]
            c[f"${f}"] += int(Decimal(row["money"][f]) * 100)
    return {k: +v for k, v in out.items()}


def test_the_identity_holds_over_random_histories(keyed_template_db: Path) -> None:
    @settings(
        max_examples=12,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(steps=st.lists(OPERATIONS, min_size=3, max_size=12), cuts=st.sets(st.integers(0, 13), max_size=2))
    def scenario(steps: list[tuple[str, str, Any]], cuts: set[int]) -> None:
        folder = Path(tempfile.mkdtemp(prefix="points-finance-"))
        try:
            shutil.copy(keyed_template_db, folder / "points.db")
            clock = Clock()
            settings_ = Settings(database_url=f"sqlite:///{folder / 'points.db'}", auth_cache_seconds=0)
            with TestClient(create_app(settings_, clock=clock)) as client:
                instants = _play(client, clock, steps)
                bounds = sorted({instants[0], *(instants[c] for c in cuts if c < len(instants)), instants[-1]})
                previous: dict[str, dict[str, Any]] = {}
                for start, end in pairwise(bounds):
                    rows = _report(client, start, end)
                    assert all(_holds(row) for row in rows), rows
                    for row in rows:  # a period opens with what the one before closed with
                        before = previous.get(row["currency"])
                        opening = (row["points"]["opening"], Decimal(row["money"]["opening"]))
                        closed = (
                            (before["points"]["closing"], Decimal(before["money"]["closing"])) if before else (0, 0)
                        )
                        assert opening == closed
                    previous = {row["currency"]: row for row in rows} | {
                        c: r for c, r in previous.items() if c not in {row["currency"] for row in rows}
                    }
                    for group_by in ("account", "plan", "category"):
                        grouped = _report(client, start, end, group_by)
                        assert _sums(grouped) == _sums(rows), group_by
                        assert group_by == "category" or all(_holds(row) for row in grouped)
                whole = _report(client, instants[0], instants[-1], "account")
                for account in ACCOUNTS:
                    balance = client.get(
                        f"/v1/accounts/{account}/balance", headers={"Authorization": f"Bearer {TEST_KEYS['admin']}"}
                    ).json()
                    closing = sum(r["points"]["closing"] for r in whole if r["account_id"] == account)
                    assert closing == balance["available"] + balance["held"]
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    scenario()
