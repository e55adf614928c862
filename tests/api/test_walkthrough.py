"""The seed walkthrough of the issue, as one test, asserting every number."""

from __future__ import annotations

from support.figures import figures


async def test_seed_walkthrough(api):
    await api.account("acme")

    await api.buy("acme", "points-120")
    assert figures(await api.balance()) == (120, 0, 0)

    store = await api.open("acme", "store-problem", ref="HD-1")
    assert store["captured_points"] == 25
    assert figures(await api.balance()) == (95, 25, 0)

    r = await api.post(
        f"/v1/tickets/{store['id']}/adjust", {"points": 40, "reason": "additional investigation"}, role="helpdesk"
    )
    assert r.status_code == 200, r.text
    assert figures(await api.balance()) == (80, 40, 0)

    r = await api.post(f"/v1/tickets/{store['id']}/resolve", {}, role="helpdesk")
    assert r.status_code == 200, r.text
    assert figures(await api.balance()) == (80, 0, 40)

    r = await api.post(
        "/v1/accounts/acme/tickets", {"external_ref": "HD-2", "category": "installation"}, role="helpdesk"
    )
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "/problems/insufficient-points"
    assert (r.json()["available"], r.json()["required"]) == (80, 150)

    await api.buy("acme", "points-120")
    assert figures(await api.balance()) == (200, 0, 40)

    install = await api.open("acme", "installation", ref="HD-2")
    assert figures(await api.balance()) == (50, 150, 40)

    r = await api.post(f"/v1/tickets/{install['id']}/refund", {"reason": "software_bug"}, role="helpdesk")
    assert r.status_code == 200, r.text
    assert figures(await api.balance()) == (200, 0, 40)

    r = await api.get("/v1/accounts/acme/statement")
    assert r.status_code == 200
    statement = r.json()
    modifications = statement["modifications"]["items"]
    assert [(e["kind"], e["available_delta"]) for e in modifications] == [("purchase", 120), ("purchase", 120)]
    assert statement["in_progress"]["items"] == []
    closed = {t["external_ref"]: t for t in statement["closed"]["items"]}
    assert list(closed) == ["HD-2", "HD-1"]
    assert (closed["HD-2"]["status"], closed["HD-2"]["charged_points"], closed["HD-2"]["returned_points"]) == (
        "refunded",
        150,
        150,
    )
    assert (closed["HD-1"]["status"], closed["HD-1"]["charged_points"], closed["HD-1"]["deducted_points"]) == (
        "resolved",
        40,
        40,
    )

    # docs/design.md §6: available = Σ part-1 deltas − Σ part-2 captured − Σ part-3 (charged − returned)
    part1 = sum(e["available_delta"] for e in modifications)
    part2 = sum(t["captured_points"] for t in statement["in_progress"]["items"])
    part3 = sum(t["charged_points"] - t["returned_points"] for t in statement["closed"]["items"])
    assert statement["balance"]["available"] == part1 - part2 - part3 == 200
    assert statement["balance"]["deducted"] == part3 == 40
