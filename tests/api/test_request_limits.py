"""The head's limits, before any route (api/limits.py `HeadGuard`): a request target over 8 KiB is a
414 `uri-too-long`; a header field over 8 KiB, or header fields over 32 KiB in all, a 431
`request-header-fields-too-large`. Each is a problem document, and nothing is stored.

(The server's own bound, a head over 64 KiB refused before it is read whole, is
tests/live/test_head_limit.py: it needs a real connection.)
"""

from __future__ import annotations

from typing import Any

from points_service.api.limits import MAX_FIELD_BYTES, MAX_FIELDS_BYTES, MAX_TARGET_BYTES

from support.problems import problem, problem_without_traceback

PURCHASE = {"plan": "points-120", "payment_id": "pay-limits"}


def padding(name: str, field_bytes: int) -> dict[str, str]:
    """A header field `<name>: <value>\\r\\n` exactly `field_bytes` long."""
    return {name: "p" * (field_bytes - len(name) - 4)}


async def purchase(api: Any, **kwargs: Any) -> Any:
    return await api.post("/v1/accounts/acme/purchases", PURCHASE, role="billing", **kwargs)


async def assert_nothing_bought(api: Any) -> None:
    assert (await api.balance())["available"] == 0
    lots = await api.get("/v1/accounts/acme/lots")
    assert lots.status_code == 200 and lots.json()["items"] == [], lots.text


class TestHeaderFields:
    async def test_a_field_over_8_kib_is_a_431_and_nothing_is_stored(self, api):
        await api.account()
        r = await purchase(api, headers=padding("X-Padding", MAX_FIELD_BYTES + 1))
        body = problem_without_traceback(r, 431, "request-header-fields-too-large")
        assert "x-padding" in body["detail"] and str(MAX_FIELD_BYTES) in body["detail"]
        await assert_nothing_bought(api)

    async def test_an_oversized_authorization_header_is_a_431_not_a_401(self, api):
        r = await api.get("/v1/plans", role="", headers={"Authorization": "Bearer " + "k" * (1024 * 1024)})
        problem(r, 431, "request-header-fields-too-large")

    async def test_fields_over_32_kib_in_all_are_a_431_and_nothing_is_stored(self, api):
        await api.account()
        many = {f"X-Padding-{i}": "p" * 1000 for i in range(MAX_FIELDS_BYTES // 1000 + 1)}  # each well under 8 KiB
        r = await purchase(api, headers=many)
        body = problem(r, 431, "request-header-fields-too-large")
        assert str(MAX_FIELDS_BYTES) in body["detail"]
        await assert_nothing_bought(api)

    async def test_a_4_kib_field_and_fields_just_under_the_total_pass(self, api):
        await api.account()
        assert (await purchase(api, headers={"X-Padding": "p" * 4096})).status_code == 201
        room_for_the_clients_own = 1024  # Host, Authorization, Accept, User-Agent…
        sizes = [MAX_FIELD_BYTES] * 3 + [MAX_FIELDS_BYTES - 3 * MAX_FIELD_BYTES - room_for_the_clients_own]
        under: dict[str, str] = {}
        for i, size in enumerate(sizes):
            under |= padding(f"X-Padding-{i}", size)
        r = await api.get("/v1/plans", headers=under)
        assert r.status_code == 200, r.text
        assert (await api.balance())["available"] == 120

    async def test_a_field_of_exactly_8_kib_passes(self, api):
        r = await api.get("/v1/plans", headers=padding("X-Padding", MAX_FIELD_BYTES))
        assert r.status_code == 200, r.text


class TestRequestTarget:
    async def test_a_target_over_8_kib_is_a_414(self, api):
        await api.account()
        query = "x" * MAX_TARGET_BYTES
        r = await api.post(f"/v1/accounts/acme/purchases?{query}", PURCHASE, role="billing")
        body = problem_without_traceback(r, 414, "uri-too-long")
        assert str(MAX_TARGET_BYTES) in body["detail"]
        await assert_nothing_bought(api)
        long_path = await api.get("/v1/accounts/" + "a" * MAX_TARGET_BYTES)
        problem(long_path, 414, "uri-too-long")

    async def test_a_long_target_under_the_limit_reaches_the_route(self, api):
        r = await api.get("/v1/plans?" + "x=1&" * 1500)  # 6 KiB of query string, ignored by the route
        assert r.status_code == 200, r.text


async def test_both_problem_types_are_described(api):
    for slug, status in (("uri-too-long", 414), ("request-header-fields-too-large", 431)):
        r = await api.get(f"/problems/{slug}", role="")
        assert r.status_code == 200 and f"({status})" in r.text, r.text
