"""Running a write command for a request, with its Idempotency-Key.

The key's rules live in `services.idempotency`: the response is stored in the transaction of the
effect, scoped to the API key. Here: the request's fingerprint, the replay of a stored response
before the route runs (and before If-Match is looked at), the rendering of responses and refusals
for the command to store, and the in-process wait for a twin still running (on SQLite, and
between this process's writers; twins in other processes wait on the key's unique index).
Responses 2xx, 404, 409 and 412 are stored; 401, 403, 422 and 5xx are not.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import bindparam

from ..db import schema as t
from ..db.records import SELECT, StoredResponse
from ..domain.errors import DomainError
from ..services.idempotency import Answered, IdempotencyKeyReusedError, Idempotent, Rendered, RequestKey, StoreResponse
from ..services.state import Command
from .deps import Principal, bearer, database, principal_of
from .problems import ProblemError, domain_problem, problem_body, problem_response, render_problem, validation_problem
from .routing import RAW_BODY, parse_json

R = TypeVar("R")
STORED_ERRORS = {404, 409, 412}
IDEMPOTENCY_KEY = r"^[\x20-\x7e]{1,255}$"
_KEY = re.compile(IDEMPOTENCY_KEY)
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"

Present = Callable[[Any], tuple[int, Any, dict[str, str]]]

STORED_RESPONSE = SELECT[StoredResponse].where(
    t.idempotency_keys.c.api_key == bindparam("api_key"), t.idempotency_keys.c.key == bindparam("key")
)


class ReplayError(Exception):
    """Answer with a stored response."""

    def __init__(self, answered: Answered) -> None:
        super().__init__("replay")
        self.answered = answered


def answer(answered: Answered) -> Response:
    """The response a command's stored (or storable) answer gives."""
    rendered = answered.response
    headers = {**rendered.headers, "Idempotent-Replayed": "true"} if answered.replayed else rendered.headers
    media = PROBLEM_JSON if rendered.status >= 400 else JSON
    return Response(rendered.body, status_code=rendered.status, headers=headers, media_type=media)


def replay_response(exc: ReplayError) -> Response:
    return answer(exc.answered)


def _fingerprint(request: Request, body: bytes) -> str:
    try:
        canonical = json.dumps(parse_json(body), sort_keys=True, separators=(",", ":")).encode() if body else b""
    except ValueError:
        canonical = body
    target = request.url.path + ("?" + request.url.query if request.url.query else "")
    return hashlib.sha256(f"{request.method} {target}\n".encode() + canonical).hexdigest()


M = TypeVar("M", bound=BaseModel)


async def fast_write(request: Request, model: type[M], *headers: tuple[str, str]) -> tuple[M, list[str | None]] | None:
    """For a write route's fast path (`routing.fast_path`): the body as `model` and the values of
    the Idempotency-Key and `headers` (name, pattern), each None when absent. None instead when
    FastAPI must take the request: a query string, a content type other than `application/json`,
    a body that is not JSON or that `model` refuses, a header given twice or not of its pattern.
    Keeps the raw body where DeferredJsonRoute does, for the answers of the access checks."""
    values: list[str | None] = []
    for name, pattern in (("idempotency-key", IDEMPOTENCY_KEY), *headers):
        given = request.headers.getlist(name)
        if len(given) > 1 or (given and re.fullmatch(pattern, given[0]) is None):
            return None
        values.append(given[0] if given else None)
    if request.scope["query_string"] or request.headers.getlist("content-type") != [JSON]:
        return None
    raw = await request.body()
    try:
        body = model.model_validate(parse_json(raw))
    except ValueError:  # not JSON, or not the model (pydantic's ValidationError is a ValueError)
        return None
    request.scope[RAW_BODY] = raw
    return body, values


def _reused() -> ProblemError:
    return ProblemError("idempotency-key-reused", IdempotencyKeyReusedError().detail)


