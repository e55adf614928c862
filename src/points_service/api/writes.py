"""Running a write command for a request: the unit of work, and the Idempotency-Key around it.

With an `Idempotency-Key`, the key, the request's fingerprint and the response are stored in the
transaction of the effect, scoped to the API key. A retry with the same key and fingerprint gets
the stored response with `Idempotent-Replayed: true`; another request with the same key gets 422
`idempotency-key-reused`. A twin arriving while the first is still running waits for it (on
PostgreSQL on the key's unique index, on SQLite behind the single writer) and then replays.
Responses 2xx, 404, 409 and 412 are stored; 401, 403, 422 and 5xx are not.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Header, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from ..db.models import IdempotencyKey
from ..domain.errors import DomainError
from ..services.uow import Database
from .deps import Caller, database
from .problems import ProblemError, domain_problem, problem_body, render_problem, validation_problem

T = TypeVar("T")
STORED_ERRORS = {404, 409, 412}
_KEY = re.compile(r"^[\x20-\x7e]{1,255}$")

Rendered = tuple[int, str, dict[str, str]]
Present = Callable[[Any], tuple[int, Any, dict[str, str]]]


@dataclass(frozen=True)
class Idempotency:
    api_key: str
    key: str
    fingerprint: str


class ReplayError(Exception):
    """Answer with a stored response."""

    def __init__(self, row: IdempotencyKey) -> None:
        super().__init__(row.key)
        self.status_code, self.body, self.headers = row.status_code, row.body, dict(row.headers)


def replay_response(exc: ReplayError) -> Response:
    media = "application/problem+json" if exc.status_code >= 400 else "application/json"
    headers = {**exc.headers, "Idempotent-Replayed": "true"}
    return Response(exc.body, status_code=exc.status_code, headers=headers, media_type=media)


def _fingerprint(request: Request, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode() if body else b""
    except ValueError:
        canonical = body
    target = request.url.path + ("?" + request.url.query if request.url.query else "")
    return hashlib.sha256(f"{request.method} {target}\n".encode() + canonical).hexdigest()


def _check(row: IdempotencyKey, fingerprint: str) -> None:
    if row.fingerprint != fingerprint:
        raise ProblemError(
            "idempotency-key-reused", "this Idempotency-Key was already used with a different request"
        )
    raise ReplayError(row)


async def idempotency(
    request: Request,
    principal: Caller,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="1–255 printable ASCII characters; a retry with the same key replays the first response",
        ),
    ] = None,
) -> Idempotency | None:
    """Replays a stored response at once (before If-Match is looked at)."""
    if idempotency_key is None:
        return None
    if not _KEY.match(idempotency_key):
        raise validation_problem("#/header/idempotency-key", "must be 1 to 255 printable ASCII characters")
    idem = Idempotency(principal.name, idempotency_key, _fingerprint(request, await request.body()))
    async with database(request).snapshot() as session:
        row = await session.get(IdempotencyKey, (idem.api_key, idem.key))
    if row is not None and row.status_code:
        _check(row, idem.fingerprint)
    return idem


async def _store(session: AsyncSession, idem: Idempotency, rendered: Rendered, now: datetime) -> None:
    row = await session.get(IdempotencyKey, (idem.api_key, idem.key))
    if row is not None:
        _check(row, idem.fingerprint)  # a twin answered first: replay its answer
    status, body, headers = rendered
    session.add(
        IdempotencyKey(
            api_key=idem.api_key,
            key=idem.key,
            fingerprint=idem.fingerprint,
            status_code=status,
            body=body,
            headers=headers,
            created_at=now,
        )
    )


async def _idempotent(
    session: AsyncSession,
    db: Database,
    idem: Idempotency,
    wait: float,
    now: datetime,
    render: Callable[[Any], Rendered],
    command: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Rendered:
    row = await session.get(IdempotencyKey, (idem.api_key, idem.key))
    if row is not None:
        _check(row, idem.fingerprint)
    row = IdempotencyKey(
        api_key=idem.api_key, key=idem.key, fingerprint=idem.fingerprint, status_code=0, body="", headers={}, created_at=now
    )
    session.add(row)
    if not db.is_sqlite:
        # A twin still running holds this key's index entry: wait for it, but not forever.
        await session.execute(text(f"SET LOCAL lock_timeout = {int(wait * 1000)}"))
    try:
        await session.flush()
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == "55P03":
            raise ProblemError(
                "idempotency-in-progress", "a request with this Idempotency-Key is still running; retry shortly"
            ) from None
        raise
    if not db.is_sqlite:
        await session.execute(text("SET LOCAL lock_timeout = DEFAULT"))
    rendered = render(await command(session, *args, **kwargs))
    row.status_code, row.body, row.headers = rendered
    return rendered


async def execute(
    request: Request,
    idem: Idempotency | None,
    command: Callable[..., Any],
    /,
    *args: Any,
    present: Present,
    model: type[BaseModel],
    **kwargs: Any,
) -> Response:
    """Run `command` in a unit of work and answer with what `present` makes of its result."""
    db = database(request)

    def render(result: Any) -> Rendered:
        status, body, headers = present(result)
        return status, model.model_validate(body).model_dump_json(), headers

    if idem is None:
        status, body, headers = render(await db.write(command, *args, **kwargs))
        return Response(body, status_code=status, headers=headers, media_type="application/json")
    state = request.app.state
    try:
        status, body, headers = await db.write(
            _idempotent, db, idem, state.settings.idempotency_wait, state.clock.now(), render, command, args, kwargs
        )
    except DomainError as exc:
        slug, extra = domain_problem(exc)
        problem = problem_body(request, slug, exc.detail, **extra)
        if problem["status"] in STORED_ERRORS:
            rendered = (problem["status"], render_problem(problem), {})
            await db.write(_store, idem, rendered, state.clock.now())
        raise
    return Response(body, status_code=status, headers=headers, media_type="application/json")


async def remember(request: Request, idem: Idempotency | None, status: int, body: BaseModel, headers: dict[str, str]) -> Response:
    """Answer, storing the answer under the key, for operations made of several transactions."""
    text_body = body.model_dump_json()
    if idem is not None:
        await database(request).write(_store, idem, (status, text_body, headers), request.app.state.clock.now())
    return Response(text_body, status_code=status, headers=headers, media_type="application/json")
