"""Two `points-service serve` processes on one PostgreSQL database share one outbox: each event is
delivered once to each endpoint, and both processes deliver.

Two single-worker service processes (each one process, so each `/metrics` counts exactly one
dispatcher's attempts) run their dispatchers on the same database. Two loopback receivers are
made endpoints through the API, then purchases and ticket opens on several accounts go to both
processes in turn. Once every event the outbox holds (`GET /v1/events`) has reached both receivers
and both processes' delivered counters add up to every delivery, each receiver must hold each
event exactly once (by `webhook-id`), every signature must verify, and each account's events must
carry seq 1, 2, … n.

**Why both processes must deliver, whatever the scheduling.** A dispatcher has at most one
delivery in flight per endpoint (`services.dispatch`: a process claims an endpoint's next delivery
only when its previous one is recorded). Each receiver holds the first of each pair of its first
`PAIRED` requests until the second has arrived (`Receiver.pair_first`): the holding process can
send nothing more to that receiver meanwhile, so the second of the pair can only come from the
other process, and the pair is answered only once it has. So each process makes at least
`PAIRED / 2` of each receiver's deliveries, every run; its own `/metrics` must say so. No wait
may time out (`unpaired == 0`): one that did would mean the other process never claimed.

Arrival order is not asserted: two processes send at once, and even one process may send an event
before its predecessor when the two fanned out the events in concurrent transactions; `seq` is
what lets a receiver order them (README, "Receiving events").
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from support.live import Live
from support.receivers import Receivers, example_receiver
from support.receivers import receivers as _receivers
from support.servers import EXE, Server, make_keys, run_cli

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

ACCOUNTS = 6
OPS_PER_ACCOUNT = 7  # buy, open, buy, open, …: 42 requests, 48 events with the accounts' creations
PAIRED = 20  # of each receiver's requests, held in pairs: each process makes at least 10 of them
DEADLINE = 30.0  # seconds for every delivery once the events are written (they take ~2 s)

# one worker: the process answering /metrics is the one whose dispatcher it counts
ONE_PROCESS = [str(EXE), "serve", "--host", "127.0.0.1", "--workers", "1"]

verify = example_receiver().verify


@pytest.fixture
def receivers() -> Iterator[Receivers]:
    yield from _receivers()


@pytest.fixture(autouse=True)
def _dispatch_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read by the service processes when they start (support.servers.server_env copies os.environ)."""
    monkeypatch.setenv("POINTS_DISPATCH", "true")
    monkeypatch.setenv("POINTS_DISPATCH_INTERVAL", "0.05")  # a round every 50 ms when idle
    monkeypatch.setenv("POINTS_WEBHOOK_ALLOW_PRIVATE", "true")  # the receivers listen on loopback
    monkeypatch.setenv("POINTS_WEBHOOK_TIMEOUT", "10")  # longer than any hold of a pair (`pair_timeout`)
    monkeypatch.setenv("POINTS_SWEEP_INTERVAL", "PT0S")  # no time-driven events beside the scripted ones


@pytest.fixture
def servers(database_url: str, start_server: Callable[..., Server]) -> Iterator[list[Server]]:
    """Two service processes on the test's database; it must verify clean once they have stopped."""
    keys = make_keys(database_url, "twoproc")
    started = [start_server(database_url, ONE_PROCESS, keys, name=f"server-{n}") for n in ("a", "b")]
    yield started
    for server in started:
        server.stop()
    checked = run_cli(database_url, "verify")
    assert checked.returncode == 0, f"points-service verify failed:\n{checked.stdout}\n{checked.stderr}"


def deliveries(server: Server) -> dict[str, float]:
    """This process's `points_event_deliveries_total` by outcome (its own dispatcher's attempts)."""
    r = httpx.get(f"{server.base_url}/metrics", timeout=10.0)
    assert r.status_code == 200, r.text
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(r.text):
        if family.name == "points_event_deliveries":
            for sample in family.samples:
                if sample.name == "points_event_deliveries_total":
                    found[sample.labels["outcome"]] = sample.value
    return found


