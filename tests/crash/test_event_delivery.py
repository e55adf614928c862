"""Crash test of the outbox: the service is SIGKILLed right after its writes are acknowledged,
and again while a delivery is on the wire; after the restarts every committed event reaches the
receiver, none is lost, and a delivery sent twice carries the same `webhook-id`.

1. With the dispatcher off, the writes are acknowledged (their events committed, none sent),
   then the service is killed: the events exist only in the database.
2. Restarted with the dispatcher on, the receiver holds the first request it gets (it hangs),
   and the service is killed as soon as that request arrives: a delivery is on the wire, its
   outcome never recorded.
3. Restarted again, the receiver answers 200: every committed event must arrive (the one on the
   wire again, once its lease runs out or its timeout is recorded), each signed, each request's
   `webhook-id` its event's id.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from support.receivers import Receiver, example_receiver

PURCHASES = 12
DEADLINE = 90.0  # seconds for every event to arrive after the last restart (the lease is 7 s)


def _events(http: httpx.Client) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        r = http.get("/v1/events", params={"limit": 500, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        found.update((e["id"], e) for e in r.json()["items"])
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return found


def _client(cluster: Any, role: str = "admin") -> httpx.Client:
    return httpx.Client(base_url=cluster.base_url, headers=cluster.auth(role), timeout=15.0)


def _wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_every_committed_event_is_pushed_after_sigkills(crash_cluster: Any) -> None:
    cluster = crash_cluster
    receiver = Receiver().start()
    verify = example_receiver().verify
    try:
        base = {
            "POINTS_WEBHOOK_ALLOW_PRIVATE": "true",
            "POINTS_WEBHOOK_TIMEOUT": "1",
            "POINTS_DISPATCH_INTERVAL": "0.1",
        }
        cluster.settings.update(base, POINTS_DISPATCH="false")
        cluster.stop()
        cluster.start()
        with _client(cluster) as admin, _client(cluster, "billing") as billing:
            r = admin.post("/v1/webhook-endpoints", json={"url": receiver.url, "event_types": ["*"]})
            assert r.status_code == 201, r.text
            secret = r.json()["secret"]
            assert admin.put("/v1/accounts/acme", json={}).status_code == 201
            for n in range(PURCHASES):
                r = billing.post("/v1/accounts/acme/purchases", json={"plan": "points-60", "payment_id": f"p-{n}"})
                assert r.status_code == 201, r.text
        cluster.kill()  # right after the last commit was acknowledged: every event still unsent
        assert receiver.received == []

        receiver.hang = 30.0  # holds the first delivery on the wire
        cluster.settings.update(base, POINTS_DISPATCH="true")
        cluster.start()
        _wait_for(lambda: receiver.received, 30.0, "the first delivery")
        cluster.kill()  # its outcome is never recorded
        on_the_wire = receiver.received[0].headers["webhook-id"]

        receiver.hang = 0.0
        cluster.start()
        with _client(cluster) as admin:
            committed = _events(admin)
        assert len(committed) == PURCHASES + 1  # account.created and one points.granted per purchase

        def arrived() -> bool:
            ids = [got.headers["webhook-id"] for got in receiver.received]
            # every committed event, and the one cut off by the kill a second time
            return set(ids) >= committed.keys() and ids.count(on_the_wire) >= 2

        _wait_for(arrived, DEADLINE, "every committed event, and the one on the wire again")
        for got in receiver.received:
            event = verify(secret, got.headers, got.body)
            assert event["id"] == got.headers["webhook-id"], "a retry keeps its event's webhook-id"
            assert event == committed[event["id"]]
        seqs = sorted(e["seq"] for e in committed.values())
        assert seqs == list(range(1, PURCHASES + 2))
    finally:
        receiver.stop()
