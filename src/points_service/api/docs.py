"""The OpenAPI document: problem responses per operation, links, and the problem schema.

Which problems each operation can answer is declared here, in one table, so the document (and
the client generated from it) lists every error a caller can get.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import GenerateJsonSchema, SkipJsonSchema

from . import schemas as bodies

# `InvalidPart` is the document's (and the generated client's) `ProblemError` schema; the class has
# another name because `problems.ProblemError` is the exception that carries a problem.
PROBLEM_ERROR = "ProblemError"


class InvalidPart(BaseModel):
    """One invalid part of a request."""

    model_config = ConfigDict(
        title=PROBLEM_ERROR,
        json_schema_extra={"examples": [{"pointer": "#/points", "detail": "Input should be a valid integer"}]},
    )

    pointer: str = Field(
        description="RFC 6901 pointer: `#/field`, `#/query/<name>`, `#/header/<name>`, `#/path/<name>`"
    )
    detail: str = Field(description="what is wrong with it")


def _problem_examples(schema: dict[str, Any]) -> None:
    schema["examples"] = [_EXAMPLES[422], _EXAMPLES[409]]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class Problem(BaseModel):
    """An RFC 9457 problem document. Some types carry more members: `available` and `required`
    (insufficient-points), `current_version` (precondition-failed), `max_points` (a credit too
    large), `ticket_id` (conflict on a ticket's external_ref), `errors` (validation-error),
    `outcome_unknown: true` (database-busy, when the write's COMMIT was cut off and may or may not
    have been applied: repeat it with the same Idempotency-Key to learn which)."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_problem_examples)

    type: str = Field(
        description="`<POINTS_PROBLEM_BASE_URI><slug>`, stable", examples=["/problems/insufficient-points"]
    )
    title: str = Field(description="a short summary of the problem type")
    status: int = Field(description="the HTTP status")
    detail: str = Field(description="what went wrong in this request, for a human")
    # Documented as optional and never null: the None is only this model's default.
    errors: list[InvalidPart] | SkipJsonSchema[None] = Field(
        default=None,
        description="`validation-error` only: the invalid parts of the request; left out otherwise (never null)",
        json_schema_extra=_no_default,
    )


_EXAMPLES: dict[int, dict[str, Any]] = {
    401: {
        "type": "/problems/unauthorized",
        "title": "Unauthorized",
        "status": 401,
        "detail": "a valid API key is required",
    },
    403: {
        "type": "/problems/forbidden",
        "title": "Forbidden",
        "status": 403,
        "detail": "the viewer role may not do this",
    },
    404: {
        "type": "/problems/not-found",
        "title": "Not found",
        "status": 404,
        "detail": "account 'cust-42' does not exist",
    },
    409: {
        "type": "/problems/insufficient-points",
        "title": "Insufficient points",
        "status": 409,
        "detail": "150 points are required but only 80 are available",
        "available": 80,
        "required": 150,
    },
    412: {
        "type": "/problems/precondition-failed",
        "title": "Precondition failed",
        "status": 412,
        "detail": "the ticket is at version 3",
        "current_version": 3,
    },
    413: {
        "type": "/problems/payload-too-large",
        "title": "Payload too large",
        "status": 413,
        "detail": "request bodies are limited to 65536 bytes",
    },
    415: {
        "type": "/problems/unsupported-media-type",
        "title": "Unsupported media type",
        "status": 415,
        "detail": "request bodies must be application/json",
    },
    422: {
        "type": "/problems/validation-error",
        "title": "Validation error",
        "status": 422,
        "detail": "#/points: Input should be a valid integer",
        "errors": [{"pointer": "#/points", "detail": "Input should be a valid integer"}],
    },
    503: {
        "type": "/problems/database-busy",
        "title": "Database busy",
        "status": 503,
        "detail": "the database is busy; retry shortly",
    },
}

_MEANING = {
    401: "missing, malformed or revoked API key (or, for webhooks, a bad signature)",
    403: "this key's role may not do this",
    404: "the resource does not exist, or is not visible to this key",
    409: (
        "conflicts with the current state: `insufficient-points`, `invalid-state`, `conflict`, "
        "`idempotency-in-progress`"
    ),
    412: "`If-Match` names another version: `precondition-failed` with `current_version`",
    413: "the body is larger than 64 KiB",
    415: "the body is not `application/json`",
    422: "invalid request or broken rule: `validation-error` (with `errors`) or `idempotency-key-reused`",
    503: "the database is busy or the connection to it was lost: retry after `Retry-After` (a write whose "
    "COMMIT was cut off says so, with `outcome_unknown: true`: repeat it with the same Idempotency-Key)",
}

READ = (401, 404, 422, 503)
WRITE = (401, 403, 404, 409, 413, 415, 422, 503)
TICKET_WRITE = (*WRITE, 412)

PROBLEMS: dict[str, tuple[int, ...]] = {
    "list_plans": (401, 403, 422, 503),
    "list_categories": (401, 403, 422, 503),
    "list_license_products": (401, 403, 422, 503),
    "quote_category": READ,
    "put_plan": (401, 403, 413, 415, 422, 503),
    "put_category": (401, 403, 413, 415, 422, 503),
    "put_license_product": (401, 403, 413, 415, 422, 503),
    "put_account": (401, 403, 404, 413, 415, 422, 503),
    "list_accounts": (401, 403, 422, 503),
    "list_events": (401, 404, 422, 503),
    "list_idle_tickets": (401, 403, 422, 503),
    "get_event": (401, 404, 503),
    "get_account": READ,
    "get_balance": READ,
    "get_statement": READ,
    "list_ledger_entries": READ,
    "list_lots": READ,
    "list_tickets": READ,
    "create_purchase": WRITE,
    "create_license": WRITE,
    "create_import": WRITE,
    "create_adjustment": WRITE,
    "revoke_lot": WRITE,
    "open_ticket": WRITE,
    "get_ticket": READ,
    "adjust_ticket": TICKET_WRITE,
    "resolve_ticket": TICKET_WRITE,
    "refund_ticket": TICKET_WRITE,
    "credit_ticket": TICKET_WRITE,
    "open_dispute": WRITE,
    "accept_dispute": WRITE,
    "reject_dispute": WRITE,
    "list_disputes": (401, 403, 422, 503),
    "list_account_disputes": READ,
    "get_dispute": (401, 404, 503),
    "receive_billing_event": (401, 413, 415, 422, 503),
    "run_expiry_sweep": (401, 403, 409, 422, 503),
    "verify_ledger": (401, 403, 422, 503),
    "finance_report": (401, 403, 422, 503),
    "expiry_forecast": (401, 403, 422, 503),
    "list_webhook_events": (401, 403, 422, 503),
    "create_webhook_endpoint": (401, 403, 409, 413, 415, 422, 503),
    "list_webhook_endpoints": (401, 403, 422, 503),
    "get_webhook_endpoint": (401, 403, 404, 422, 503),
    "delete_webhook_endpoint": (401, 403, 404, 409, 422, 503),
    "disable_webhook_endpoint": WRITE,
    "enable_webhook_endpoint": WRITE,
    "rotate_webhook_endpoint_secret": WRITE,
    "list_webhook_deliveries": (401, 403, 404, 422, 503),
    "redeliver_webhook_event": WRITE,
    "export_ledger": (401, 403, 422, 503),
    "get_estimate_report": (401, 403, 422, 503),
    "healthz": (),
    "readyz": (503,),
}

_TICKET = {"ticket_id": "$response.body#/id"}
LINKS: dict[str, dict[str, dict[str, Any]]] = {
    "open_ticket": {
        name: {"operationId": name, "parameters": _TICKET, "description": description}
        for name, description in (
            ("get_ticket", "the ticket just opened"),
            ("adjust_ticket", "raise or lower its captured points"),
            ("resolve_ticket", "resolve it"),
            ("refund_ticket", "refund it"),
            ("credit_ticket", "credit part of it once resolved"),
        )
    },
    "put_account": {
        name: {"operationId": name, "parameters": {"account_id": "$response.body#/account_id"}}
        for name in ("get_account", "get_balance", "get_statement", "create_purchase", "open_ticket", "list_lots")
    },
    "create_purchase": {
        "revoke_lot": {"operationId": "revoke_lot", "parameters": {"lot_id": "$response.body#/lot/id"}},
        "get_balance": {"operationId": "get_balance", "parameters": {"account_id": "$request.path.account_id"}},
    },
}


def _problem_response(status: int) -> dict[str, Any]:
    return {
        "description": _MEANING[status],
        "content": {
            "application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"},
                "example": _EXAMPLES[status],
            }
        },
    }


