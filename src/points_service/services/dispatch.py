"""The dispatcher: pushes committed events to the webhook endpoints, at least once.

It runs beside the API in every process, on threads it owns, each transaction on a connection of
its own from the engine (never on the event loop), and tells time by the clock it is given.
Every round (every `interval` seconds, and `run_once` for tests):

1. **Fan out.** An endpoint takes the events created from its creation on. Events not yet fanned
   out (`fanned_out = false`, the partial index `ix_events_to_fan_out`) are claimed oldest first
   (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so processes share them; SQLite: `BEGIN IMMEDIATE`, one
   writer), given one pending delivery per
   enabled endpoint that wants them, and marked fanned out, in one transaction. A delivery is due
   at its event's time, so an endpoint's deliveries go out in event order (a retry may overtake).
   With no endpoint at all nothing is written (the writers' lock is not touched); the events
   older than every endpoint are marked in bulk, unseen.
2. **Claim.** Every enabled endpoint is looked up for its oldest due delivery whose lease is
   free (`ix_webhook_deliveries_endpoint_due`: the start of one range per endpoint, so no
   endpoint's backlog, however large, hides another's). Of those with one and nothing in flight
   from this process, as many as there are idle senders take their turn — the one this process
   sent to least recently first, then the longest waiting — and each one's oldest due delivery
   is leased (for `lease_for(timeout)`; PostgreSQL: `FOR UPDATE SKIP LOCKED`, so processes share
   them) and committed *before* it is sent: two processes never send the same delivery at once,
   and a process that dies mid-send leaves a lease that expires, so the delivery is sent again.
   A claimed delivery has an idle sender waiting for it: its lease does not run while it queues.
3. **Send** on the sender pool, one shared `httpx.Client` (`services.outbound`: vetted address,
   no redirects, at most 64 KiB of the answer, and one deadline for all of the attempt,
   `timeout` seconds after it starts). At most one delivery per endpoint is in flight here, so a
   hung endpoint holds one sender for `timeout` seconds and no one else.
4. **Record** the attempt (`webhook_attempts`) and the delivery's new state: 2xx → `delivered`,
   else due again after the retry schedule (`domain.delivery`), after 8 attempts `failed`. The
   endpoint's `failing_since` is set by its first failure since its last success and cleared by
   a success; a failure after `DISABLE_AFTER` of nothing but failures disables it. The update
   holds only while the lease is the one taken in step 2 (a redelivery may have renewed it).

Disabled endpoints get no new deliveries, and their pending ones wait (they go out once the
endpoint is enabled again). An idle round is two SELECTs (the second one index probe per enabled
endpoint) and takes no lock.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..db import schema as t
from ..db.records import Event
from ..domain.clock import Clock
from ..domain.delivery import (
    DeliveryStatus,
    delivered,
    disabled_reason,
    lease_for,
    next_attempt_at,
    should_disable,
)
from .endpoints import Endpoint, endpoint_of
from .events import body
from .outbound import Resolver, Sent, client, post, resolve

log = logging.getLogger("points_service.dispatch")


FAN_OUT_BATCH = 500

D = t.webhook_deliveries.c
E = t.webhook_endpoints.c
V = t.events.c
LEASE_FREE = or_(D.leased_until.is_(None), D.leased_until < bindparam("now"))
DUE = and_(t.PENDING_DELIVERY, D.next_attempt_at <= bindparam("now"), LEASE_FREE)

TO_FAN_OUT = select(V.id, V.account_id, V.type, V.created_at).where(t.NOT_FANNED_OUT).order_by(V.created_at)
ANY_TO_FAN_OUT = select(V.id).where(t.NOT_FANNED_OUT).limit(1)
RECEIVERS = select(*(E[name] for name in Endpoint.__dataclass_fields__)).where(E.enabled.is_(True))
OLDEST_ENDPOINT = select(func.min(E.created_at))
# Events older than every endpoint: for nobody (an endpoint takes events from its creation on).
_BEFORE = and_(t.NOT_FANNED_OUT, V.created_at < bindparam("horizon", type_=V.created_at.type))
ANY_BEFORE = select(V.id).where(_BEFORE).limit(1)
SKIP_BATCH = 10_000
SKIP_BEFORE = (
    update(t.events)
    .where(V.id.in_(select(V.id).where(_BEFORE).order_by(V.created_at).limit(bindparam("chunk")).scalar_subquery()))
    .values(fanned_out=True)
)
# Each enabled endpoint with when its oldest due delivery with a free lease is due (None: none is):
# per endpoint, the start of its range of `ix_webhook_deliveries_endpoint_due`, so an endpoint with
# a backlog of any size costs the others nothing (a window of the oldest due deliveries of all
# endpoints together could be filled by one dead endpoint's). Then, per endpoint chosen, its
# oldest due delivery with what sending it takes, locked.
OLDEST_DUE = (
    select(D.next_attempt_at)
    .where(D.endpoint_id == E.id, DUE)
    .order_by(D.next_attempt_at)
    .limit(1)
    .correlate(t.webhook_endpoints)
    .scalar_subquery()
)
DUE_ENDPOINTS = select(E.id, OLDEST_DUE.label("due")).where(E.enabled.is_(True))
NEXT_DUE = (
    select(
        D.endpoint_id,
        D.event_id,
        D.attempts,
        E.url,
        E.secret,
        E.previous_secret,
        E.previous_secret_until,
        V.account_id,
        V.seq,
        V.type,
        V.created_at,
        V.data,
    )
    .select_from(
        t.webhook_deliveries.join(t.events, V.id == D.event_id).join(t.webhook_endpoints, E.id == D.endpoint_id)
    )
    .where(DUE, D.endpoint_id == bindparam("endpoint_id"), E.enabled.is_(True))
    .order_by(D.next_attempt_at, V.account_id, V.seq)
    .limit(1)
)
TAKE_LEASE = (
    update(t.webhook_deliveries)
    .where(D.endpoint_id == bindparam("e_id"), D.event_id == bindparam("ev_id"))
    .values(leased_until=bindparam("lease"))
)
OLDEST_PENDING = (
    select(func.min(V.created_at))
    .select_from(t.webhook_deliveries.join(t.events, V.id == D.event_id))
    .where(t.PENDING_DELIVERY)
)
# Events not yet fanned out count only from the oldest endpoint's creation on: older ones are for
# nobody (with no endpoint at all, every one), and are never delivered, so they are no delay.
OLDEST_UNFANNED = select(func.min(V.created_at)).where(
    t.NOT_FANNED_OUT, V.created_at >= select(func.min(E.created_at)).scalar_subquery()
)
ENDPOINTS_BY_STATE = select(E.enabled, func.count()).group_by(E.enabled)


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery leased by this process until `lease`, with what sending it takes."""

    endpoint_id: str
    event_id: str
    attempts: int  # made before this one
    lease: datetime
    url: str
    secrets: list[str]
    payload: str


