"""Webhook endpoints under the default policy: only admins manage them, private targets are
refused at creation (POINTS_WEBHOOK_ALLOW_PRIVATE is false), and the secret is shown only when made."""

from __future__ import annotations

import pytest

from conftest import Api

PUBLIC = "https://93.184.216.34/hooks"  # a public address: no name to resolve


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/", "http://[::1]/", "http://10.0.0.1/", "http://169.254.169.254/", "http://localhost/"]
)
async def test_private_targets_are_refused_at_creation(api: Api, url: str) -> None:
    r = await api.post("/v1/webhook-endpoints", {"url": url, "event_types": ["*"]})
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["type"] == "/problems/validation-error"
    assert [e["pointer"] for e in problem["errors"]] == ["#/url"]


async def test_only_admins_manage_endpoints(api: Api) -> None:
    body = {"url": PUBLIC, "event_types": ["points.granted"]}
    for role in ("billing", "helpdesk", "viewer"):
        assert (await api.post("/v1/webhook-endpoints", body, role=role)).status_code == 403
        assert (await api.get("/v1/webhook-endpoints", role=role)).status_code == 403
    created = await api.post("/v1/webhook-endpoints", body)
    assert created.status_code == 201, created.text
    ep = created.json()
    for role in ("billing", "helpdesk", "viewer"):
        assert (await api.get(f"/v1/webhook-endpoints/{ep['id']}", role=role)).status_code == 403
        assert (await api.post(f"/v1/webhook-endpoints/{ep['id']}/disable", role=role)).status_code == 403
        assert (await api.request("DELETE", f"/v1/webhook-endpoints/{ep['id']}", role=role)).status_code == 403


async def test_the_secret_is_shown_only_when_it_is_made(api: Api) -> None:
    r = await api.post("/v1/webhook-endpoints", {"url": PUBLIC, "event_types": ["*"], "description": "crm"})
    assert r.status_code == 201
    ep = r.json()
    assert ep["id"].startswith("we_") and ep["secret"].startswith("whsec_") and ep["enabled"] is True
    shown = [
        (await api.get(f"/v1/webhook-endpoints/{ep['id']}")).json(),
        (await api.get("/v1/webhook-endpoints")).json()["items"][0],
        (await api.post(f"/v1/webhook-endpoints/{ep['id']}/disable")).json(),
        (await api.post(f"/v1/webhook-endpoints/{ep['id']}/enable")).json(),
    ]
    for body in shown:
        assert "secret" not in body and ep["secret"] not in str(body)
    assert shown[2]["enabled"] is False and shown[2]["disabled_reason"] == "disabled by test-admin"
    rotated = (await api.post(f"/v1/webhook-endpoints/{ep['id']}/rotate-secret")).json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != ep["secret"]
    deliveries = await api.get(f"/v1/webhook-endpoints/{ep['id']}/deliveries")
    assert deliveries.json() == {"items": [], "next_cursor": None}
    assert (await api.request("DELETE", f"/v1/webhook-endpoints/{ep['id']}")).status_code == 204
    assert (await api.get(f"/v1/webhook-endpoints/{ep['id']}")).status_code == 404
    assert (await api.request("DELETE", f"/v1/webhook-endpoints/{ep['id']}")).status_code == 404


async def test_unknown_event_types_and_accounts_are_refused(api: Api) -> None:
    r = await api.post("/v1/webhook-endpoints", {"url": PUBLIC, "event_types": ["points.stolen"]})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#/event_types/0"
    r = await api.post("/v1/webhook-endpoints", {"url": PUBLIC, "event_types": ["*"], "account_id": "nobody"})
    assert r.status_code == 422 and r.json()["errors"] == [
        {"pointer": "#/account_id", "detail": "account 'nobody' does not exist"}
    ]


async def test_the_list_is_paged(api: Api) -> None:
    for n in range(3):
        r = await api.post("/v1/webhook-endpoints", {"url": f"{PUBLIC}/{n}", "event_types": ["*"]})
        assert r.status_code == 201
    first = (await api.get("/v1/webhook-endpoints", params={"limit": 2})).json()
    second = (await api.get("/v1/webhook-endpoints", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    urls = [e["url"] for e in first["items"] + second["items"]]
    assert urls == [f"{PUBLIC}/{n}" for n in range(3)] and second["next_cursor"] is None


async def test_create_replays_its_idempotency_key(api: Api) -> None:
    body = {"url": PUBLIC, "event_types": ["*"]}
    first = await api.post("/v1/webhook-endpoints", body, headers={"Idempotency-Key": "ep-1"})
    again = await api.post("/v1/webhook-endpoints", body, headers={"Idempotency-Key": "ep-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    assert len((await api.get("/v1/webhook-endpoints")).json()["items"]) == 1
