"""Server-rendered pages for customers and staff under /ui/ (docs/design.md §16)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from ..api.problems import ProblemError
from . import account_pages, session_pages, staff_pages
from .auth import SignInLimiter
from .routing import PageRoute


async def _start(request: Request) -> Response:
    return RedirectResponse("/ui/", status_code=308)


async def _no_page(request: Request, rest: str) -> Response:
    raise ProblemError("not-found", "no such page")


def install_ui(app: FastAPI) -> None:
    settings = app.state.settings
    app.state.sign_in_limiter = SignInLimiter(settings.ui_signin_attempts, settings.ui_signin_window_seconds)
    for router in (session_pages.router, account_pages.router, staff_pages.router):
        app.router.routes.extend(router.routes)
    app.router.routes.append(PageRoute("/ui", _start, methods=["GET"], include_in_schema=False))
    # Last: any other /ui/ address is a 404 page with the pages' headers, not the API's JSON.
    app.router.routes.append(PageRoute("/ui/{rest:path}", _no_page, methods=["GET"], include_in_schema=False))
