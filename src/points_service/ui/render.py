"""Templates → responses, with the headers every page carries (docs/design.md §16).

Jinja2 escapes every value (autoescape on for every template): no text of an account, a ticket or
a webhook reaches a page unescaped. An undefined name is an error, never an empty string.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined

from ..api.problems import PROBLEMS

# No inline script or style anywhere: the pages work with scripting off, and the one stylesheet
# is a file of this origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # an account's figures stay out of shared and back-button caches
}


def _when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _day(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d")


def _iso(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _points(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _signed(value: int) -> str:
    return f"+{value:,}" if value > 0 else f"−{-value:,}" if value < 0 else "0"


ENV = Environment(
    loader=PackageLoader("points_service.ui", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters.update(when=_when, day=_day, iso=_iso, points=_points, signed=_signed)


def page(
    request: Request, template: str, *, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    """`template` rendered with `context` and the signed-in user (`request.state.ui_user`, if any)."""
    user = getattr(request.state, "ui_user", None)
    body = ENV.get_template(template).render(user=user, path=request.url.path, **context)
    return HTMLResponse(body, status_code=status, headers=headers)


def error_page(request: Request, slug: str, detail: str, *, headers: dict[str, str] | None = None) -> HTMLResponse:
    """A refusal as a page: the status, title and stable `type` of the API's problem document."""
    status, title, _ = PROBLEMS[slug]
    problem_type = f"{request.app.state.settings.problem_base_uri}{slug}"
    return page(
        request, "error.html", status=status, headers=headers, title=title, detail=detail, problem_type=problem_type
    )


def secure(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