# The components this module adds to the document, by their names there.
COMPONENTS: dict[str, type[BaseModel]] = {"Problem": Problem, PROBLEM_ERROR: InvalidPart}


class _ComponentNames(GenerateJsonSchema):
    """Refers to each of `COMPONENTS` by its name in the document (`InvalidPart` as `ProblemError`)."""

    def normalize_name(self, name: str) -> str:
        renamed = {model.__name__: component for component, model in COMPONENTS.items()}
        return super().normalize_name(renamed.get(name, name))


# Bodies without a model of their own.
_BODY_EXAMPLES: dict[str, dict[str, Any]] = {"healthz": {"status": "ok"}, "readyz": {"status": "ok"}}


def _model_of(name: str) -> type[BaseModel]:
    """The model behind a component schema (`Page_Lot_` is `Page[Lot]`)."""
    if name.startswith("Page_") and name.endswith("_"):
        return bodies.Page[_model_of(name.removeprefix("Page_").removesuffix("_"))]  # type: ignore[misc, return-value]  # pydantic makes a model class of Page[a class known at run time]
    model = getattr(bodies, name, None) or COMPONENTS.get(name)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise LookupError(f"no model for the component schema {name}")
    return model


def _restore_examples(components: dict[str, Any]) -> None:
    """Model-level examples as pydantic writes them, nulls included.

    FastAPI encodes the document with `exclude_none`, which also drops every null inside an
    example, and an example without the nulls of its required nullable fields is not valid."""
    for name, schema in components.items():
        if "examples" in schema:
            schema["examples"] = _model_of(name).model_json_schema()["examples"]


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`X | None` of an optional parameter is just X: a query or header is left out, never null.

    (FastAPI documents `str | None = None` as `anyOf: [string, null]`, and a client then sends
    `If-Match: null` or `?cursor=null` believing them valid.)"""
    branches = schema.get("anyOf")
    if not isinstance(branches, list) or {"type": "null"} not in branches:
        return schema
    rest = [branch for branch in branches if branch != {"type": "null"}]
    outer = {key: value for key, value in schema.items() if key != "anyOf"}
    if len(rest) == 1:
        return {**rest[0], **outer}
    return {**outer, "anyOf": rest}


def build_openapi(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes, tags=TAGS
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, model in COMPONENTS.items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", schema_generator=_ComponentNames)
        schema.pop("$defs", None)
        schemas[name] = schema
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    _restore_examples(schemas)
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                parameter["schema"] = _not_null(parameter["schema"])
            op_id = operation["operationId"]
            responses = operation["responses"]
            responses.pop("422", None)  # FastAPI's own shape; ours is a problem document
            for status in PROBLEMS[op_id]:
                responses[str(status)] = _problem_response(status)
            success = next((code for code in ("201", "200") if code in responses), None)
            if op_id in _BODY_EXAMPLES and success:
                responses[success]["content"]["application/json"]["example"] = _BODY_EXAMPLES[op_id]
            if op_id in LINKS and success:
                responses[success]["links"] = LINKS[op_id]
    return document


TAGS = [
    {"name": "catalogue", "description": "Point packs, ticket categories with their pricing rules, license products."},
    {
        "name": "accounts",
        "description": "Customer accounts and what is read about one: balance, statement, ledger, lots, tickets.",
    },
    {
        "name": "points",
        "description": "Points coming in (purchases, license bonuses, imports, adjustments) and revocation.",
    },
    {"name": "tickets", "description": "Support tickets: capture, adjust, resolve, refund, credit."},
    {"name": "webhooks", "description": "Signed events from the billing system."},
    {
        "name": "webhook-endpoints",
        "description": "Where the service pushes its events (signed per Standard Webhooks), and each push's outcome.",
    },
    {
        "name": "reports",
        "description": "Reads over every account for a period: the ledger export, the estimate accuracy report.",
    },
    {"name": "admin", "description": "Operations: the expiry sweep, the ledger check, stored webhook events."},
    {"name": "health", "description": "Liveness and readiness."},
]


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the document