class Dispatcher:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        allow_private: bool = False,
        timeout: float = 10.0,
        interval: float = 0.5,
        senders: int = 8,
        on_attempt: Callable[[str], None] | None = None,
        resolver: Resolver = resolve,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.allow_private = allow_private
        self.timeout = timeout
        self.interval = interval
        self.on_attempt = on_attempt  # told `delivered`, `retrying` or `failed` after each attempt
        self.resolver = resolver
        self.is_sqlite = engine.dialect.name == "sqlite"
        self.senders = senders
        self._senders = ThreadPoolExecutor(max_workers=senders, thread_name_prefix="points-sender")
        self._client = client(timeout)  # pooled; no redirects, no proxies, the attempt's deadline
        self._busy: set[str] = set()  # endpoints with a delivery in flight from this process
        self._turns = itertools.count()
        self._turn: dict[str, int] = {}  # endpoint → when (in claims) this process last sent to it
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- life ------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="points-dispatcher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop claiming; let the sends under way finish (each is bounded by `timeout`). Blocking."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._senders.shutdown(wait=True)
        self._client.close()

    def _run(self) -> None:
        failing = False  # told once per run of failed rounds, not every `interval` seconds
        while not self._stop.is_set():
            try:
                self._round()
            except Exception:  # the database is down, say: the next round tries again
                if not failing:
                    log.exception("dispatch round failed; retrying every %g s", self.interval)
                failing = True
            else:
                if failing:
                    log.info("dispatch rounds succeed again")
                failing = False
            self._stop.wait(self.interval)

    def run_once(self) -> int:
        """One round, waiting for its sends (tests drive the dispatcher with it); the sends made."""
        futures = self._round()
        wait(futures)
        for future in futures:
            future.result()
        return len(futures)

    def _round(self) -> list[Future[None]]:
        self.fan_out()
        return [self._senders.submit(self._deliver, claim) for claim in self.claim()]

    # -- 1. fan out ------------------------------------------------------------------------------

    def fan_out(self) -> int:
        """Queue the deliveries of the events not yet fanned out (a batch of them); how many events.

        An endpoint takes the events created from its creation on. So while there is no endpoint,
        nothing is written at all (the events wait, and the sweep purges them with the rest); once
        there is one, the events older than every endpoint are marked fanned out in bulk, without a
        look at each, before the newer ones are fanned out."""
        with self.engine.connect() as conn:
            if conn.execute(ANY_TO_FAN_OUT).first() is None:
                return 0
            oldest = conn.execute(OLDEST_ENDPOINT).scalar()
            if oldest is None:  # no endpoint: no write, so no lock taken from the writers
                return 0
            if conn.execute(ANY_BEFORE, {"horizon": oldest}).first() is not None:
                with self._transaction(conn):
                    conn.execute(SKIP_BEFORE, {"horizon": oldest, "chunk": SKIP_BATCH})
            with self._transaction(conn):
                stmt = TO_FAN_OUT.limit(FAN_OUT_BATCH)
                if not self.is_sqlite:
                    stmt = stmt.with_for_update(skip_locked=True)
                events = conn.execute(stmt).all()
                if not events:
                    return 0
                endpoints = [endpoint_of(row) for row in conn.execute(RECEIVERS)]
                now = self.clock.now()
                rows = [
                    {
                        "endpoint_id": endpoint.id,
                        "event_id": event.id,
                        "status": DeliveryStatus.PENDING.value,
                        "attempts": 0,
                        "next_attempt_at": min(event.created_at, now),  # in event order
                        "leased_until": None,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for event in events
                    for endpoint in endpoints
                    if event.created_at >= endpoint.created_at and endpoint.receives(event.type, event.account_id)
                ]
                if rows:  # a redelivery may have queued one already: kept as it is
                    dialect = sqlite if self.is_sqlite else postgresql
                    conn.execute(dialect.insert(t.webhook_deliveries).on_conflict_do_nothing(), rows)
                conn.execute(update(t.events).where(V.id.in_([e.id for e in events])).values(fanned_out=True))
            return len(events)

    # -- 2. claim --------------------------------------------------------------------------------

    def claim(self) -> list[Claim]:
        """Lease the oldest due delivery of as many endpoints with due work as there are idle
        senders here, and commit. Endpoints take turns: the one this process sent to least recently
        first (never: first of all), then the one whose delivery has waited longest. So an endpoint
        never waits for another's backlog, and while every sender is busy, at most for the senders'
        attempts under way (each ends within `timeout`)."""
        now = self.clock.now()
        with self.engine.connect() as conn:
            due = {row.id: row.due for row in conn.execute(DUE_ENDPOINTS, {"now": now}) if row.due is not None}
            with self._lock:
                waiting = sorted((e for e in due if e not in self._busy), key=lambda e: (self._turn.get(e, -1), due[e]))
                candidates = waiting[: max(0, self.senders - len(self._busy))]
                self._turn = {e: n for e, n in self._turn.items() if e in due or e in self._busy}
            if not candidates:
                return []
            claims: list[Claim] = []
            lease = now + lease_for(self.timeout)
            with self._transaction(conn):
                stmt = (
                    NEXT_DUE if self.is_sqlite else NEXT_DUE.with_for_update(skip_locked=True, of=t.webhook_deliveries)
                )
                for endpoint_id in candidates:
                    row = conn.execute(stmt, {"now": now, "endpoint_id": endpoint_id}).first()
                    if row is None:  # another process took it
                        continue
                    conn.execute(TAKE_LEASE, {"e_id": row.endpoint_id, "ev_id": row.event_id, "lease": lease})
                    claims.append(self._claim(row, lease, now))
            with self._lock:
                for claim in claims:
                    self._busy.add(claim.endpoint_id)
                    self._turn[claim.endpoint_id] = next(self._turns)
            return claims

    @staticmethod
    def _claim(row: Any, lease: datetime, now: datetime) -> Claim:
        endpoint = Endpoint(
            row.endpoint_id, row.url, None, [], None, row.secret, row.previous_secret,
            row.previous_secret_until, True, None, None, now, now,
        )  # fmt: skip
        event = Event(row.event_id, row.account_id, row.seq, row.type, row.created_at, row.data, True)
        payload = json.dumps(body(event), ensure_ascii=False, separators=(",", ":"))
        return Claim(
            row.endpoint_id, row.event_id, row.attempts, lease, row.url, endpoint.signing_secrets(now), payload
        )

    # -- 3. send, 4. record ----------------------------------------------------------------------

    def _deliver(self, claim: Claim) -> None:
        try:
            sent = post(
                self._client,
                claim.url,
                msg_id=claim.event_id,
                payload=claim.payload,
                secrets=claim.secrets,
                timeout=self.timeout,
                allow_private=self.allow_private,
                resolver=self.resolver,
            )
            self.record(claim, sent)
        except Exception:  # recorded nothing: the lease expires and the delivery is sent again
            log.exception("delivery of %s to %s failed", claim.event_id, claim.endpoint_id)
        finally:
            with self._lock:
                self._busy.discard(claim.endpoint_id)

    def record(self, claim: Claim, sent: Sent) -> str:
        """Write the attempt and what follows from it; the outcome (`delivered`, `retrying`, `failed`)."""
        now = self.clock.now()
        attempt = claim.attempts + 1
        ok = delivered(sent.status_code)
        following = None if ok else next_attempt_at(attempt, now)
        outcome = "delivered" if ok else ("retrying" if following is not None else "failed")
        status = DeliveryStatus.DELIVERED if ok else (DeliveryStatus.PENDING if following else DeliveryStatus.FAILED)
        with self.engine.connect() as conn, self._transaction(conn):
            conn.execute(
                insert(t.webhook_attempts).values(
                    endpoint_id=claim.endpoint_id,
                    event_id=claim.event_id,
                    attempt=attempt,
                    at=now,
                    status_code=sent.status_code,
                    duration_ms=sent.duration_ms,
                    error=sent.error[:500] if sent.error else None,
                    next_attempt_at=following,
                )
            )
            conn.execute(
                update(t.webhook_deliveries)
                .where(D.endpoint_id == claim.endpoint_id, D.event_id == claim.event_id, D.leased_until == claim.lease)
                .values(
                    status=status.value, attempts=attempt, next_attempt_at=following, leased_until=None, updated_at=now
                )
            )
            this = E.id == claim.endpoint_id
            if ok:
                conn.execute(
                    update(t.webhook_endpoints).where(this, E.failing_since.is_not(None)).values(failing_since=None)
                )
            else:
                conn.execute(
                    update(t.webhook_endpoints).where(this, E.failing_since.is_(None)).values(failing_since=now)
                )
                since = conn.execute(select(E.failing_since).where(this, E.enabled.is_(True))).scalar()
                if should_disable(since, now):
                    assert since is not None
                    conn.execute(
                        update(t.webhook_endpoints)
                        .where(this)
                        .values(enabled=False, disabled_reason=disabled_reason(since), updated_at=now)
                    )
                    log.warning(
                        "webhook endpoint %s disabled: every delivery failed since %s", claim.endpoint_id, since
                    )
        if self.on_attempt is not None:
            self.on_attempt(outcome)
        return outcome

    def _transaction(self, conn: Connection) -> _Transaction:
        return _Transaction(conn, "BEGIN IMMEDIATE" if self.is_sqlite else "BEGIN")


class _Transaction:
    """BEGIN … COMMIT, or ROLLBACK on an exception (the engine's connections autocommit)."""

    def __init__(self, conn: Connection, begin: str) -> None:
        self.conn = conn
        self.begin = begin

    def __enter__(self) -> None:
        self.conn.exec_driver_sql(self.begin)

    def __exit__(self, kind: object, *_: object) -> None:
        if self.conn.closed or self.conn.invalidated:
            return
        self.conn.exec_driver_sql("ROLLBACK" if kind is not None else "COMMIT")


@dataclass(frozen=True, slots=True)
class OutboxState:
    """For the metrics: the oldest event not yet delivered everywhere it goes (a pending delivery's,
    or one awaiting fan-out to the endpoints that exist), and endpoints by state."""

    oldest_pending: datetime | None
    enabled: int
    disabled: int


def outbox_state(conn: Connection) -> OutboxState:
    oldest = [v for v in (conn.execute(OLDEST_UNFANNED).scalar(), conn.execute(OLDEST_PENDING).scalar()) if v]
    counts: dict[bool, int] = {bool(row[0]): int(row[1]) for row in conn.execute(ENDPOINTS_BY_STATE)}
    return OutboxState(min(oldest) if oldest else None, counts.get(True, 0), counts.get(False, 0))


def outbox_state_now(engine: Engine) -> OutboxState:
    """`outbox_state` on a connection of its own (tests, tools)."""
    with engine.connect() as conn:
        return outbox_state(conn)
