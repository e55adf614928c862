"""Pushing events to webhook endpoints: the dispatcher driven by hand (`run_once`) with the test's
clock, receivers that are real HTTP servers on loopback, and every delivery verified with the
README's example receiver (`examples/receiver.py`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import tracemalloc
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from points_service.db import schema as t
from points_service.db.engine import create_engine
from points_service.domain.delivery import (
    LONGEST_ATTEMPT,
    MAX_ATTEMPTS,
    MAX_RESPONSE_BYTES,
    REDELIVERY_HOLD,
    RETRY_DELAYS,
    lease_for,
)
from points_service.services.dispatch import Dispatcher
from points_service.services.outbound import Sent
from points_service.settings import Settings

from conftest import Api, FrozenClock
from support.receivers import Receiver, Receivers, example_receiver
from support.receivers import receivers as _receivers

verify = example_receiver().verify


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The tests' settings, with endpoints on loopback allowed and the dispatcher driven by hand
    (the receivers listen on loopback)."""
    return settings.model_copy(update={"webhook_allow_private": True, "dispatch": False})


@pytest.fixture
def receivers() -> Iterator[Receivers]:
    yield from _receivers()


@contextlib.contextmanager
def dispatching(api: Api, **options: Any) -> Iterator[Dispatcher]:
    """A dispatcher driven by hand (`run`), to the loopback receivers (attempts of 2 s unless
    `options` say otherwise), stopped afterwards."""
    made = Dispatcher(api.db.engine, api.clock, **{"allow_private": True, "timeout": 2.0, **options})
    try:
        yield made
    finally:
        made.stop()


@pytest.fixture
def dispatcher(api: Api) -> Iterator[Dispatcher]:
    with dispatching(api) as made:
        yield made


async def run(dispatcher: Dispatcher) -> int:
    return await asyncio.to_thread(dispatcher.run_once)


