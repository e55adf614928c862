"""The Idempotency-Key header on POST requests (docs/design.md §8 "Idempotency-Key"; errors).

A key is scoped to the API key that sent it; the fingerprint is the method, the path and the
canonical JSON body; 2xx, 404, 409 and 412 answers are stored in the transaction of the effect and
replayed with `Idempotent-Replayed: true` (before If-Match is looked at); 401, 403, 422 and 5xx are
not stored; stored answers are kept at least 24 hours and purged by the admin sweep afterwards.
Every number is exact; every test's ledger is verified by the `api` fixture at teardown.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

import points_service.api.routers.grants as grants_router
import points_service.api.writes as writes
from points_service.app import create_app
from points_service.settings import Settings

from support.figures import figures
from support.problems import invalid_without_traceback, problem_without_traceback

REPLAYED = "Idempotent-Replayed"


# ---- helpers ---------------------------------------------------------------------------------


def key(value: str | bytes) -> dict[str, Any]:
    return {"Idempotency-Key": value}


def fresh(r: httpx.Response) -> httpx.Response:
    assert REPLAYED not in r.headers, r.headers
    return r


def replayed(r: httpx.Response, original: httpx.Response) -> httpx.Response:
    """A replay of `original`: same status, same body bytes, same media type, flagged."""
    assert r.headers.get(REPLAYED) == "true", (r.status_code, r.headers, r.text)
    assert r.status_code == original.status_code
    assert r.content == original.content
    assert r.headers["content-type"] == original.headers["content-type"]
    for name in ("etag", "location"):
        assert r.headers.get(name) == original.headers.get(name), name
    return r


async def buy(
    api: Any,
    payment_id: str,
    idem: str | None = None,
    *,
    role: str = "billing",
    account_id: str = "acme",
    plan: str = "points-120",
) -> httpx.Response:
    headers = key(idem) if idem is not None else {}
    return await api.post(
        f"/v1/accounts/{account_id}/purchases", {"plan": plan, "payment_id": payment_id}, role=role, headers=headers
    )


async def open_ticket(
    api: Any,
    idem: str | None,
    ref: str = "T-1",
    category: str = "store-problem",
    account_id: str = "acme",
    **extra: Any,
) -> httpx.Response:
    headers = key(idem) if idem is not None else {}
    body = {"external_ref": ref, "category": category, **extra}
    return await api.post(f"/v1/accounts/{account_id}/tickets", body, role="helpdesk", headers=headers)


async def entries(api: Any, kind: str, account_id: str = "acme") -> list[dict[str, Any]]:
    r = await api.get(f"/v1/accounts/{account_id}/ledger", params={"kind": kind, "limit": 500})
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def tickets(api: Any, account_id: str = "acme") -> list[dict[str, Any]]:
    r = await api.get(f"/v1/accounts/{account_id}/tickets", params={"limit": 500})
    assert r.status_code == 200, r.text
    return r.json()["items"]


# ---- replays ---------------------------------------------------------------------------------


class TestReplay:
    async def test_ten_identical_purchases_have_one_effect(self, api):
        await api.account()
        first = fresh(await buy(api, "pay-1", "k-1"))
        assert first.status_code == 201, first.text
        for _ in range(9):
            api.clock.advance(timedelta(minutes=1))
            r = replayed(await buy(api, "pay-1", "k-1"), first)
            assert r.status_code == 201
        [entry] = await entries(api, "purchase")
        assert entry["lot_id"] == first.json()["lot"]["id"]
        assert figures(await api.balance()) == (120, 0, 0)

    async def test_without_a_key_a_repeat_is_a_new_request(self, api):
        await api.account()
        assert fresh(await buy(api, "pay-1")).status_code == 201
        r = fresh(await buy(api, "pay-1"))
        assert r.status_code == 200  # the payment seen before, answered by the purchase's own rule
        assert len(await entries(api, "purchase")) == 1

    async def test_the_fingerprint_is_the_canonical_json(self, api):
        await api.account()
        path = "/v1/accounts/acme/purchases"
        headers = {**api.auth("billing"), **key("k-1"), "content-type": "application/json"}
        first = fresh(
            await api.client.post(path, content=b'{"plan":"points-120","payment_id":"pay-1"}', headers=headers)
        )
        assert first.status_code == 201, first.text
        other_layout = b'{\n  "payment_id" : "pay-1",\n  "plan" : "points-120"\n}'
        replayed(await api.client.post(path, content=other_layout, headers=headers), first)
        assert len(await entries(api, "purchase")) == 1

    async def test_same_key_other_body_is_refused(self, api):
        await api.account()
        first = fresh(await buy(api, "pay-1", "k-1"))
        assert first.status_code == 201
        r = await buy(api, "pay-2", "k-1")
        assert REPLAYED not in r.headers
        problem_without_traceback(r, 422, "idempotency-key-reused")
        r = await buy(api, "pay-1", "k-1", plan="points-60")
        problem_without_traceback(r, 422, "idempotency-key-reused")
        assert len(await entries(api, "purchase")) == 1
        replayed(await buy(api, "pay-1", "k-1"), first)  # the original request still replays

    async def test_same_key_other_path_is_refused(self, api):
        await api.account("acme")
        await api.account("other")
        assert (await buy(api, "pay-1", "k-1")).status_code == 201
        problem_without_traceback(await buy(api, "pay-1", "k-1", account_id="other"), 422, "idempotency-key-reused")
        assert await entries(api, "purchase", "other") == []

    async def test_keys_are_scoped_to_the_api_key(self, api):
        await api.account()
        billing = fresh(await buy(api, "pay-1", "shared", role="billing"))
        admin = fresh(await buy(api, "pay-2", "shared", role="admin"))
        assert (billing.status_code, admin.status_code) == (201, 201)
        assert billing.json()["lot"]["id"] != admin.json()["lot"]["id"]
        assert len(await entries(api, "purchase")) == 2
        assert figures(await api.balance()) == (240, 0, 0)
        replayed(await buy(api, "pay-1", "shared", role="billing"), billing)
        replayed(await buy(api, "pay-2", "shared", role="admin"), admin)
        # the same body under the other API key is that key's own request, not a replay
        r = fresh(await buy(api, "pay-2", "shared-2", role="billing"))
        assert r.status_code == 200
        assert [e["actor"] for e in await entries(api, "purchase")] == ["test-admin", "test-billing"]

    async def test_other_post_endpoints_replay_too(self, api):
        await api.account()
        await api.buy()
        r = await api.post("/v1/accounts/acme/adjustments", {"points": 7, "reason": "goodwill"}, headers=key("k-adj"))
        assert r.status_code == 201, r.text
        replayed(
            await api.post("/v1/accounts/acme/adjustments", {"points": 7, "reason": "goodwill"}, headers=key("k-adj")),
            r,
        )
        lic = {"license_key": "LIC-1", "product": "default"}
        r = await api.post("/v1/accounts/acme/licenses", lic, role="billing", headers=key("k-lic"))
        assert r.status_code == 201, r.text
        replayed(await api.post("/v1/accounts/acme/licenses", lic, role="billing", headers=key("k-lic")), r)
        assert figures(await api.balance()) == (187, 0, 0)
        assert len(await entries(api, "adjustment")) == 1
        assert len(await entries(api, "license_bonus")) == 1


# ---- the key's syntax ------------------------------------------------------------------------


class TestKeySyntax:
    @pytest.mark.parametrize(
        "value",
        ["", "x" * 256, "clé".encode(), "tab\there", "del\x7f"],
        ids=["empty", "256-chars", "non-ascii", "tab", "del"],
    )
    async def test_invalid_key(self, api, value):
        await api.account()
        r = await buy(api, "pay-1", value)
        invalid_without_traceback(r, "#/header/idempotency-key")
        assert await entries(api, "purchase") == []

    @pytest.mark.parametrize(
        "value", ["x" * 255, "a", " !~ spaces and punctuation ~! "], ids=["255-chars", "one", "printable"]
    )
    async def test_valid_key(self, api, value):
        await api.account()
        first = fresh(await buy(api, "pay-1", value))
        assert first.status_code == 201, first.text
        replayed(await buy(api, "pay-1", value), first)
        assert len(await entries(api, "purchase")) == 1


# ---- which answers are stored -----------------------------------------------------------------


class TestStoredAnswers:
    async def test_a_409_is_stored_and_replayed_after_a_top_up(self, api):
        await api.account()
        first = fresh(await open_ticket(api, "k-open"))
        body = problem_without_traceback(first, 409, "insufficient-points")
        assert (body["available"], body["required"]) == (0, 25)
        await api.buy()
        assert figures(await api.balance()) == (120, 0, 0)
        for _ in range(3):
            replayed(await open_ticket(api, "k-open"), first)
        assert await tickets(api) == []
        assert figures(await api.balance()) == (120, 0, 0)
        # another key is another request
        assert fresh(await open_ticket(api, "k-open-2")).status_code == 201
        assert figures(await api.balance()) == (95, 25, 0)

    async def test_a_409_conflict_is_stored(self, api):
        await api.account()
        await api.buy()
        await api.open(ref="T-1")
        first = fresh(await open_ticket(api, "k-dup", ref="T-1"))
        problem_without_traceback(first, 409, "conflict")
        replayed(await open_ticket(api, "k-dup", ref="T-1"), first)
        assert len(await tickets(api)) == 1

    async def test_a_412_is_stored(self, api):
        await api.account()
        await api.buy()
        ticket = await api.open()
        path = f"/v1/tickets/{ticket['id']}/resolve"
        first = fresh(await api.post(path, {}, role="helpdesk", headers={**key("k-res"), "If-Match": '"7"'}))
        assert problem_without_traceback(first, 412, "precondition-failed")["current_version"] == 1
        # If-Match is not part of the fingerprint: the corrected retry gets the stored 412
        replayed(await api.post(path, {}, role="helpdesk", headers={**key("k-res"), "If-Match": '"1"'}), first)
        r = await api.get(f"/v1/tickets/{ticket['id']}")
        assert (r.json()["status"], r.json()["version"]) == ("open", 1)

    async def test_a_404_is_stored(self, api):
        first = fresh(await buy(api, "pay-1", "k-404", account_id="late"))
        problem_without_traceback(first, 404, "not-found")
        await api.account("late")
        replayed(await buy(api, "pay-1", "k-404", account_id="late"), first)
        assert await entries(api, "purchase", "late") == []

    async def test_a_body_validation_422_is_not_stored(self, api):
        await api.account()
        await api.buy()
        r = await api.post("/v1/accounts/acme/tickets", {"external_ref": "T-1"}, role="helpdesk", headers=key("k-422"))
        invalid_without_traceback(r, "#/category")
        assert REPLAYED not in r.headers
        r = fresh(await open_ticket(api, "k-422"))
        assert r.status_code == 201, r.text
        replayed(await open_ticket(api, "k-422"), r)
        assert len(await tickets(api)) == 1

    async def test_a_rule_422_from_the_command_is_not_stored(self, api):
        await api.account()
        await api.buy()
        r = await open_ticket(api, "k-422", category="no-such-category")
        problem_without_traceback(r, 422, "validation-error")
        r = fresh(await open_ticket(api, "k-422"))
        assert r.status_code == 201, r.text
        assert figures(await api.balance()) == (95, 25, 0)

    async def test_a_malformed_json_422_is_not_stored(self, api):
        await api.account()
        headers = {**api.auth("billing"), **key("k-422"), "content-type": "application/json"}
        r = await api.client.post("/v1/accounts/acme/purchases", content=b'{"plan": ', headers=headers)
        invalid_without_traceback(r, "#")
        r = fresh(await buy(api, "pay-1", "k-422"))
        assert r.status_code == 201, r.text

    async def test_401_and_403_are_not_stored(self, api):
        await api.account()
        r = await buy(api, "pay-1", "k-1", role="helpdesk")  # helpdesk may not record purchases
        problem_without_traceback(r, 403, "forbidden")
        r = await api.client.post(
            "/v1/accounts/acme/purchases",
            json={"plan": "points-120", "payment_id": "pay-1"},
            headers={"Authorization": "Bearer nope", **key("k-1")},
        )
        problem_without_traceback(r, 401, "unauthorized")
        # the same key string, by the helpdesk key, on something it may do: a new request
        await api.buy()
        assert fresh(await open_ticket(api, "k-1")).status_code == 201


# ---- If-Match ----------------------------------------------------------------------------------


class TestReplayBeforeIfMatch:
    async def test_resolve_replays_instead_of_412(self, api):
        await api.account()
        await api.buy()
        ticket = await api.open()
        path = f"/v1/tickets/{ticket['id']}/resolve"
        headers = {**key("k-res"), "If-Match": '"1"'}
        first = fresh(await api.post(path, {"note": "done"}, role="helpdesk", headers=headers))
        assert first.status_code == 200, first.text
        assert first.headers["etag"] == '"2"'
        assert (first.json()["status"], first.json()["version"]) == ("resolved", 2)
        again = replayed(await api.post(path, {"note": "done"}, role="helpdesk", headers=headers), first)
        assert again.headers["etag"] == '"2"'
        assert len(await entries(api, "deduction")) == 1
        assert figures(await api.balance()) == (95, 0, 25)
        # without the key, the stale If-Match is looked at
        r = await api.post(path, {"note": "done"}, role="helpdesk", headers={"If-Match": '"1"'})
        assert problem_without_traceback(r, 412, "precondition-failed")["current_version"] == 2

    async def test_a_replay_is_answered_before_a_malformed_if_match(self, api):
        await api.account()
        await api.buy()
        ticket = await api.open()
        path = f"/v1/tickets/{ticket['id']}/refund"
        first = await api.post(path, {"reason": "duplicate"}, role="helpdesk", headers=key("k-ref"))
        assert first.status_code == 200, first.text
        r = await api.post(
            path, {"reason": "duplicate"}, role="helpdesk", headers={**key("k-ref"), "If-Match": "garbage"}
        )
        replayed(r, first)


# ---- concurrency ---------------------------------------------------------------------------------


class TestConcurrentTwins:
    async def test_fifty_twins_open_one_ticket(self, api):
        await api.account()
        await api.buy()
        responses = await asyncio.gather(*(open_ticket(api, "k-twin") for _ in range(50)))
        codes = [r.status_code for r in responses]
        assert all(c < 500 for c in codes), [r.text for r in responses if r.status_code >= 500]
        assert set(codes) <= {201, 409}, codes
        created = [r for r in responses if r.status_code == 201]
        originals = [r for r in created if REPLAYED not in r.headers]
        assert len(originals) == 1
        for r in created:
            replayed(r, originals[0]) if r is not originals[0] else None
        for r in responses:
            if r.status_code == 409:
                problem_without_traceback(r, 409, "idempotency-in-progress")
                assert REPLAYED not in r.headers
        [ticket] = await tickets(api)
        assert ticket["id"] == originals[0].json()["id"]
        assert len(await entries(api, "capture")) == 1
        assert figures(await api.balance()) == (95, 25, 0)

    async def test_twenty_twins_of_a_409_answer_it_once(self, api):
        await api.account()
        responses = await asyncio.gather(*(open_ticket(api, "k-poor") for _ in range(20)))
        assert [r.status_code for r in responses] == [409] * 20
        originals = [r for r in responses if REPLAYED not in r.headers]
        assert len(originals) == 1
        body = problem_without_traceback(originals[0], 409, "insufficient-points")
        assert (body["available"], body["required"]) == (0, 25)
        for r in responses:
            if r is not originals[0]:
                replayed(r, originals[0])
        assert await tickets(api) == []

    async def test_ten_different_requests_racing_for_one_key(self, api):
        await api.account()
        responses = await asyncio.gather(*(buy(api, f"pay-{n}", "k-race") for n in range(10)))
        codes = sorted(r.status_code for r in responses)
        assert codes.count(201) == 1, [r.text for r in responses]
        for r in responses:
            if r.status_code != 201:
                slug = r.json()["type"].removeprefix("/problems/")
                assert (r.status_code, slug) in {(422, "idempotency-key-reused"), (409, "idempotency-in-progress")}, (
                    r.text
                )
        assert len(await entries(api, "purchase")) == 1
        assert figures(await api.balance()) == (120, 0, 0)


# ---- a twin that cannot wait long enough -----------------------------------------------------


@pytest.mark.parametrize("lock_timeout_ms", [5000, 200], ids=["default-lock-timeout", "short-lock-timeout"])
async def test_a_twin_waits_at_most_the_idempotency_wait(api, settings, monkeypatch, request, lock_timeout_ms):
    """The first request takes 3 s (its command sleeps after the effect); a twin arriving meanwhile
    may wait POINTS_IDEMPOTENCY_WAIT (0.5 s here) and must then answer 409 idempotency-in-progress;
    once the first is done, the twin's retry replays it."""

    import time

    from points_service.services.grants import Purchase
    from points_service.services.uow import Database

    real = Purchase.apply

    def slow(self: Purchase, tx: Any) -> Any:
        result = real(self, tx)
        time.sleep(3)  # in the writer thread, holding its batch open
        return result

    monkeypatch.setattr(Purchase, "apply", slow)
    tuned = settings.model_copy(update={"idempotency_wait": 0.5, "db_lock_timeout_ms": lock_timeout_ms})
    db = Database.from_settings(tuned)
    app = create_app(tuned, clock=api.clock, database=db)
    await api.account()
    headers = {**api.auth("billing"), **key("k-slow")}
    body = {"plan": "points-120", "payment_id": "pay-1"}
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:

            async def twin() -> tuple[httpx.Response, float]:
                await asyncio.sleep(0.5)
                started = asyncio.get_running_loop().time()
                r = await client.post("/v1/accounts/acme/purchases", json=body, headers=headers)
                return r, asyncio.get_running_loop().time() - started

            first, (second, waited) = await asyncio.gather(
                client.post("/v1/accounts/acme/purchases", json=body, headers=headers), twin()
            )
            assert first.status_code == 201, first.text
            problem_without_traceback(second, 409, "idempotency-in-progress")
            assert waited < 2.0, waited
            replayed(await client.post("/v1/accounts/acme/purchases", json=body, headers=headers), first)
    finally:
        await db.dispose()
    assert len(await entries(api, "purchase")) == 1


