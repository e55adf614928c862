"""Observability (issue #5 item 6; docs/design.md §8 "Observability"): X-Request-ID, the JSON access log,
Prometheus metrics at /metrics and the points-flow counters.

The service's `JsonFormatter` reads the request id from the context when a record is formatted,
so the captured records are formatted by a handler as they are emitted (as a stream handler in
production does), never afterwards.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from points_service.api.observability import JsonFormatter
from points_service.services.context import Context
from points_service.services.grants import AdjustPoints
from points_service.services.uow import DatabaseBusyError

from commands import Call, DuplicateKeyName, Gate, ThenFail, until
from support.figures import expired, figures
from support.problems import loose_problem

GENERATED = re.compile(r"^[0-9a-f]{32}$")  # uuid4().hex
ACCESS = "points_service.access"
TWO_YEARS_AND_A_DAY = timedelta(days=2 * 365 + 1)  # T0 + this is past T0's lots' expiry (T0 + 2 years)


# ---------------------------------------------------------------- log capture


class JsonLines(logging.Handler):
    """Every record formatted by the service's JsonFormatter at emit time (inside the request)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.records: list[logging.LogRecord] = []
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.texts.append(self.format(record))

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(t) for t in self.texts]

    def access(self) -> list[dict[str, Any]]:
        return [line for line in self.lines if line["logger"] == ACCESS]

    def service(self) -> list[dict[str, Any]]:
        """The lines of the service's own loggers."""
        return [line for line in self.lines if line["logger"].startswith("points_service")]

    def clear(self) -> None:
        self.records.clear()
        self.texts.clear()


@pytest.fixture
def logs() -> Iterator[JsonLines]:
    """The service's loggers at DEBUG, captured as JSON lines."""
    handler = JsonLines()
    root, service = logging.getLogger(), logging.getLogger("points_service")
    saved = service.level
    service.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        service.setLevel(saved)


@pytest.fixture
def every_log(logs: JsonLines) -> Iterator[JsonLines]:
    """Every logger of the process at DEBUG (SQL and its parameters included), captured too."""
    loggers = [logging.getLogger()] + [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)]
    loggers += [
        logging.getLogger(n) for n in ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.engine.Engine", "sqlalchemy.pool")
    ]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    deaf = [lg for lg in loggers if not lg.propagate and lg is not logging.getLogger()]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.disabled = False
    for lg in deaf:
        lg.addHandler(logs)
    try:
        yield logs
    finally:
        for lg in deaf:
            lg.removeHandler(logs)
        for lg, level, disabled in saved:
            lg.setLevel(level)
            lg.disabled = disabled


# ---------------------------------------------------------------- metrics