async def key_or_replay(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="1–255 printable ASCII characters; a retry with the same key replays the first response",
            pattern=IDEMPOTENCY_KEY,
        ),
    ] = None,
) -> RequestKey | None:
    """Replays a stored response at once (before If-Match is looked at).

    The caller is the one the route's access check (its first dependency) authenticated; depending on
    `Caller` again would cost FastAPI another dependency to solve on every write."""
    if idempotency_key is None:
        return None
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # no access check ran before this one
        principal = await principal_of(request, await bearer(request))
    if not _KEY.fullmatch(idempotency_key):
        raise validation_problem("#/header/idempotency-key", "must be 1 to 255 printable ASCII characters")
    key = RequestKey(principal.name, idempotency_key, _fingerprint(request, await request.body()))
    rows = await database(request).read_one(STORED_RESPONSE, {"api_key": key.api_key, "key": key.key})
    if rows:
        stored = StoredResponse(*rows[0])  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
        if stored.fingerprint != key.fingerprint:
            raise _reused()
        raise ReplayError(Answered(Rendered(stored.status_code, stored.body, dict(stored.headers)), replayed=True))
    return key


# A write route's Idempotency-Key: None without the header; a stored answer replays at once.
KeyOrReplay = Annotated[RequestKey | None, Depends(key_or_replay)]


def refusal_renderer(request: Request) -> Callable[[DomainError], Rendered | None]:
    """How a refused command's answer is stored: the problem document, for 404, 409 and 412."""

    def render(exc: DomainError) -> Rendered | None:
        slug, extra = domain_problem(exc)
        problem = problem_body(request, slug, exc.detail, **extra)
        if problem["status"] not in STORED_ERRORS:
            return None
        return Rendered(problem["status"], render_problem(problem), {})

    return render


async def execute(
    request: Request, key: RequestKey | None, command: Command[R], *, present: Present, model: type[BaseModel]
) -> Response:
    """Run `command` through the writers and answer with what `present` makes of its result."""
    db = database(request)

    def render(result: R) -> Rendered:
        status, body, headers = present(result)
        return Rendered(status, model.model_validate(body).model_dump_json(), headers)

    if key is None:
        rendered = render(await db.write(command))
        return Response(rendered.body, status_code=rendered.status, headers=rendered.headers, media_type=JSON)
    state = request.app.state
    async with _first_in_process(state.inflight, key, state.settings.idempotency_wait):
        try:
            answered = await db.write(
                Idempotent(
                    command=command,
                    key=key,
                    now=state.clock.now(),
                    render=render,
                    render_refusal=refusal_renderer(request),
                )
            )
        except IdempotencyKeyReusedError:
            raise _reused() from None
    return answer(answered)


@contextlib.asynccontextmanager
async def _first_in_process(
    inflight: dict[tuple[str, str], asyncio.Event], key: RequestKey, wait: float
) -> AsyncIterator[None]:
    """Twins within this process wait here (at most `wait` seconds) for the first to finish.

    The first's response is then stored, and the twin's own batch finds it and replays it.
    """
    slot = (key.api_key, key.key)
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


def request_key(request: Request) -> RequestKey | None:
    """The request's key, for errors answered before the route ran (access checks)."""
    principal = getattr(request.state, "principal", None)
    key = request.headers.get("idempotency-key")
    if request.method != "POST" or principal is None or key is None or not _KEY.fullmatch(key):
        return None
    return RequestKey(principal.name, key, _fingerprint(request, request.scope.get(RAW_BODY, b"")))


async def remember(
    request: Request, key: RequestKey | None, status: int, body: BaseModel, headers: dict[str, str]
) -> Response:
    """Answer, storing the answer under the key, for operations made of several transactions."""
    rendered = Rendered(status, body.model_dump_json(), headers)
    if key is None:
        return answer(Answered(rendered, replayed=False))
    try:
        answered = await database(request).write(
            StoreResponse(key=key, now=request.app.state.clock.now(), response=rendered)
        )
    except IdempotencyKeyReusedError:
        raise _reused() from None
    return answer(answered)


async def remember_refusal(request: Request, problem: dict[str, Any]) -> Response | None:
    """Store a refusal of the access checks (a 404) under the request's Idempotency-Key, so the
    same request answered before is answered the same; None if the request has no key."""
    key = request_key(request)
    if key is None:
        return None
    rendered = Rendered(problem["status"], render_problem(problem), {})
    now = request.app.state.clock.now()
    try:
        answered = await database(request).write(StoreResponse(key=key, now=now, response=rendered))
    except IdempotencyKeyReusedError:
        reused = _reused()
        return problem_response(request, reused.slug, reused.detail)
    return answer(answered)