# ---- faults ------------------------------------------------------------------------------------


@pytest.fixture
async def fragile(api, settings: Settings):
    """A second app over the same database and clock whose client receives 500 answers instead of
    the exceptions behind them (the `api` client re-raises them, as ASGITransport does by default)."""
    app = create_app(settings, clock=api.clock, database=api.db)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


class TestFaults:
    async def test_fault_after_commit_then_retry_replays(self, api, fragile, monkeypatch):
        """The purchase commits, then building the HTTP response fails: the client sees a 500.
        `writes.execute` builds its answer with the module's `Response` only after `db.write`
        returned (i.e. after the commit), so the first such construction is made to raise."""
        await api.account()
        real = writes.Response
        calls = {"n": 0}

        def exploding(*args: Any, **kwargs: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 1:
                raise RuntimeError("injected fault after commit")
            return real(*args, **kwargs)

        monkeypatch.setattr(writes, "Response", exploding)
        headers = {**api.auth("billing"), **key("k-fault")}
        body = {"plan": "points-120", "payment_id": "pay-1"}
        r = await fragile.post("/v1/accounts/acme/purchases", json=body, headers=headers)
        problem_without_traceback(r, 500, "internal-error")
        assert "injected" not in r.text
        assert calls["n"] == 1
        # the effect committed
        [entry] = await entries(api, "purchase")
        assert figures(await api.balance()) == (120, 0, 0)

        r = await fragile.post("/v1/accounts/acme/purchases", json=body, headers=headers)
        assert r.status_code == 201, r.text
        assert r.headers[REPLAYED] == "true"
        assert r.json()["lot"]["id"] == entry["lot_id"]
        assert r.json()["balance"]["available"] == 120
        assert len(await entries(api, "purchase")) == 1
        assert figures(await api.balance()) == (120, 0, 0)

    async def test_fault_before_commit_stores_nothing(self, api, fragile, monkeypatch):
        """Presenting the result runs inside the transaction: a failure there rolls back the effect
        and the key together, and the retry applies the request once."""
        await api.account()
        real = grants_router._granted
        armed = {"on": True}  # every run of the command fails until the test disarms it

        def exploding(granted: Any) -> Any:
            if armed["on"]:
                raise RuntimeError("injected fault before commit")
            return real(granted)

        monkeypatch.setattr(grants_router, "_granted", exploding)
        headers = {**api.auth("billing"), **key("k-fault")}
        body = {"plan": "points-120", "payment_id": "pay-1"}
        r = await fragile.post("/v1/accounts/acme/purchases", json=body, headers=headers)
        problem_without_traceback(r, 500, "internal-error")
        assert await entries(api, "purchase") == []
        assert figures(await api.balance()) == (0, 0, 0)
        armed["on"] = False

        r = await fragile.post("/v1/accounts/acme/purchases", json=body, headers=headers)
        assert r.status_code == 201, r.text
        assert REPLAYED not in r.headers
        assert len(await entries(api, "purchase")) == 1
        replayed(await fragile.post("/v1/accounts/acme/purchases", json=body, headers=headers), r)


# ---- retention ---------------------------------------------------------------------------------


class TestPurge:
    async def test_keys_are_kept_24_hours_then_swept(self, api):
        await api.account()
        first = fresh(await buy(api, "pay-1", "k-old"))
        assert first.status_code == 201

        api.clock.advance(timedelta(hours=23, minutes=59))
        r = await api.post("/v1/admin/expire")
        assert r.status_code == 200, r.text
        replayed(await buy(api, "pay-1", "k-old"), first)
        problem_without_traceback(await buy(api, "pay-2", "k-old"), 422, "idempotency-key-reused")

        api.clock.advance(timedelta(hours=1, minutes=1))  # 25 hours after the first request
        r = await api.post("/v1/admin/expire")
        assert r.status_code == 200, r.text
        r = fresh(await buy(api, "pay-2", "k-old"))
        assert r.status_code == 201, r.text
        assert len(await entries(api, "purchase")) == 2
        assert figures(await api.balance()) == (240, 0, 0)
        # and the key now belongs to the new request
        replayed(await buy(api, "pay-2", "k-old"), r)
        problem_without_traceback(await buy(api, "pay-1", "k-old"), 422, "idempotency-key-reused")