async def scrape(api: Any) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics (no key needed), by name and labels."""
    r = await api.get("/metrics", role=None)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == CONTENT_TYPE_LATEST
    samples = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def sample(samples: dict, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def labelled(samples: dict, name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: value for (n, labels), value in samples.items() if n == name}


async def flows(api: Any) -> dict[str, float]:
    """points_moved_total by flow (a flow that never moved is absent)."""
    samples = await scrape(api)
    return {dict(labels)["flow"]: value for labels, value in labelled(samples, "points_moved_total").items()}


# ---------------------------------------------------------------- helpers


def rid() -> str:
    return f"test-{uuid.uuid4()}"


def echoed(r: httpx.Response) -> str:
    values = r.headers.get_list("x-request-id")
    assert len(values) == 1, values
    return values[0]


async def arrange_ticket(api: Any) -> dict[str, Any]:
    await api.account()
    await api.buy()
    return await api.open()


# ================================================================ X-Request-ID


class TestRequestId:
    VALID = ("abc", "A", "req-2026.01.15_12:00:00", str(uuid.uuid4()), "x" * 128)
    INVALID = ("has space", "x" * 129, "y" * 200, "a/b", "a;b=c", "<script>", "é", "")

    async def test_taken_when_valid_else_generated(self, api):
        for sent in self.VALID:
            r = await api.get("/v1/plans", headers={"X-Request-ID": sent})
            assert r.status_code == 200, r.text
            assert echoed(r) == sent
        # None sent: a new one each time.
        first, second = await api.get("/v1/plans"), await api.get("/v1/plans")
        assert (first.status_code, second.status_code) == (200, 200)
        assert GENERATED.match(echoed(first)) and GENERATED.match(echoed(second))
        assert echoed(first) != echoed(second)
        # Invalid (spaces, over 128 characters, other characters, empty): replaced.
        seen = {echoed(first), echoed(second)}
        for sent in self.INVALID:
            r = await api.get("/v1/plans", headers={"X-Request-ID": sent.encode("utf-8")})
            assert r.status_code == 200, r.text
            got = echoed(r)
            assert GENERATED.match(got), (sent, got)
            seen.add(got)
        assert len(seen) == 2 + len(self.INVALID)

    async def test_error_responses_carry_it_too(self, api):
        ticket = await arrange_ticket(api)
        errors = {
            "401 no key": lambda h: api.get("/v1/accounts/acme", role=None, headers=h),
            "401 wrong key": lambda h: api.get(
                "/v1/accounts/acme", role=None, headers={**h, "Authorization": "Bearer pts_nope"}
            ),
            "403": lambda h: api.post(
                "/v1/accounts/acme/tickets",
                {"external_ref": "V", "category": "store-problem"},
                role="viewer",
                headers=h,
            ),
            "404 object": lambda h: api.get("/v1/tickets/tkt_missing", headers=h),
            "404 route": lambda h: api.get("/v1/no/such/route", headers=h),
            "405": lambda h: api.request("DELETE", "/v1/plans", headers=h),
            "409": lambda h: api.post(
                "/v1/accounts/acme/tickets",
                {"external_ref": "BIG", "category": "installation"},
                role="helpdesk",
                headers=h,
            ),
            "412": lambda h: api.post(
                f"/v1/tickets/{ticket['id']}/resolve", {}, role="helpdesk", headers={**h, "If-Match": '"99"'}
            ),
            "422": lambda h: api.post("/v1/accounts/acme/tickets", {"category": 5}, role="helpdesk", headers=h),
        }
        expected = {
            "401 no key": (401, "unauthorized"),
            "401 wrong key": (401, "unauthorized"),
            "403": (403, "forbidden"),
            "404 object": (404, "not-found"),
            "404 route": (404, "not-found"),
            "405": (405, "method-not-allowed"),
            "409": (409, "insufficient-points"),
            "412": (412, "precondition-failed"),
            "422": (422, "validation-error"),
        }
        for label, send in errors.items():
            status, slug = expected[label]
            sent = rid()
            r = await send({"X-Request-ID": sent})
            loose_problem(r, status, slug)
            assert echoed(r) == sent, label
            r = await send({})
            loose_problem(r, status, slug)
            assert GENERATED.match(echoed(r)), label
            r = await send({"X-Request-ID": "not valid"})
            loose_problem(r, status, slug)
            assert GENERATED.match(echoed(r)), label


# ================================================================ the access log


class TestAccessLog:
    async def test_one_line_per_request_with_the_route_template_status_duration_and_key_name(self, api, logs):
        ticket = await arrange_ticket(api)
        tid = ticket["id"]
        cases = [
            # (method, path, role, body, route, status, key name)
            ("PUT", "/v1/accounts/beta", "admin", {}, "/v1/accounts/{account_id}", 201, "test-admin"),
            (
                "POST",
                "/v1/accounts/beta/purchases",
                "billing",
                {"plan": "points-120", "payment_id": "pay-log-1"},
                "/v1/accounts/{account_id}/purchases",
                201,
                "test-billing",
            ),
            (
                "POST",
                "/v1/accounts/beta/tickets",
                "helpdesk",
                {"external_ref": "L-1", "category": "store-problem"},
                "/v1/accounts/{account_id}/tickets",
                201,
                "test-helpdesk",
            ),
            ("GET", f"/v1/tickets/{tid}", "viewer", None, "/v1/tickets/{ticket_id}", 200, "test-viewer"),
            (
                "POST",
                f"/v1/tickets/{tid}/resolve",
                "helpdesk",
                {},
                "/v1/tickets/{ticket_id}/resolve",
                200,
                "test-helpdesk",
            ),
            (
                "GET",
                "/v1/accounts/acme/balance",
                "viewer",
                None,
                "/v1/accounts/{account_id}/balance",
                200,
                "test-viewer",
            ),
            ("GET", "/v1/tickets/tkt_missing", "admin", None, "/v1/tickets/{ticket_id}", 404, "test-admin"),
            (
                "POST",
                "/v1/accounts/acme/tickets",
                "helpdesk",
                {"category": 5},
                "/v1/accounts/{account_id}/tickets",
                422,
                "test-helpdesk",
            ),
            (
                "POST",
                "/v1/accounts/acme/tickets",
                "viewer",
                {"external_ref": "V", "category": "store-problem"},
                "/v1/accounts/{account_id}/tickets",
                403,
                "test-viewer",
            ),
            ("GET", "/v1/accounts/acme", None, None, "/v1/accounts/{account_id}", 401, None),
            ("GET", "/v1/no/such/route", "admin", None, "unmatched", 404, None),
            ("DELETE", "/v1/plans", "admin", None, "/v1/plans", 405, None),
            ("GET", "/metrics", None, None, "/metrics", 200, None),
            ("GET", "/healthz", None, None, "/healthz", 200, None),
        ]
        for method, path, role, body, route, status, key in cases:
            logs.clear()
            sent = rid()
            r = await api.request(method, path, role, json=body, headers={"X-Request-ID": sent})
            assert r.status_code == status, (method, path, r.text)
            access = logs.access()
            assert len(access) == 1, (method, path, access)
            line = access[0]
            duration = line.pop("duration_ms")
            assert isinstance(duration, float | int) and duration >= 0
            assert datetime.fromisoformat(line.pop("time")).tzinfo is not None
            assert line == {
                "level": "info",
                "logger": ACCESS,
                "message": f"{method} {route} {status}",
                "request_id": sent,
                "method": method,
                "route": route,
                "status": status,
                "key": key,
            }, (method, path)
            # Every line of the service's loggers written meanwhile carries the same id.
            assert {line.get("request_id") for line in logs.service()} == {sent}

        # Without an X-Request-ID, the line carries the generated one that was answered.
        logs.clear()
        r = await api.get("/v1/plans", role="viewer")
        assert r.status_code == 200
        (line,) = logs.access()
        assert (line["request_id"], line["route"], line["status"], line["key"]) == (
            echoed(r),
            "/v1/plans",
            200,
            "test-viewer",
        )
        assert GENERATED.match(line["request_id"])

    async def test_other_lines_of_a_request_carry_its_id(self, api, logs):
        """A rejected webhook logs a warning besides the access line: both carry the request's id."""
        sent = rid()
        body = json.dumps({"type": "payment.succeeded", "data": {}})
        r = await api.post(
            "/v1/webhooks/billing",
            role=None,
            content=body,
            headers={"X-Request-ID": sent, "content-type": "application/json"},
        )
        loose_problem(r, 401, "unauthorized")
        lines = logs.service()
        assert [(line["logger"], line["level"], line.get("request_id")) for line in lines] == [
            ("points_service.webhooks", "warning", sent),
            (ACCESS, "info", sent),
        ]
        assert lines[1]["route"] == "/v1/webhooks/billing"

    async def test_no_key_is_in_any_log_line(self, api, every_log):
        """Every key used, a wrong one and an over-long one, with every logger at DEBUG (SQL and
        its parameters): no secret in any record, formatted or not."""
        wrong, long = "pts_wrong_" + uuid.uuid4().hex, "pts_long_" + "z" * 300
        await arrange_ticket(api)
        for role in api.keys:
            await api.get("/v1/accounts/acme/balance", role=role)
            await api.post(
                "/v1/accounts/acme/tickets",
                {"external_ref": f"S-{role}", "category": "store-problem"},
                role=role,
                headers={"Idempotency-Key": f"idem-{role}"},
            )
        for secret in (wrong, long):
            r = await api.get("/v1/accounts/acme", role=None, headers={"Authorization": f"Bearer {secret}"})
            loose_problem(r, 401, "unauthorized")
        access = every_log.access()
        assert len(access) == 3 + 2 * len(api.keys) + 2
        assert {line["key"] for line in access} == {f"test-{role}" for role in api.keys} | {None}
        assert any(r.name.startswith("sqlalchemy.engine") for r in every_log.records), "SQL was not captured"
        for secret in [*api.keys.values(), wrong, long]:
            for record, formatted in zip(every_log.records, every_log.texts, strict=True):
                texts = [formatted, record.getMessage(), repr(record.args), *map(repr, vars(record).values())]
                assert not any(secret in t for t in texts), f"a key is in a {record.name} record: {formatted}"


