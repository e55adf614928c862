"""Webhook endpoints: where events are pushed. Their commands, reads and representation.

The endpoints and their deliveries are no part of the ledger the write batches load, so their
commands write with statements run in the writer's transaction (`Scope.execute_after`), and
learn what those statements found (a row changed, or none: 404) once the batch has flushed,
through the holder they return. An endpoint created for an account locks that account, as any
write about it does, so an account that does not exist is refused in the same transaction.

A secret (`whsec_` and 24 random bytes in base64) is stored as it is, since it must sign every
delivery; it is shown only by the create and rotate-secret answers. After a rotation the previous
secret signs too, for `PREVIOUS_SECRET_TTL`, so receivers can switch without losing a delivery.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)

from ..db import schema as t
from ..db.types import UTCDateTime
from ..domain.delivery import REDELIVERY_HOLD, DeliveryStatus
from ..domain.errors import RuleViolationError
from .queries import KeyedPage, page_of
from .state import Needs, Scope

PREVIOUS_SECRET_TTL = timedelta(hours=24)
ALL_TYPES = "*"
E = t.webhook_endpoints.c


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A row of `webhook_endpoints`, in column order."""

    id: str
    url: str
    description: str | None
    event_types: list[str]
    account_id: str | None
    secret: str
    previous_secret: str | None
    previous_secret_until: datetime | None
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime

    def receives(self, event_type: str, account_id: str) -> bool:
        """Whether an event of this type and account is for this endpoint (enabled or not)."""
        return (ALL_TYPES in self.event_types or event_type in self.event_types) and (
            self.account_id is None or self.account_id == account_id
        )

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets that sign a delivery now: the current one, and the previous one for a day."""
        until = self.previous_secret_until
        keep = self.previous_secret is not None and until is not None and now < until
        return [self.secret, self.previous_secret] if keep and self.previous_secret else [self.secret]


COLUMNS = [E[name] for name in Endpoint.__dataclass_fields__]


def endpoint_of(row: Any) -> Endpoint:
    """A row of COLUMNS as an Endpoint."""
    return Endpoint(*row)


def view(endpoint: Endpoint, *, secret: bool = False) -> dict[str, Any]:
    """The endpoint as the API shows it: never its secret, except in the answers that make one."""
    shown = {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "account_id": endpoint.account_id,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
    }
    return {**shown, "secret": endpoint.secret} if secret else shown


@dataclass
class Found:
    """What a command's statement found, after the flush: the endpoint as it left it (None: absent)."""

    endpoint: Endpoint | None = None
    rows: int = 0

    def take_row(self, result: Any) -> None:
        row = result.first()
        self.endpoint = endpoint_of(row) if row is not None else None

    def count_of(self, result: Any) -> None:
        self.rows = int(result.scalar_one())

    def count(self, result: Any) -> None:
        self.rows += max(0, int(result.rowcount or 0))  # psycopg: -1 for an INSERT … SELECT of no rows


@dataclass(frozen=True)
class CreateEndpoint:
    id: str
    url: str
    description: str | None
    event_types: list[str]
    account_id: str | None
    secret: str
    now: datetime

    def needs(self, needs: Needs) -> None:
        if self.account_id is not None:
            needs.lock(self.account_id)

    def apply(self, tx: Scope) -> Endpoint:
        if self.account_id is not None and tx.account(self.account_id) is None:
            raise RuleViolationError("/account_id", f"account {self.account_id!r} does not exist")
        endpoint = Endpoint(
            self.id,
            self.url,
            self.description,
            self.event_types,
            self.account_id,
            self.secret,
            None,
            None,
            True,
            None,
            None,
            self.now,
            self.now,
        )
        tx.execute_after(insert(t.webhook_endpoints), {c.name: getattr(endpoint, c.name) for c in COLUMNS})
        return endpoint


@dataclass(frozen=True)
class ChangeEndpoint:
    """Set some of an endpoint's columns (enable, disable, rotate its secret)."""

    endpoint_id: str
    values: dict[str, Any] = field(hash=False)
    now: datetime

    def needs(self, needs: Needs) -> None:
        return None

    def apply(self, tx: Scope) -> Found:
        found = Found()
        statement = (
            update(t.webhook_endpoints)
            .where(E.id == self.endpoint_id)
            .values(**self.values, updated_at=self.now)
            .returning(*COLUMNS)
        )
        tx.execute_after(statement, {}, found.take_row)
        return found


def enable(endpoint_id: str, now: datetime) -> ChangeEndpoint:
    """Enabled again, with a clean slate: a failure now starts a new five days."""
    return ChangeEndpoint(endpoint_id, {"enabled": True, "disabled_reason": None, "failing_since": None}, now)


def disable(endpoint_id: str, actor: str, now: datetime) -> ChangeEndpoint:
    return ChangeEndpoint(endpoint_id, {"enabled": False, "disabled_reason": f"disabled by {actor}"[:200]}, now)


def rotate_secret(endpoint_id: str, secret: str, now: datetime) -> ChangeEndpoint:
    """The new secret signs from now on; the current one too, for `PREVIOUS_SECRET_TTL`. (In an
    UPDATE every SET reads the row as it was, so `previous_secret` gets the old `secret`.)"""
    values = {"previous_secret": E.secret, "previous_secret_until": now + PREVIOUS_SECRET_TTL, "secret": secret}
    return ChangeEndpoint(endpoint_id, values, now)


