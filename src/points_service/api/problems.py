"""RFC 9457 problem documents: the one table from errors to HTTP, and the handlers that use it."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from ..domain.errors import (
    ConflictError,
    DomainError,
    InsufficientPointsError,
    InvalidStateError,
    NotFoundError,
    PreconditionFailedError,
    RuleViolationError,
)
from ..services.idempotency import IdempotencyInProgressError, IdempotencyKeyReusedError
from ..services.uow import CommitOutcomeUnknownError, DatabaseBusyError, DatabaseUnreachableError, connection_failed
from .routing import MALFORMED_JSON

log = logging.getLogger("points_service.errors")

MEDIA_TYPE = "application/problem+json"

# slug → (status, title, description served at GET /problems/<slug>)
PROBLEMS: dict[str, tuple[int, str, str]] = {
    "insufficient-points": (
        409,
        "Insufficient points",
        "The account does not have enough available points. `available` is what it has now, "
        "`required` the points the operation needs. Nothing was changed.",
    ),
    "invalid-state": (409, "Invalid state", "The ticket's state does not allow this action. Nothing was changed."),
    "conflict": (
        409,
        "Conflict",
        "The request contradicts something already recorded under a unique identifier (payment id, "
        "license key, external reference, name). Nothing was changed.",
    ),
    "not-found": (404, "Not found", "The resource does not exist, or is not visible to this API key."),
    "validation-error": (
        422,
        "Validation error",
        "The request is malformed or breaks a rule. `errors` lists each problem with an RFC 6901 "
        "`pointer` into the body (`#/…`), or `#/query/<name>`, `#/header/<name>`, `#/path/<name>`.",
    ),
    "precondition-failed": (
        412,
        "Precondition failed",
        "The `If-Match` version is not the ticket's current version (`current_version`). Reload and retry.",
    ),
    "unauthorized": (401, "Unauthorized", "A valid `Authorization: Bearer <api key>` header is required."),
    "forbidden": (403, "Forbidden", "This API key's role may not perform this operation."),
    "idempotency-key-reused": (
        422,
        "Idempotency key reused",
        "This Idempotency-Key was already used with a different request.",
    ),
    "idempotency-in-progress": (
        409,
        "Idempotency key in progress",
        "A request with this Idempotency-Key is still being processed. Retry shortly.",
    ),
    "method-not-allowed": (405, "Method not allowed", "The resource does not support this method; see `Allow`."),
    "payload-too-large": (413, "Payload too large", "The request body exceeds the size limit."),
    "uri-too-long": (414, "URI too long", "The request target (path and query string) is longer than 8 KiB."),
    "unsupported-media-type": (415, "Unsupported media type", "Request bodies must be `application/json`."),
    "request-header-fields-too-large": (
        431,
        "Request header fields too large",
        "A header field is larger than 8 KiB, or the header fields are larger than 32 KiB in all (the "
        "request line and header fields larger than 64 KiB are refused before they are read whole).",
    ),
    "too-many-requests": (
        429,
        "Too many requests",
        "Too many failed sign-ins to the pages from this address. Retry after `Retry-After` seconds.",
    ),
    "database-busy": (503, "Database busy", "The database is busy. Retry after `Retry-After` seconds."),
    "internal-error": (500, "Internal error", "An unexpected error occurred. It has been logged."),
}


class ProblemError(Exception):
    """An HTTP-level failure raised by the API layer itself (auth, headers, pagination)."""

    def __init__(self, slug: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.slug = slug
        self.detail = detail
        self.headers = headers
        self.extra = extra


def validation_problem(pointer: str, detail: str, **extra: Any) -> ProblemError:
    return ProblemError("validation-error", detail, errors=[{"pointer": pointer, "detail": detail}], **extra)


def problem_document(base_uri: str, slug: str, detail: str, **extra: Any) -> dict[str, Any]:
    """Every problem document the service sends is built here (the ASGI guards' included)."""
    status, title, _ = PROBLEMS[slug]
    reserved = {"type": f"{base_uri}{slug}", "title": title, "status": status, "detail": detail}
    return reserved | {k: v for k, v in extra.items() if k not in reserved}


def problem_body(request: Request, slug: str, detail: str, **extra: Any) -> dict[str, Any]:
    """`problem_document` with the app's configured base URI."""
    return problem_document(request.app.state.settings.problem_base_uri, slug, detail, **extra)


def render_problem(body: dict[str, Any]) -> str:
    """The exact bytes JSONResponse sends, so a stored problem replays identically."""
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def problem_response(
    request: Request, slug: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = problem_body(request, slug, detail, **extra)
    return JSONResponse(body, status_code=body["status"], headers=headers, media_type=MEDIA_TYPE)


# A domain error → its problem type: the most specific class listed wins (its MRO is walked).
DOMAIN_PROBLEMS: dict[type[DomainError], str] = {
    IdempotencyKeyReusedError: "idempotency-key-reused",
    IdempotencyInProgressError: "idempotency-in-progress",
    InsufficientPointsError: "insufficient-points",
    InvalidStateError: "invalid-state",
    ConflictError: "conflict",
    NotFoundError: "not-found",
    PreconditionFailedError: "precondition-failed",
    RuleViolationError: "validation-error",
    DomainError: "validation-error",
}


def domain_problem(exc: DomainError) -> tuple[str, dict[str, Any]]:
    """The problem type of a domain error, and the members its document carries."""
    slug = next(DOMAIN_PROBLEMS[cls] for cls in type(exc).__mro__ if cls in DOMAIN_PROBLEMS)
    if slug != "validation-error":
        return slug, exc.extra
    pointer = _body_pointer(exc.pointer) if isinstance(exc, RuleViolationError) else "#"
    return slug, {"errors": [{"pointer": pointer, "detail": exc.detail}], **exc.extra}


def _body_pointer(pointer: str) -> str:
    return pointer if pointer.startswith("#") else "#" + pointer


def _escape(token: Any) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer_for(loc: tuple[Any, ...]) -> str:
    """FastAPI's error location → `#/field/0`, `#/query/limit`, `#/header/if-match`."""
    if not loc:
        return "#"
    where, *rest = loc
    if where == "body":
        return "#" + "".join("/" + _escape(part) for part in rest)
    if where == "header":  # header names are case-insensitive: always reported in lower case
        return "#/header/" + "/".join(_escape(str(part).lower()) for part in rest)
    if where in ("query", "path", "cookie"):
        return f"#/{where}/" + "/".join(_escape(part) for part in rest)
    return "#" + "".join("/" + _escape(part) for part in loc)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    errors = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        if error.get("type") == "json_invalid":
            errors.append({"pointer": "#", "detail": f"malformed JSON: {error.get('ctx', {}).get('error', 'invalid')}"})
            continue
        if error.get("type") == "missing" and loc == ("body",):
            errors.append({"pointer": "#", "detail": "a JSON request body is required"})
            continue
        if loc[:1] == ("body",):
            loc = ("body", *_body_path(exc.body, loc[1:]))
        errors.append({"pointer": pointer_for(loc), "detail": str(error.get("msg", "invalid"))})
    return errors


def _body_path(body: Any, parts: tuple[Any, ...]) -> list[Any]:
    """The location as a path into the body sent: pydantic also names the branch of a tagged
    union (`pricing/fixed/points`), which is no member of the body and is dropped here."""
    path: list[Any] = []
    node = body
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if isinstance(node, dict) and part in node:  # noqa: SIM114  # a member of an object and an item of a list: two cases
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict) and not last and isinstance(parts[index + 1], str):
            continue  # a union tag between this object and its member
        elif not last:
            node = None
        path.append(part)
    return path


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> str:
    """Every method the request's path supports, for `Allow` (RFC 9110).

    Starlette names only the methods of the first route whose path matched, and FastAPI makes one
    route per method (`GET` and `PUT /v1/accounts/x` are two routes): so ask the router, per method.
    """
    routes = request.app.router.routes
    allowed = [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    ]
    return ", ".join(allowed)


def install_problem_handlers(app: FastAPI) -> None:
    """Every exception handler of the app: what each error a request can meet answers."""
    # These modules build on this one (its documents and `ProblemError`): imported when the app
    # is made, not when this module loads.
    from .deps import missing_account
    from .writes import ReplayError, remember_refusal, replay_response

    @app.exception_handler(ReplayError)
    async def _replay(_request: Request, exc: ReplayError) -> Response:
        return replay_response(exc)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        slug, extra = domain_problem(exc)
        return problem_response(request, slug, exc.detail, **extra)

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> Response:
        if exc.slug == "validation-error":
            exc = await missing_account(request) or exc  # a 404 comes before a 422
        body = problem_body(request, exc.slug, exc.detail, **exc.extra)
        if exc.slug == "not-found":  # an access check's 404 is stored under the request's key
            stored = await remember_refusal(request, body)
            if stored is not None:
                return stored
        return JSONResponse(body, status_code=body["status"], headers=exc.headers, media_type=MEDIA_TYPE)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        missing = await missing_account(request)
        if missing is not None:  # a 404 comes before a 422
            return await _problem(request, missing)
        malformed = request.scope.get(MALFORMED_JSON)
        errors = _validation_errors(exc)
        if malformed is not None:
            # The body's own errors come from the placeholder; only the other parts' errors stand.
            others = [e for e in errors if e["pointer"].startswith(("#/query/", "#/header/", "#/path/"))]
            errors = [{"pointer": "#", "detail": f"malformed JSON: {malformed}"}, *others]
        detail = "; ".join(f"{e['pointer']}: {e['detail']}" for e in errors[:5])
        return problem_response(request, "validation-error", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {
            404: "not-found",
            405: "method-not-allowed",
            413: "payload-too-large",
            415: "unsupported-media-type",
            401: "unauthorized",
            403: "forbidden",
        }.get(exc.status_code)
        if slug is None:
            slug = "validation-error" if 400 <= exc.status_code < 500 else "internal-error"
        detail = {404: "no such resource", 405: f"{request.method} is not allowed here"}.get(
            exc.status_code, str(exc.detail)
        )
        extra: dict[str, Any] = {"errors": [{"pointer": "#", "detail": detail}]} if slug == "validation-error" else {}
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            # A mounted app (the docs' static files) names its own methods: the router, asked from
            # inside the mount, sees no route there.
            headers = dict(headers or {})
            headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
        return problem_response(request, slug, detail, headers=headers, **extra)

    @app.exception_handler(DatabaseBusyError)
    async def _busy(request: Request, exc: DatabaseBusyError) -> JSONResponse:
        if isinstance(exc, CommitOutcomeUnknownError):  # say it in a member a client can test
            return _database_unavailable(request, exc, "busy", exc.detail, outcome_unknown=True)
        if isinstance(exc, DatabaseUnreachableError):
            return _database_unavailable(request, exc, "unreachable", exc.detail)
        return _database_unavailable(request, exc, "busy", exc.detail)

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        if not connection_failed(exc):
            return await unexpected_error_response(request, exc)
        # The connection died under a read, or none could be made, because of a database restart
        # or a failover: nothing was changed, and the next request gets a live connection.
        return _database_unavailable(
            request, exc, "disconnect", "the connection to the database was lost; retry shortly"
        )

    # The database cannot be reached at all: connection refused or reset, a connect timeout, or
    # no pooled connection free in time. The service makes no other outbound connection.
    @app.exception_handler(ConnectionError)
    @app.exception_handler(TimeoutError)
    @app.exception_handler(SQLAlchemyTimeoutError)
    async def _unreachable(request: Request, exc: Exception) -> JSONResponse:
        return _database_unavailable(request, exc, "unreachable", "the database cannot be reached; retry shortly")

    # `RequestObserver` answers unexpected errors itself, inside the request's id; this handler
    # (Starlette's, outside every middleware) only logs an error raised after the answer began.
    app.add_exception_handler(Exception, unexpected_error_response)


def _database_unavailable(request: Request, exc: Exception, kind: str, detail: str, **extra: Any) -> JSONResponse:
    """503 `database-busy` with `Retry-After`, counted by `kind`; the driver's message is logged,
    never sent."""
    log.warning("database %s on %s %s: %r", kind, request.method, request.url.path, exc)
    request.app.state.metrics.database_error(kind)
    return problem_response(request, "database-busy", detail, headers={"Retry-After": "1"}, **extra)


async def unexpected_error_response(request: Request, exc: Exception) -> JSONResponse:
    """500 `internal-error`, logged with its traceback (which never reaches the client)."""
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if isinstance(exc, DBAPIError):
        request.app.state.metrics.database_error("error")
    return problem_response(request, "internal-error", "an unexpected error occurred")


router = APIRouter(include_in_schema=False)


@router.get("/problems/{slug}")
async def describe_problem(slug: str, request: Request) -> PlainTextResponse:
    if slug not in PROBLEMS:
        raise ProblemError("not-found", f"no problem type {slug!r}")
    status, title, description = PROBLEMS[slug]
    return PlainTextResponse(f"{title} ({status})\n\n{description}\n")