# ================================================================ /metrics: requests


def requests_total(samples: dict) -> dict[tuple[str, str, str], float]:
    """points_http_requests_total by (method, route, status)."""
    out = {}
    for labels, value in labelled(samples, "points_http_requests_total").items():
        d = dict(labels)
        out[(d["method"], d["route"], d["status"])] = value
    return out


def latency_counts(samples: dict) -> dict[tuple[str, str, str], float]:
    out = {}
    for labels, value in labelled(samples, "points_http_request_duration_seconds_count").items():
        d = dict(labels)
        out[(d["method"], d["route"], d["status"])] = value
    return out


class TestRequestMetrics:
    async def test_requests_are_counted_per_method_route_template_and_status(self, api):
        before = await scrape(api)
        assert requests_total(before) == {}  # one registry per app: nothing yet, not even this scrape
        assert latency_counts(before) == {}

        await api.account()  # PUT 201
        for _ in range(3):
            assert (await api.get("/v1/plans", role="viewer")).status_code == 200
        loose_problem(await api.get("/v1/plans", role=None), 401, "unauthorized")
        for ticket_id in ("tkt_missing_1", "tkt_missing_2"):
            loose_problem(await api.get(f"/v1/tickets/{ticket_id}"), 404, "not-found")
        loose_problem(await api.get("/v1/no/such/route"), 404, "not-found")
        loose_problem(await api.get("/v1/another/unknown/path"), 404, "not-found")
        loose_problem(await api.request("DELETE", "/v1/plans"), 405, "method-not-allowed")
        assert (await api.get("/v1/accounts/acme/balance")).status_code == 200

        samples = await scrape(api)
        assert requests_total(samples) == {
            ("GET", "/metrics", "200"): 1,  # the first scrape; this one is counted after it answered
            ("PUT", "/v1/accounts/{account_id}", "201"): 1,
            ("GET", "/v1/plans", "200"): 3,
            ("GET", "/v1/plans", "401"): 1,
            ("GET", "/v1/tickets/{ticket_id}", "404"): 2,
            ("GET", "unmatched", "404"): 2,
            ("DELETE", "/v1/plans", "405"): 1,
            ("GET", "/v1/accounts/{account_id}/balance", "200"): 1,
        }
        # Latency: one histogram per method, route and status, one observation per request.
        assert latency_counts(samples) == requests_total(samples)
        for (method, route, status), count in latency_counts(samples).items():
            buckets = {
                dict(labels)["le"]: value
                for labels, value in labelled(samples, "points_http_request_duration_seconds_bucket").items()
                if (dict(labels)["method"], dict(labels)["route"], dict(labels)["status"]) == (method, route, status)
            }
            assert buckets["+Inf"] == count
            assert list(buckets.values()) == sorted(buckets.values())  # cumulative
            assert (
                sample(samples, "points_http_request_duration_seconds_sum", method=method, route=route, status=status)
                > 0
            )

        again = await scrape(api)
        assert requests_total(again)[("GET", "/metrics", "200")] == 2
        assert requests_total(again)[("GET", "/v1/plans", "200")] == 3

    async def test_database_errors_are_counted(self, api, monkeypatch, logs):
        """An unhandled database error (a table gone) is counted as `error`, a busy database
        (every retry spent) as `busy`, and the requests under their statuses."""
        await api.account()
        app = api.client._transport.app
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://test"
        ) as client:
            await _rename(api, "plans", "plans_gone")
            try:
                for _ in range(2):
                    r = await client.get("/v1/plans", headers=api.auth("viewer"))
                    loose_problem(r, 500, "internal-error")
            finally:
                await _rename(api, "plans_gone", "plans")

        async def busy(*_args: Any, **_kwargs: Any) -> Any:
            raise DatabaseBusyError("database is locked")

        monkeypatch.setattr(api.db, "write", busy)
        sent = rid()
        logs.clear()
        r = await api.put("/v1/accounts/acme", {"display_name": "x"}, headers={"X-Request-ID": sent})
        loose_problem(r, 503, "database-busy")
        assert (r.headers["retry-after"], echoed(r)) == ("1", sent)
        assert [(line["logger"], line["level"], line.get("request_id")) for line in logs.service()] == [
            ("points_service.errors", "warning", sent),
            (ACCESS, "info", sent),
        ]
        assert logs.access()[0]["status"] == 503

        samples = await scrape(api)
        assert {dict(k)["kind"]: v for k, v in labelled(samples, "points_database_errors_total").items()} == {
            "error": 2,
            "busy": 1,
        }
        counted = requests_total(samples)
        assert (counted[("GET", "/v1/plans", "500")], counted[("PUT", "/v1/accounts/{account_id}", "503")]) == (2, 1)
        assert (await api.get("/v1/plans")).status_code == 200  # the table is back


