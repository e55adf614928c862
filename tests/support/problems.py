"""Assertions on answers: RFC 9457 problem documents (`application/problem+json`) and successes.

The variants differ in what they check, and each test module keeps the one it was written with:
- `problem`: the status code, the media type, `type` and the body's `status` member;
- `problem_without_traceback`: the same, and no Python traceback anywhere in the body;
- `loose_problem`: the status code, the media type and `type` only (not the `status` member);
- `problem_with_context`: as `problem`, but parameters of the media type are allowed, and each
  failure says what was expected and in which `context` (for tables of cases).
The `invalid_*` helpers check a 422 validation-error and where its `errors` point.
"""

from __future__ import annotations

from typing import Any

import httpx

PROBLEM_JSON = "application/problem+json"


def problem(r: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    """A problem of type `/problems/<slug>` answered with `status`; its body."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM_JSON
    body = r.json()
    assert body["type"] == f"/problems/{slug}"
    assert body["status"] == status
    return body


def problem_without_traceback(r: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    """`problem`, and no traceback leaks into the answer."""
    body = problem(r, status, slug)
    assert "Traceback" not in r.text
    return body


def loose_problem(r: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    """A problem of type `/problems/<slug>` answered with `status`; the body's `status` member is not checked."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM_JSON
    body = r.json()
    assert body["type"] == f"/problems/{slug}"
    return body


def problem_with_context(r: httpx.Response, status: int, slug: str, context: str = "") -> dict[str, Any]:
    """`problem`, but the media type is compared without its parameters, and the failures name `context`."""
    where = f"{context}: " if context else ""
    assert r.status_code == status, f"{where}expected {status} {slug}, got {r.status_code}: {r.text}"
    assert r.headers["content-type"].split(";")[0] == PROBLEM_JSON, context
    doc = r.json()
    assert doc["type"] == f"/problems/{slug}", (context, doc)
    assert doc["status"] == status, (context, doc)
    return doc


def pointers(body: dict[str, Any]) -> list[str]:
    """The JSON pointers of a validation-error's `errors`, in order."""
    return [e["pointer"] for e in body["errors"]]


def invalid(r: httpx.Response, pointer: str) -> dict[str, Any]:
    """A validation-error (`problem`) with an error at `pointer`, among others."""
    body = problem(r, 422, "validation-error")
    assert pointer in pointers(body), body
    return body


def invalid_without_traceback(r: httpx.Response, pointer: str) -> dict[str, Any]:
    """A validation-error (`problem_without_traceback`) with an error at `pointer`, among others."""
    body = problem_without_traceback(r, 422, "validation-error")
    assert pointer in pointers(body), body
    return body


def invalid_first(r: httpx.Response, pointer: str) -> dict[str, Any]:
    """A validation-error (`problem`) whose first error is at `pointer`."""
    body = problem(r, 422, "validation-error")
    assert body["errors"][0]["pointer"] == pointer, body
    return body


def invalid_only(r: httpx.Response, pointer: str) -> dict[str, Any]:
    """A validation-error (`problem`) with exactly one error, at `pointer`."""
    body = problem(r, 422, "validation-error")
    assert pointers(body) == [pointer], body
    return body


def invalid_under(r: httpx.Response, pointer_prefix: str) -> dict[str, Any]:
    """A validation-error (`problem_without_traceback`) whose errors all have a pointer and a detail,
    one of them under `pointer_prefix`."""
    body = problem_without_traceback(r, 422, "validation-error")
    assert body["errors"] and all(set(e) >= {"pointer", "detail"} for e in body["errors"])
    assert any(e["pointer"].startswith(pointer_prefix) for e in body["errors"]), body
    return body


def ok(r: httpx.Response) -> dict[str, Any]:
    """A 200; its body."""
    assert r.status_code == 200, r.text
    return r.json()


def ok_created(r: httpx.Response) -> dict[str, Any]:
    """A 201; its body."""
    assert r.status_code == 201, r.text
    return r.json()