@dataclass(frozen=True)
class DeleteEndpoint:
    """The endpoint goes, and its deliveries and attempts with it (ON DELETE CASCADE)."""

    endpoint_id: str

    def needs(self, needs: Needs) -> None:
        return None

    def apply(self, tx: Scope) -> Found:
        found = Found()
        tx.execute_after(delete(t.webhook_endpoints).where(E.id == self.endpoint_id), {}, found.count)
        return found


D = t.webhook_deliveries.c


@dataclass(frozen=True)
class Redeliver:
    """A fresh pending delivery of the event to the endpoint, due now, its attempts counted anew.

    Whatever the event's delivery was (pending, delivered, failed, or never made), it becomes due
    now. A send under way for it (its lease live) keeps going, and keeps the delivery to itself:
    the lease becomes `REDELIVERY_HOLD` from now, longer than any lease taken before, so no
    process claims the delivery before that send is over; and another value than the send's own
    lease, so its outcome is recorded as an attempt and leaves the fresh delivery pending
    (`services.dispatch`). The redelivery then goes out once the hold ends. A lease run out is
    cleared: the delivery is claimable at once."""

    endpoint_id: str
    event_id: str
    now: datetime

    def needs(self, needs: Needs) -> None:
        return None

    def apply(self, tx: Scope) -> Found:
        found = Found()
        when = UTCDateTime()
        fresh = {
            "status": DeliveryStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": self.now,
            "leased_until": case(
                (D.leased_until > literal(self.now, when), literal(self.now + REDELIVERY_HOLD, when)),
                else_=null(),
            ),
            "updated_at": self.now,
        }
        tx.execute_after(
            update(t.webhook_deliveries)
            .where(D.endpoint_id == self.endpoint_id, D.event_id == self.event_id)
            .values(**fresh),
            {},
        )
        row = select(
            literal(self.endpoint_id),
            literal(self.event_id),
            literal(DeliveryStatus.PENDING.value),
            literal(0),
            literal(self.now, when),
            literal(None, when),
            literal(self.now, when),
            literal(self.now, when),
        ).where(
            ~exists().where(D.endpoint_id == self.endpoint_id, D.event_id == self.event_id),
            exists().where(E.id == self.endpoint_id),
            exists().where(t.events.c.id == self.event_id),
        )
        columns = ["endpoint_id", "event_id", "status", "attempts", "next_attempt_at", "leased_until"]
        tx.execute_after(insert(t.webhook_deliveries).from_select([*columns, "created_at", "updated_at"], row), {})
        # Whether the delivery is there now (psycopg reports no row count for an INSERT … SELECT).
        queued = select(func.count()).where(D.endpoint_id == self.endpoint_id, D.event_id == self.event_id)
        tx.execute_after(queued, {}, found.count_of)
        return found


# -- reads --------------------------------------------------------------------------------------------------

ENDPOINT = select(*COLUMNS).where(E.id == bindparam("endpoint_id"))


def endpoint(conn: Connection, endpoint_id: str) -> Endpoint | None:
    row = conn.execute(ENDPOINT, {"endpoint_id": endpoint_id}).first()
    return endpoint_of(row) if row is not None else None


def endpoints_page(conn: Connection, *, after: list[Any] | None, limit: int) -> KeyedPage:
    """Oldest first, by (created_at, id)."""
    stmt = select(*COLUMNS)
    if after is not None:
        at = datetime.fromisoformat(after[0])
        stmt = stmt.where(or_(E.created_at > at, and_(E.created_at == at, E.id > after[1])))
    stmt = stmt.order_by(E.created_at, E.id).limit(limit + 1)
    return page_of(
        [endpoint_of(row) for row in conn.execute(stmt)],
        limit,
        lambda e: [e.created_at.isoformat(timespec="microseconds"), e.id],
    )


EVENT_OF = select(t.events.c.id, t.events.c.type, t.events.c.account_id).where(t.events.c.id == bindparam("event_id"))


def endpoint_and_event(conn: Connection, endpoint_id: str, event_id: str) -> tuple[Endpoint | None, Any]:
    """The endpoint, and the event's (id, type, account_id) or None, from one snapshot."""
    return endpoint(conn, endpoint_id), conn.execute(EVENT_OF, {"event_id": event_id}).first()


A = t.webhook_attempts.c
ATTEMPT_COLUMNS = [A.id, A.event_id, A.attempt, A.at, A.status_code, A.duration_ms, A.error, A.next_attempt_at]


def attempts_page(conn: Connection, endpoint_id: str, *, after: list[Any] | None, limit: int) -> KeyedPage | None:
    """The endpoint's delivery attempts, newest first; None if the endpoint does not exist."""
    if endpoint(conn, endpoint_id) is None:
        return None
    stmt = select(*ATTEMPT_COLUMNS).where(A.endpoint_id == endpoint_id)
    if after is not None:
        stmt = stmt.where(A.id < after[0])
    stmt = stmt.order_by(A.id.desc()).limit(limit + 1)
    return page_of(list(conn.execute(stmt)), limit, lambda row: [row.id])


def attempt_view(row: Any) -> dict[str, Any]:
    return {
        "event_id": row.event_id,
        "attempt": row.attempt,
        "at": row.at,
        "status_code": row.status_code,
        "duration_ms": row.duration_ms,
        "error": row.error,
        "next_attempt_at": row.next_attempt_at,
    }
