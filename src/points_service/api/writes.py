"""Running a write command for a request: the unit of work, and the Idempotency-Key around it.

With an `Idempotency-Key`, the key, the request's fingerprint and the response are stored in the
transaction of the effect, scoped to the API key. A retry with the same key and fingerprint gets
the stored response with `Idempotent-Replayed: true`; another request with the same key gets 422
`idempotency-key-reused`. A twin arriving while the first is still running waits for it (on
PostgreSQL on the key's unique index, on SQLite behind the single writer) and then replays.
Responses 2xx, 404, 409 and 412 are stored; 401, 403, 422 and 5xx are not.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
from collections.abc import AsyncIterator, Callable
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
from .routing import RAW_BODY, parse_json
from .problems import ProblemError, domain_problem, problem_body, render_problem, validation_problem

T = TypeVar("T")
STORED_ERRORS = {404, 409, 412}
IDEMPOTENCY_KEY = r"^[\x20-\x7e]{1,255}$"
_KEY = re.compile(IDEMPOTENCY_KEY)

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
        canonical = json.dumps(parse_json(body), sort_keys=True, separators=(",", ":")).encode() if body else b""
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
            pattern=IDEMPOTENCY_KEY,
        ),
    ] = None,
) -> Idempotency | None:
    """Replays a stored response at once (before If-Match is looked at)."""
    if idempotency_key is None:
        return None
    if not _KEY.fullmatch(idempotency_key):
        raise validation_problem("#/header/idempotency-key", "must be 1 to 255 printable ASCII characters")
    body = await request.body()
    idem = Idempotency(principal.name, idempotency_key, _fingerprint(request, body))
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
    if not db.is_sqlite:
        # A twin still running holds this key's index entry: wait for it, but not forever.
        # (Set before the row is added: executing would autoflush it.)
        await session.execute(text(f"SET LOCAL lock_timeout = {int(wait * 1000)}"))
    row = IdempotencyKey(
        api_key=idem.api_key, key=idem.key, fingerprint=idem.fingerprint, status_code=0, body="", headers={}, created_at=now
    )
    session.add(row)
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
    async with _first_in_process(state.inflight, idem, state.settings.idempotency_wait):
        try:
            status, body, headers = await db.write(
                _idempotent, db, idem, state.settings.idempotency_wait, state.clock.now(), render, command, args, kwargs
            )
        except DomainError as exc:
            slug, extra = domain_problem(exc)
            await store_problem(request, idem, problem_body(request, slug, exc.detail, **extra))
            raise
    return Response(body, status_code=status, headers=headers, media_type="application/json")


@contextlib.asynccontextmanager
async def _first_in_process(inflight: dict[tuple[str, str], asyncio.Event], idem: Idempotency, wait: float) -> AsyncIterator[None]:
    """Twins within this process wait here (at most `wait` seconds) for the first to finish.

    SQLite has a single writer, so this is the whole story there; on PostgreSQL, twins in other
    processes wait on the key's unique index instead.
    """
    slot = (idem.api_key, idem.key)
    deadline = asyncio.get_running_loop().time() + wait
    while (running := inflight.get(slot)) is not None:
        try:
            await asyncio.wait_for(running.wait(), timeout=max(0.0, deadline - asyncio.get_running_loop().time()))
        except TimeoutError:
            raise ProblemError(
                "idempotency-in-progress", "a request with this Idempotency-Key is still running; retry shortly"
            ) from None
    done = inflight[slot] = asyncio.Event()
    try:
        yield
    finally:
        del inflight[slot]
        done.set()


def idempotency_of(request: Request) -> Idempotency | None:
    """The request's key, for errors answered before the route ran (access checks)."""
    principal = getattr(request.state, "principal", None)
    key = request.headers.get("idempotency-key")
    if request.method != "POST" or principal is None or key is None or not _KEY.fullmatch(key):
        return None
    return Idempotency(principal.name, key, _fingerprint(request, request.scope.get(RAW_BODY, b"")))


async def store_problem(request: Request, idem: Idempotency | None, problem: dict[str, Any]) -> None:
    """Store a 404, 409 or 412 answer under the key (in its own transaction: nothing else changed)."""
    if idem is None or problem["status"] not in STORED_ERRORS:
        return
    rendered = (problem["status"], render_problem(problem), {})
    await database(request).write(_store, idem, rendered, request.app.state.clock.now())


async def remember(request: Request, idem: Idempotency | None, status: int, body: BaseModel, headers: dict[str, str]) -> Response:
    """Answer, storing the answer under the key, for operations made of several transactions."""
    text_body = body.model_dump_json()
    if idem is not None:
        await database(request).write(_store, idem, (status, text_body, headers), request.app.state.clock.now())
    return Response(text_body, status_code=status, headers=headers, media_type="application/json")


async def problem_with_idempotency(request: Request, exc: ProblemError) -> Response:
    """The problem handler, storing a 404 of the access checks under the request's key."""
    problem = problem_body(request, exc.slug, exc.detail, **exc.extra)
    if exc.slug == "not-found":
        try:
            await store_problem(request, idempotency_of(request), problem)
        except ReplayError as replay:  # the same request was answered before: answer the same
            return replay_response(replay)
        except ProblemError as reused:
            problem = problem_body(request, reused.slug, reused.detail, **reused.extra)
    return Response(render_problem(problem), status_code=problem["status"], headers=exc.headers, media_type="application/problem+json")
