"""Idempotency-Key: a POST's response stored with its effect, in the same transaction.

A command wrapped in `Idempotent` first looks for the response stored under its key (scoped to the
API key). Found with the same request fingerprint, it is answered again (replayed) and nothing
runs; found with another fingerprint, `IdempotencyKeyReusedError`. Otherwise the command runs and
its response (`render`) is stored beside its rows; a refusal whose answer is stored too (404, 409,
412: `render_refusal` says) leaves no row but that response. A twin running in another process at
the same time waits on the key's unique index and then meets the stored response (the batch is
redone carefully, `uow`).

The API gives the two render functions: they turn a result into the exact bytes the client gets,
and are plain functions of their argument (no I/O), so running them inside the batch costs nothing
but the rendering itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import delete

from ..db import schema as t
from ..db.records import StoredResponse
from ..domain.errors import DomainError
from .state import Command, Needs, Scope

R = TypeVar("R")


class IdempotencyKeyReusedError(DomainError):
    """The key was already used with a different request."""

    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was already used with a different request")


class IdempotencyInProgressError(DomainError):
    """A twin request with this key is still running (in another process) and held the key for
    longer than the lock timeout."""

    def __init__(self) -> None:
        super().__init__("a request with this Idempotency-Key is still running; retry shortly")


@dataclass(frozen=True)
class RequestKey:
    """An Idempotency-Key as the service keeps it: scoped to the API key, with the request's
    fingerprint (method, path and canonical body)."""

    api_key: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Rendered:
    status: int
    body: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Answered:
    response: Rendered
    replayed: bool


def _stored(tx: Scope, key: RequestKey) -> Answered | None:
    stored = tx.stored_response(key.api_key, key.key)
    if stored is None:
        return None
    if stored.fingerprint != key.fingerprint:
        raise IdempotencyKeyReusedError()
    return Answered(Rendered(stored.status_code, stored.body, dict(stored.headers)), replayed=True)


def _store(tx: Scope, key: RequestKey, rendered: Rendered, now: datetime) -> Answered:
    tx.insert(
        StoredResponse(key.api_key, key.key, key.fingerprint, rendered.status, rendered.body, rendered.headers, now)
    )
    return Answered(rendered, replayed=False)


@dataclass(frozen=True, kw_only=True)
class Idempotent(Generic[R]):
    command: Command[R]
    key: RequestKey
    now: datetime
    render: Callable[[R], Rendered]
    render_refusal: Callable[[DomainError], Rendered | None]  # None: not stored (422)

    def needs(self, needs: Needs) -> None:
        self.command.needs(needs)
        needs.responses.add((self.key.api_key, self.key.key))

    def apply(self, tx: Scope) -> Answered:
        replay = _stored(tx, self.key)
        if replay is not None:
            return replay
        step = tx.child()
        try:
            result = self.command.apply(step)
        except DomainError as exc:
            refusal = self.render_refusal(exc)
            if refusal is None:
                raise
            return _store(tx, self.key, refusal, self.now)  # the refused command left nothing
        step.commit()
        return _store(tx, self.key, self.render(result), self.now)


@dataclass(frozen=True, kw_only=True)
class StoreResponse:
    """Store an answer given without a command (an access check's 404, an admin sweep's result);
    a response stored first under the key is answered instead."""

    key: RequestKey
    now: datetime
    response: Rendered

    def needs(self, needs: Needs) -> None:
        needs.responses.add((self.key.api_key, self.key.key))

    def apply(self, tx: Scope) -> Answered:
        return _stored(tx, self.key) or _store(tx, self.key, self.response, self.now)


@dataclass
class Purged:
    responses: int = 0


@dataclass(frozen=True, kw_only=True)
class PurgeResponses:
    """Delete the responses stored before `before` (kept at least 24 hours)."""

    before: datetime

    def needs(self, needs: Needs) -> None:
        return None

    def apply(self, tx: Scope) -> Purged:
        purged = Purged()

        def count(result: Any) -> None:
            purged.responses = int(result.rowcount or 0)

        tx.execute_after(delete(t.idempotency_keys).where(t.idempotency_keys.c.created_at < self.before), {}, count)
        return purged