async def _rename(api: Any, old: str, new: str) -> None:
    def rename() -> None:
        with api.db.engine.connect() as conn:  # autocommit: the statement is its own transaction
            conn.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))

    await asyncio.to_thread(rename)


# ================================================================ /metrics: points moved


class TestPointsMoved:
    async def test_each_flow_counts_the_points_of_committed_entries(self, api):
        assert await flows(api) == {}
        await api.account()
        assert await flows(api) == {}  # an account moves no points

        r = await api.post(
            "/v1/accounts/acme/purchases",
            {"plan": "points-120", "payment_id": "pay-1"},
            role="billing",
            headers={"Idempotency-Key": "buy-1"},
        )
        assert r.status_code == 201, r.text
        assert await flows(api) == {"granted": 120}
        # A replay (same Idempotency-Key) and a repeat of the payment commit no entry.
        r = await api.post(
            "/v1/accounts/acme/purchases",
            {"plan": "points-120", "payment_id": "pay-1"},
            role="billing",
            headers={"Idempotency-Key": "buy-1"},
        )
        assert (r.status_code, r.headers.get("idempotent-replayed")) == (201, "true")
        r = await api.post("/v1/accounts/acme/purchases", {"plan": "points-120", "payment_id": "pay-1"}, role="billing")
        assert r.status_code == 200, r.text
        assert await flows(api) == {"granted": 120}

        resolved = await api.open(category="store-problem")
        assert resolved["captured_points"] == 25
        assert await flows(api) == {"granted": 120, "captured": 25}
        r = await api.post(f"/v1/tickets/{resolved['id']}/resolve", {}, role="helpdesk")
        assert r.status_code == 200, r.text
        assert await flows(api) == {"granted": 120, "captured": 25, "deducted": 25}

        refunded = await api.open(category="store-problem")
        assert await flows(api) == {"granted": 120, "captured": 50, "deducted": 25}
        # Raised by 15 (captured), lowered by 10 (released).
        for points in (40, 30):
            r = await api.post(
                f"/v1/tickets/{refunded['id']}/adjust", {"points": points, "reason": "estimate"}, role="helpdesk"
            )
            assert r.status_code == 200, r.text
        assert await flows(api) == {"granted": 120, "captured": 65, "deducted": 25, "released": 10}
        assert figures(await api.balance()) == (65, 30, 25)

        # A request that fails moves nothing and counts nothing.
        r = await api.post(
            "/v1/accounts/acme/tickets", {"external_ref": "BIG", "category": "installation"}, role="helpdesk"
        )
        loose_problem(r, 409, "insufficient-points")
        r = await api.post(f"/v1/tickets/{resolved['id']}/resolve", {}, role="helpdesk")
        assert r.status_code == 409, r.text
        r = await api.post(
            f"/v1/tickets/{refunded['id']}/adjust", {"points": 1000, "reason": "too much"}, role="helpdesk"
        )
        loose_problem(r, 409, "insufficient-points")
        assert await flows(api) == {"granted": 120, "captured": 65, "deducted": 25, "released": 10}

        r = await api.post(f"/v1/tickets/{refunded['id']}/refund", {"reason": "software_bug"}, role="helpdesk")
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["returned_points"]) == ("refunded", 30)
        assert await flows(api) == {"granted": 120, "captured": 65, "deducted": 25, "released": 10, "returned": 30}
        assert figures(await api.balance()) == (95, 0, 25)

        # Two years and a day later the lot's 95 available points expire (the sweep writes it).
        api.clock.advance(TWO_YEARS_AND_A_DAY)
        r = await api.post("/v1/admin/expire")
        assert r.status_code == 200, r.text
        assert expired(r.json()) == {"expired_lots": 1, "expired_points": 95, "accounts": ["acme"]}
        expected = {"granted": 120, "captured": 65, "deducted": 25, "released": 10, "returned": 30, "expired": 95}
        assert await flows(api) == expected
        r = await api.post("/v1/admin/expire")  # nothing more is due
        assert expired(r.json()) == {"expired_lots": 0, "expired_points": 0, "accounts": []}
        assert await flows(api) == expected

        # Admin adjustments: +N granted, -N written off; one beyond the available, nothing.
        await api.account("beta")
        r = await api.post("/v1/accounts/beta/adjustments", {"points": 70, "reason": "goodwill"})
        assert r.status_code == 201, r.text
        r = await api.post("/v1/accounts/beta/adjustments", {"points": -20, "reason": "correction"})
        assert r.status_code == 200, r.text
        expected |= {"granted": 120 + 70, "written_off": 20}
        assert await flows(api) == expected
        r = await api.post("/v1/accounts/beta/adjustments", {"points": -500, "reason": "too much"})
        loose_problem(r, 422, "validation-error")  # only 50 are available to write off
        assert await flows(api) == expected

    async def test_a_command_that_fails_after_writing_counts_nothing(self, api):
        """Its entries were written in memory, then dropped with it (alone in its batch or not)."""
        await api.account()
        ctx = Context(actor="test", role="admin", clock=api.clock, return_grace=timedelta(days=30))
        with pytest.raises(RuntimeError):
            await api.db.write(ThenFail(AdjustPoints(ctx=ctx, account_id="acme", points=1000, reason="never kept")))
        assert await flows(api) == {}
        assert figures(await api.balance()) == (0, 0, 0)

    async def test_entries_of_a_batch_redone_carefully_are_counted_once(self, api):
        """A batch whose flush meets a constraint its rules did not foresee is rolled back and redone
        one command at a time. A command whose outcome differs the second time (on PostgreSQL
        another writer may commit between the passes; simulated here) must count only what it
        committed: here, nothing."""
        await api.account()
        ctx = Context(actor="test", role="admin", clock=api.clock, return_grace=timedelta(days=30))
        calls = 0
        adjust = AdjustPoints(ctx=ctx, account_id="acme", points=10, reason="first pass only")

        def succeeds_only_the_first_time(tx: Any) -> None:
            nonlocal calls
            calls += 1
            adjust.apply(tx)
            if calls > 1:
                raise RuntimeError("the account changed between the passes")

        gate = Gate()
        held = asyncio.create_task(api.db.write(gate))
        await until(gate.opened)  # the writer is busy: the next two commands form one batch
        first = asyncio.create_task(api.db.write(Call(succeeds_only_the_first_time, adjust.needs)))
        second = asyncio.create_task(api.db.write(DuplicateKeyName("test-admin")))
        await asyncio.sleep(0.05)
        gate.release.set()
        await held
        with pytest.raises(RuntimeError, match="changed between"):
            await first
        with pytest.raises(Exception, match="conflicts with a concurrent change"):
            await second
        assert calls == 2  # the batch was redone
        assert figures(await api.balance()) == (0, 0, 0)  # nothing committed
        assert await flows(api) == {}