async def events(live: Live) -> dict[str, dict[str, Any]]:
    """Every event the outbox holds, by id, in the order `GET /v1/events` lists them."""
    return {e["id"]: e for e in await live.pages("/v1/events")}


async def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {seconds:.0f} s waiting for {what}"
        await asyncio.sleep(0.05)


async def test_two_processes_share_one_outbox_each_event_delivered_once_per_endpoint(
    servers: list[Server], receivers: Receivers
) -> None:
    first, second = receivers(pair_first=PAIRED), receivers(pair_first=PAIRED)
    async with servers[0].client() as http_a, servers[1].client() as http_b:
        lives = [Live(servers[0], http_a), Live(servers[1], http_b)]
        secrets: dict[int, str] = {}
        for live, receiver in zip(lives, (first, second), strict=True):  # one endpoint made on each
            r = await live.post("/v1/webhook-endpoints", {"url": receiver.url, "event_types": ["*"]})
            assert r.status_code == 201, r.text
            secrets[id(receiver)] = r.json()["secret"]

        async def script(n: int) -> None:
            """One account's requests, each to the other process than the one before."""
            account = f"acct-{n}"
            await lives[n % 2].account(account)
            for op in range(OPS_PER_ACCOUNT):
                live = lives[(n + op + 1) % 2]
                if op % 2 == 0:
                    await live.buy(account, plan="points-120")
                else:
                    await live.open(account, points=30)

        await asyncio.gather(*(script(n) for n in range(ACCOUNTS)))
        committed = await events(lives[0])
        assert len(committed) == ACCOUNTS * (1 + OPS_PER_ACCOUNT)
        assert await events(lives[1]) == committed  # one outbox

        def all_delivered() -> bool:
            counted = sum(deliveries(server).get("delivered", 0) for server in servers)
            return counted >= 2 * len(committed) and all(
                {got.headers["webhook-id"] for got in receiver.received} >= committed.keys()
                for receiver in (first, second)
            )

        began = time.monotonic()
        await wait_for(all_delivered, DEADLINE, "every event at both receivers")
        waited = time.monotonic() - began

    per_process = [deliveries(server) for server in servers]
    for receiver in (first, second):
        ids = Counter(got.headers["webhook-id"] for got in receiver.received)
        twice = {event_id: n for event_id, n in ids.items() if n > 1}
        assert not twice, f"delivered more than once to one endpoint: {twice}"
        assert ids.keys() == committed.keys()
        assert receiver.unpaired == 0, "a held request's pair never came: one process did not claim"
        seqs: dict[str, list[int]] = defaultdict(list)
        for got in receiver.received:
            event = verify(secrets[id(receiver)], got.headers, got.body)  # raises unless signed by it
            assert event["id"] == got.headers["webhook-id"]
            assert event == committed[event["id"]]
            seqs[event["account_id"]].append(event["seq"])
        assert {account: sorted(s) for account, s in seqs.items()} == {
            f"acct-{n}": list(range(1, OPS_PER_ACCOUNT + 2)) for n in range(ACCOUNTS)
        }
    # per account, seq increases along the outbox's own order of the events (by creation)
    in_order: dict[str, list[int]] = defaultdict(list)
    for event in sorted(committed.values(), key=lambda e: (e["created_at"], e["seq"])):
        in_order[event["account_id"]].append(event["seq"])
    assert all(s == list(range(1, len(s) + 1)) for s in in_order.values()), in_order

    # both processes delivered, at least their share of the pairs, and nothing failed or was retried
    delivered = [p.get("delivered", 0) for p in per_process]
    assert sum(delivered) == 2 * len(committed), per_process
    assert all(n >= PAIRED for n in delivered), f"a process delivered fewer than {PAIRED}: {per_process}"
    assert all(p.get("retrying", 0) == 0 and p.get("failed", 0) == 0 for p in per_process), per_process
    print(f"\ndelivered per process: {delivered}; every delivery in {waited:.1f} s after the last write")