async def endpoint(api: Api, receiver: Receiver, event_types: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    body = {"url": receiver.url, "event_types": event_types or ["*"], **extra}
    r = await api.post("/v1/webhook-endpoints", body)
    assert r.status_code == 201, r.text
    return r.json()


def events_in_db(api: Api) -> list[Any]:
    with api.db.engine.connect() as conn:
        return list(conn.execute(select(t.events).order_by(t.events.c.account_id, t.events.c.seq)))


def verified(receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    """Every request the receiver got, each verified by the example receiver's `verify`."""
    found = []
    for got in receiver.received:
        event = verify(secret, got.headers, got.body)
        assert got.headers["webhook-id"] == event["id"]
        found.append(event)
    return found


async def attempts(api: Api, endpoint_id: str) -> list[dict[str, Any]]:
    r = await api.get(f"/v1/webhook-endpoints/{endpoint_id}/deliveries")
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_every_event_reaches_the_endpoints_that_want_it_once_signed_and_in_order(
    api: Api, dispatcher: Dispatcher, receivers: Receivers
) -> None:
    everything, acme_grants, write_offs = receivers(), receivers(), receivers()
    await api.account("acme")
    await api.account("other")
    all_ep = await endpoint(api, everything)
    acme_ep = await endpoint(api, acme_grants, ["points.granted"], account_id="acme")
    off_ep = await endpoint(api, write_offs, ["points.written_off"])
    for account in ("acme", "other", "acme"):
        await api.buy(account)
    r = await api.post("/v1/accounts/acme/adjustments", {"points": -5, "reason": "write-off"})
    assert r.status_code == 200, r.text
    # the scripted scenario: a ticket opened, adjusted, resolved and refunded for a bug; an expiry;
    # a revocation
    ticket = await api.open("acme")
    for action, body in (
        ("adjust", {"points": 30, "reason": "more"}),
        ("resolve", {}),
        ("refund", {"reason": "software_bug"}),
    ):
        r = await api.post(f"/v1/tickets/{ticket['id']}/{action}", body, role="helpdesk")
        assert r.status_code == 200, r.text
    soon = (api.clock.now() + timedelta(hours=1)).isoformat()
    r = await api.post("/v1/accounts/other/adjustments", {"points": 7, "reason": "trial", "expires_at": soon})
    assert r.status_code == 201, r.text
    api.clock.advance(timedelta(hours=2))
    assert (await api.post("/v1/admin/expire")).json()["expired_lots"] == 1
    bought = await api.buy("other")
    r = await api.post(f"/v1/lots/{bought['lot']['id']}/revoke", {"reason": "charged back"}, role="billing")
    assert r.status_code == 200, r.text
    for _ in range(100):  # one in flight per endpoint: a round each, until nothing is left
        if not await run(dispatcher):
            break
    stored = events_in_db(api)
    assert {
        "points.granted",
        "points.written_off",
        "ticket.opened",
        "ticket.adjusted",
        "ticket.resolved",
        "ticket.refunded",
        "points.expired",
        "points.revoked",
    } <= {e.type for e in stored}
    got = verified(everything, all_ep["secret"])
    assert sorted(e["id"] for e in got) == sorted(e.id for e in stored)  # each once
    for account in ("acme", "other"):
        seqs = [e["seq"] for e in got if e["account_id"] == account]
        assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    acme = verified(acme_grants, acme_ep["secret"])
    assert sorted(e["id"] for e in acme) == sorted(
        e.id for e in stored if e.type == "points.granted" and e.account_id == "acme"
    )
    offs = verified(write_offs, off_ep["secret"])
    assert [e["type"] for e in offs] == ["points.written_off"]
    body = next(e for e in got if e["type"] == "points.granted")
    assert set(body) == {"id", "type", "created_at", "account_id", "seq", "data"}
    assert await run(dispatcher) == 0  # nothing left
    assert (await attempts(api, all_ep["id"]))[0]["status_code"] == 200


async def test_a_failed_delivery_is_retried_on_schedule(api: Api, dispatcher: Dispatcher, receivers: Receivers) -> None:
    flaky = receivers(statuses=[500, 200])
    ep = await endpoint(api, flaky, ["points.granted"])  # one event: the purchase's
    await api.account("acme")
    await api.buy()
    await run(dispatcher)
    assert len(flaky.received) == 1
    api.clock.advance(RETRY_DELAYS[0] - timedelta(seconds=1))
    await run(dispatcher)
    assert len(flaky.received) == 1  # not yet due
    api.clock.advance(timedelta(seconds=1))
    await run(dispatcher)
    assert len(flaky.received) == 2
    first, second = verified(flaky, ep["secret"])
    assert first["id"] == second["id"]  # the same webhook-id on the retry
    newest, oldest = await attempts(api, ep["id"])
    assert (oldest["attempt"], oldest["status_code"], oldest["next_attempt_at"]) == (1, 500, "2026-01-15T12:00:05Z")
    assert oldest["error"].startswith("HTTP 500")
    assert (newest["attempt"], newest["status_code"], newest["next_attempt_at"]) == (2, 200, None)
    assert newest["at"] == "2026-01-15T12:00:05Z"


async def test_a_delivery_never_answered_2xx_fails_after_the_schedule(
    api: Api, dispatcher: Dispatcher, receivers: Receivers
) -> None:
    down = receivers(statuses=[503])
    ep = await endpoint(api, down, ["points.granted"])  # one event: the purchase's
    await api.account("acme")
    await api.buy()
    for delay in RETRY_DELAYS:
        await run(dispatcher)
        api.clock.advance(delay)
    await run(dispatcher)
    assert len(down.received) == MAX_ATTEMPTS == 8
    api.clock.advance(timedelta(days=2))
    await run(dispatcher)
    assert len(down.received) == 8
    with api.db.engine.connect() as conn:
        (status,) = conn.execute(select(t.webhook_deliveries.c.status)).scalars()
    assert status == "failed"
    history = await attempts(api, ep["id"])
    assert [a["attempt"] for a in history] == list(range(8, 0, -1)) and history[0]["next_attempt_at"] is None


async def test_an_endpoint_failing_for_five_days_is_disabled_and_waits(
    api: Api, dispatcher: Dispatcher, receivers: Receivers
) -> None:
    down = receivers(statuses=[500])
    ep = await endpoint(api, down)
    await api.account("acme")
    await api.buy()
    await run(dispatcher)
    api.clock.advance(timedelta(days=4, hours=23))
    await api.buy()
    await run(dispatcher)
    assert (await api.get(f"/v1/webhook-endpoints/{ep['id']}")).json()["enabled"] is True
    api.clock.advance(timedelta(hours=1))
    await run(dispatcher)
    shown = (await api.get(f"/v1/webhook-endpoints/{ep['id']}")).json()
    assert shown["enabled"] is False and "failed since" in shown["disabled_reason"]
    sent = len(down.received)
    await api.buy()  # not queued for a disabled endpoint; the pending ones wait
    api.clock.advance(timedelta(days=1))
    await run(dispatcher)
    assert len(down.received) == sent
    down.statuses[:] = [200]
    r = await api.post(f"/v1/webhook-endpoints/{ep['id']}/enable")
    assert r.status_code == 200 and r.json()["disabled_reason"] is None
    for _ in range(3):
        await run(dispatcher)
    # the three queued before it was disabled: account.created and the two purchases
    assert len({got.headers["webhook-id"] for got in down.received}) == 3


async def test_a_hung_receiver_times_out(api: Api, receivers: Receivers) -> None:
    assert Settings.model_fields["webhook_timeout"].default == 10
    hung = receivers(hang=3.0)
    await endpoint(api, hung)
    await api.account("acme")
    with dispatching(api, timeout=0.5) as dispatcher:
        await run(dispatcher)
    assert len(hung.received) == 1
    with api.db.engine.connect() as conn:
        errors = list(
            conn.execute(select(t.webhook_attempts.c.error).where(t.webhook_attempts.c.status_code.is_(None)))
        )
    assert [e.error for e in errors] == ["timed out after 0.5 s"]


@pytest.mark.parametrize(("senders", "unpaired"), [(8, 0), (1, 1)], ids=["concurrent", "one-sender-control"])
async def test_a_slow_receiver_does_not_delay_another(
    api: Api, receivers: Receivers, senders: int, unpaired: int
) -> None:
    """Each of two receivers holds its request until the other's has arrived: the two attempts
    must be in flight at once. A dispatcher with one sender (the control) sends to one endpoint a
    round, so the first receiver's hold runs out (2 s; an attempt may take 10)."""
    first, second = receivers(pair_timeout=2.0), receivers(pair_timeout=2.0)
    first.hold_for, second.hold_for = second, first
    await endpoint(api, first)
    await endpoint(api, second)
    await api.account("acme")
    with dispatching(api, timeout=10.0, senders=senders) as dispatcher:
        rounds = [await run(dispatcher) for _ in range(2)]
    assert rounds == ([2, 0] if senders > 1 else [1, 1])
    assert len(first.received) == len(second.received) == 1
    assert first.unpaired + second.unpaired == unpaired
    with api.db.engine.connect() as conn:
        assert list(conn.execute(select(t.webhook_attempts.c.status_code))) == [(200,), (200,)]


def backlog(api: Api, account_id: str, count: int) -> None:
    """`count` events of `account_id` written straight into the outbox (through the API they would
    take a minute), numbered after its `account.created`, at the clock's time."""
    now = api.clock.now()
    rows = [
        {"id": f"evt_backlog{n:07d}", "account_id": account_id, "seq": n + 1, "type": "points.granted",
         "created_at": now, "data": {"n": n}, "fanned_out": False}
        for n in range(1, count + 1)
    ]  # fmt: skip
    with api.db.engine.connect() as conn:
        conn.execute(insert(t.events), rows)
        conn.execute(update(t.accounts).where(t.accounts.c.id == account_id).values(event_seq=count + 1))


def pending(api: Api, endpoint_id: str) -> int:
    with api.db.engine.connect() as conn:
        d = t.webhook_deliveries.c
        return len(conn.execute(select(d.event_id).where(d.endpoint_id == endpoint_id, d.status == "pending")).all())


async def test_a_dead_endpoint_with_a_large_backlog_does_not_hold_up_another(
    api: Api, dispatcher: Dispatcher, receivers: Receivers
) -> None:
    """The oldest 1,200 due deliveries are all a dead endpoint's: more than the claim once read
    (the oldest 1,000 due deliveries of every endpoint together, which then named only the dead
    one). The healthy endpoint's deliveries still go out, one each round, beside the dead one's."""
    dead, healthy = receivers(statuses=[503]), receivers()
    dead_ep = await endpoint(api, dead)
    await api.account("backlog")
    await asyncio.to_thread(backlog, api, "backlog", 1200)
    while await asyncio.to_thread(dispatcher.fan_out):  # queued for the dead endpoint only
        pass
    assert pending(api, dead_ep["id"]) == 1201  # account.created too
    await api.account("acme")
    api.clock.advance(timedelta(minutes=1))
    healthy_ep = await endpoint(api, healthy)
    for _ in range(3):
        await api.buy()
    for sent in (1, 2, 3):
        assert await run(dispatcher) == 2  # one to each endpoint
        assert len(healthy.received) == sent and len(dead.received) == sent
    assert pending(api, healthy_ep["id"]) == 0
    assert pending(api, dead_ep["id"]) == 1201 + 1 + 3  # acme's account.created and purchases too
    verified(healthy, healthy_ep["secret"])


async def test_endpoints_take_turns_for_the_senders(api: Api, receivers: Receivers) -> None:
    """One sender: the endpoint served least recently goes first, so a dead endpoint whose backlog
    is always the oldest due still gets only every other send."""
    dead, healthy = receivers(statuses=[503]), receivers()
    await endpoint(api, dead)
    await api.account("acme")
    for _ in range(3):
        await api.buy()
    api.clock.advance(timedelta(minutes=1))
    await endpoint(api, healthy)
    for _ in range(2):
        await api.buy()
    with dispatching(api, senders=1) as one:
        seen = []
        for _ in range(4):
            assert await run(one) == 1
            seen.append((len(dead.received), len(healthy.received)))
    assert seen == [(1, 0), (1, 1), (2, 1), (2, 2)]  # the dead one's deliveries are the oldest due


def attempts_in_db(api: Api) -> list[Any]:
    with api.db.engine.connect() as conn:
        return list(conn.execute(select(t.webhook_attempts).order_by(t.webhook_attempts.c.id)))


async def test_an_attempt_has_one_deadline_however_slowly_the_answer_trickles(
    api: Api, receivers: Receivers, clock: FrozenClock
) -> None:
    """The status line and an endless header, a byte every 10 ms: no per-operation timeout ever
    trips, and the attempt still ends at its deadline (0.5 s here; the receiver would go on for
    30 s), a failure, with the receiver still trickling when the client goes."""
    assert Settings.model_fields["webhook_timeout"].default == 10
    assert Dispatcher(api.db.engine, clock).timeout == 10  # stopped unstarted: nothing to stop
    slow = receivers(trickle="head")
    ep = await endpoint(api, slow)
    await api.account("acme")
    with dispatching(api, timeout=0.5) as dispatcher:
        assert await run(dispatcher) == 1
    assert slow.cut_off.wait(10) and not slow.gave_up.is_set()  # the client left mid-answer
    (attempt,) = attempts_in_db(api)
    assert (attempt.status_code, attempt.error) == (None, "timed out after 0.5 s")
    assert attempt.duration_ms >= 500  # not before the deadline either
    (shown,) = await attempts(api, ep["id"])
    assert shown["next_attempt_at"] is not None  # retried on the schedule


async def test_a_status_in_time_counts_however_slowly_the_body_trickles(api: Api, receivers: Receivers) -> None:
    slow = receivers(trickle="body")
    await endpoint(api, slow)
    await api.account("acme")
    with dispatching(api, timeout=0.5) as dispatcher:
        assert await run(dispatcher) == 1
    assert slow.cut_off.wait(10) and not slow.gave_up.is_set()
    (attempt,) = attempts_in_db(api)
    assert (attempt.status_code, attempt.error) == (200, None)


async def test_a_name_that_never_resolves_ends_the_attempt_at_its_deadline(api: Api, receivers: Receivers) -> None:
    """The system resolver takes no timeout: the look-up is waited for until the deadline only."""
    receiver = receivers()
    await endpoint(api, receiver)
    await api.account("acme")
    answer = threading.Event()

    def stuck(host: str, port: int) -> list[Any]:
        answer.wait(60)
        return []

    with dispatching(api, timeout=0.5, resolver=stuck) as dispatcher:
        try:
            assert await run(dispatcher) == 1
        finally:
            answer.set()  # the look-up left behind ends, before the dispatcher stops
    assert receiver.received == []
    (attempt,) = attempts_in_db(api)
    assert attempt.status_code is None
    assert attempt.error == "timed out after 0.5 s: the host '127.0.0.1' did not resolve within 0.5 s"


def test_the_lease_outlives_the_longest_attempt() -> None:
    longest = Settings.model_fields["webhook_timeout"].metadata
    assert any(getattr(m, "le", None) == LONGEST_ATTEMPT for m in longest)
    for timeout in (0.5, 10.0, LONGEST_ATTEMPT):
        assert lease_for(timeout) >= timedelta(seconds=2 * timeout + 5)
    assert lease_for(10.0) == timedelta(seconds=25)
    assert lease_for(LONGEST_ATTEMPT) < REDELIVERY_HOLD


async def test_a_redelivery_during_a_send_waits_for_it(api: Api, dispatcher: Dispatcher, receivers: Receivers) -> None:
    """A redelivery asked for while a delivery is being sent: no process may claim the delivery
    before that send is over (its lease stays live), and the send's outcome does not use up the
    redelivery (it is recorded as an attempt; the delivery stays pending, counted anew)."""
    receiver = receivers()
    ep = await endpoint(api, receiver)
    await api.account("acme")
    await asyncio.to_thread(dispatcher.fan_out)
    (sending,) = await asyncio.to_thread(dispatcher.claim)  # leased and committed: "on the wire"
    r = await api.post(f"/v1/webhook-endpoints/{ep['id']}/redeliver", {"event_id": sending.event_id})
    assert r.status_code == 202, r.text
    with dispatching(api) as other:  # another process
        assert await asyncio.to_thread(other.claim) == []  # the send under way keeps it
        assert await asyncio.to_thread(dispatcher.record, sending, Sent(200, 5, None)) == "delivered"
        d = t.webhook_deliveries.c
        with api.db.engine.connect() as conn:
            (row,) = conn.execute(select(d.status, d.attempts, d.leased_until))
        assert (row.status, row.attempts) == ("pending", 0) and row.leased_until > api.clock.now()
        api.clock.advance(lease_for(2.0))
        assert await asyncio.to_thread(other.claim) == []  # held past any lease taken before
        api.clock.advance(REDELIVERY_HOLD - lease_for(2.0) + timedelta(microseconds=1))  # a lease holds to its end
        assert await asyncio.to_thread(other.run_once) == 1
    assert len(receiver.received) == 1  # the first "send" never left: record() was told it
    assert [a["attempt"] for a in await attempts(api, ep["id"])] == [1, 1]


async def test_an_answer_is_read_to_64_kib_at_most(api: Api, receivers: Receivers) -> None:
    """A 500 with a 64 MiB body: the attempt reads 64 KiB of it, closes the connection (the
    receiver cannot write the rest), records the status with the start of the body, and holds
    no more than a little of it in memory at any time."""
    huge = receivers(statuses=[500], body_size=64 * 1024 * 1024)
    ep = await endpoint(api, huge)
    await api.account("acme")
    with dispatching(api, timeout=10.0) as dispatcher:
        tracemalloc.start()
        try:
            assert await run(dispatcher) == 1
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert huge.cut_off.wait(10) and not huge.gave_up.is_set()
    assert MAX_RESPONSE_BYTES <= huge.sent < 64 * 1024 * 1024  # what the sockets' buffers took in
    assert peak < 4 * 1024 * 1024, peak
    (attempt,) = await attempts(api, ep["id"])
    assert attempt["status_code"] == 500 and attempt["error"] == "HTTP 500: " + "x" * 200
    assert MAX_RESPONSE_BYTES == 64 * 1024


async def test_two_dispatchers_share_one_outbox(api: Api, receivers: Receivers, settings: Settings) -> None:
    first, second = receivers(), receivers()
    await endpoint(api, first)
    await endpoint(api, second)
    await api.account("acme")
    await api.buy()
    for _ in range(12):
        await api.buy()
    engines = [create_engine(settings, connections=3) for _ in range(2)]
    dispatchers = [Dispatcher(engine, api.clock, allow_private=True, timeout=2.0) for engine in engines]

    def drain(dispatcher: Dispatcher) -> None:
        for _ in range(20):
            dispatcher.run_once()

    threads = [threading.Thread(target=drain, args=(d,)) for d in dispatchers]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for d, engine in zip(dispatchers, engines, strict=True):
            d.stop()
            engine.dispose()
    expected = sorted(e.id for e in events_in_db(api))
    for receiver in (first, second):
        assert sorted(got.headers["webhook-id"] for got in receiver.received) == expected  # exactly once


async def test_redirects_are_not_followed(api: Api, dispatcher: Dispatcher, receivers: Receivers) -> None:
    target = receivers()
    mover = receivers(redirect_to=target.url)
    ep = await endpoint(api, mover)
    await api.account("acme")
    await api.buy()
    await run(dispatcher)
    assert len(mover.received) == 1 and target.received == []
    (attempt,) = await attempts(api, ep["id"])
    assert attempt["status_code"] == 302 and "redirects are not followed" in attempt["error"]


async def test_delivery_refuses_a_name_that_resolves_to_a_private_address(api: Api, receivers: Receivers) -> None:
    receiver = receivers()
    port = receiver.url.split(":")[2].split("/")[0]
    r = await api.post("/v1/webhook-endpoints", {"url": f"http://localhost:{port}/hook", "event_types": ["*"]})
    assert r.status_code == 201, r.text  # allowed when it was made (POINTS_WEBHOOK_ALLOW_PRIVATE)
    await api.account("acme")
    await api.buy()
    with dispatching(api, allow_private=False) as strict:
        await run(strict)
    assert receiver.received == []
    (attempt,) = await attempts(api, r.json()["id"])
    assert (
        attempt["status_code"] is None
        and "127.0.0.1" in attempt["error"]
        and "not a public address" in attempt["error"]
    )


async def test_after_a_rotation_both_secrets_sign_for_a_day(
    api: Api, dispatcher: Dispatcher, receivers: Receivers
) -> None:
    receiver = receivers()
    ep = await endpoint(api, receiver)
    r = await api.post(f"/v1/webhook-endpoints/{ep['id']}/rotate-secret")
    assert r.status_code == 200, r.text
    new = r.json()["secret"]
    assert new.startswith("whsec_") and new != ep["secret"]
    await api.account("acme")
    await api.buy()
    await run(dispatcher)
    (first,) = receiver.received
    assert len(first.headers["webhook-signature"].split(" ")) == 2
    verify(ep["secret"], first.headers, first.body)
    verify(new, first.headers, first.body)
    api.clock.advance(timedelta(hours=24))
    await api.buy()
    await run(dispatcher)
    latest = receiver.received[-1]
    verify(new, latest.headers, latest.body)
    with pytest.raises(Exception, match="signature"):
        verify(ep["secret"], latest.headers, latest.body)


async def test_redeliver_sends_the_event_again_with_the_same_id(
    api: Api, dispatcher: Dispatcher, receivers: Receivers
) -> None:
    receiver = receivers()
    ep = await endpoint(api, receiver)
    await api.account("acme")
    await api.buy()
    await run(dispatcher)
    (got,) = receiver.received
    event_id = got.headers["webhook-id"]
    r = await api.post(f"/v1/webhook-endpoints/{ep['id']}/redeliver", {"event_id": event_id})
    assert r.status_code == 202, r.text
    await run(dispatcher)
    assert [g.headers["webhook-id"] for g in receiver.received] == [event_id, event_id]
    assert json.loads(receiver.received[1].body) == json.loads(got.body)
    r = await api.post(f"/v1/webhook-endpoints/{ep['id']}/redeliver", {"event_id": "evt_01NOSUCHEVENT"})
    assert r.status_code == 404 and "event" in r.json()["detail"]
    r = await api.post("/v1/webhook-endpoints/we_01NOSUCH/redeliver", {"event_id": event_id})
    assert r.status_code == 404


async def test_metrics_tell_deliveries_the_oldest_pending_event_and_endpoints(
    api: Api, dispatcher: Dispatcher, receivers: Receivers
) -> None:
    ep = await endpoint(api, receivers(statuses=[500]))
    await api.post(f"/v1/webhook-endpoints/{(await endpoint(api, receivers()))['id']}/disable")
    await api.account("acme")
    await api.buy()
    dispatcher.on_attempt = None
    await run(dispatcher)
    api.clock.advance(timedelta(minutes=1))
    text = (await api.get("/metrics")).text
    assert 'points_webhook_endpoints{state="enabled"} 1.0' in text
    assert 'points_webhook_endpoints{state="disabled"} 1.0' in text
    assert "points_oldest_undelivered_event_age_seconds 60.0" in text
    assert ep["id"]


async def test_the_oldest_undelivered_age_counts_only_events_that_go_somewhere(
    api: Api, dispatcher: Dispatcher, receivers: Receivers
) -> None:
    """With no endpoint, events are for nobody: the gauge stays 0 however old they get. Once an
    endpoint exists, the events from its creation on count until they are delivered; the older
    ones never do."""

    async def age() -> str:
        text = (await api.get("/metrics")).text
        return next(
            line for line in text.splitlines() if line.startswith("points_oldest_undelivered_event_age_seconds")
        )

    await api.account("acme")
    await api.buy()
    api.clock.advance(timedelta(hours=1))
    assert await age() == "points_oldest_undelivered_event_age_seconds 0.0"
    receiver = receivers()
    await endpoint(api, receiver)
    api.clock.advance(timedelta(minutes=1))
    assert await age() == "points_oldest_undelivered_event_age_seconds 0.0"  # the old ones are for nobody
    await api.buy()  # for the endpoint: awaiting fan-out, then a pending delivery
    api.clock.advance(timedelta(seconds=30))
    assert await age() == "points_oldest_undelivered_event_age_seconds 30.0"
    await asyncio.to_thread(dispatcher.fan_out)
    assert await age() == "points_oldest_undelivered_event_age_seconds 30.0"
    await run(dispatcher)
    assert len(receiver.received) == 1
    assert await age() == "points_oldest_undelivered_event_age_seconds 0.0"