# ================================================================ once bugs (fixed)


async def test_an_internal_error_carries_the_request_id_in_its_answer_and_its_log_lines(api, logs):
    app = api.client._transport.app
    sent = rid()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://test"
    ) as client:
        await _rename(api, "plans", "plans_gone")  # a real database error: the table is gone
        try:
            r = await client.get("/v1/plans", headers={**api.auth("viewer"), "X-Request-ID": sent})
        finally:
            await _rename(api, "plans_gone", "plans")
    loose_problem(r, 500, "internal-error")
    lines = logs.service()
    assert sorted((line["logger"], line["level"]) for line in lines) == [
        ("points_service.access", "info"),
        ("points_service.errors", "error"),
    ]
    assert logs.access()[0]["status"] == 500  # this much works
    assert [line.get("request_id") for line in lines] == [sent, sent]
    assert r.headers.get("x-request-id") == sent


async def test_lines_logged_by_the_writer_carry_no_other_requests_id(api, every_log):
    await api.account()  # this request starts the writer
    first = every_log.access()[0]["request_id"]
    every_log.clear()
    sent = rid()
    r = await api.post(
        "/v1/accounts/acme/purchases",
        {"plan": "points-120", "payment_id": "pay-1"},
        role="billing",
        headers={"X-Request-ID": sent},
    )
    assert r.status_code == 201, r.text
    sql = [line for line in every_log.lines if line["logger"].startswith("sqlalchemy.engine")]
    inserts = [line for line in sql if line["message"].startswith("INSERT INTO ledger_entries")]
    assert len(inserts) == 1, "the purchase's SQL was not captured"
    ids = {line.get("request_id") for line in every_log.lines} - {None}
    assert first not in ids, f"lines written for {sent} carry {first}"
    # A batch's statements serve every command in it, so they are logged under no request's id.
    assert inserts[0].get("request_id") is None
