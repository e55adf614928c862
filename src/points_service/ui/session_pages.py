"""Sign-in, sign-out, the start page and the stylesheet."""

from __future__ import annotations

import hashlib
from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from ..api.deps import database, key_with_hash
from ..services import sessions
from ..services.keys import hash_key
from .auth import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    SignInRequired,
    check_csrf,
    client_address,
    drop_cookie,
    session_secret,
    set_cookie,
    sign_in_token,
    signed_in,
)
from .render import error_page, page
from .routing import PageRoute

router = APIRouter(prefix="/ui", include_in_schema=False, route_class=PageRoute)

STYLESHEET = files("points_service.ui").joinpath("static/style.css").read_bytes()
STYLESHEET_ETAG = '"' + hashlib.sha256(STYLESHEET).hexdigest()[:16] + '"'
SIGN_IN_FORM_SECONDS = 3600
REFUSED = "That key was not accepted. Check it and try again."  # the same for a wrong and a revoked key


def _next_page(value: str | None) -> str:
    """Where to go after signing in: a page of this site's /ui/ only (never another origin)."""
    if value and value.startswith("/ui/") and not value.startswith("/ui//") and "\\" not in value:
        return value
    return "/ui/"


def _sign_in_form(request: Request, *, next_page: str, status: int = 200, error: str | None = None) -> Response:
    token = sign_in_token(request)
    response = page(request, "sign_in.html", status=status, csrf_token=token, next_page=next_page, error=error)
    set_cookie(request, response, SIGN_IN_COOKIE, token, SIGN_IN_FORM_SECONDS)
    return response


@router.get("/sign-in")
async def sign_in_form(request: Request, next: str | None = None) -> Response:
    return _sign_in_form(request, next_page=_next_page(next))


@router.post("/sign-in")
async def sign_in(
    request: Request,
    api_key: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/ui/",
) -> Response:
    """The key is checked once, and never stored in the browser: a session takes its place."""
    check_csrf(request.cookies.get(SIGN_IN_COOKIE), csrf_token)
    limiter = request.app.state.sign_in_limiter
    address = client_address(request)
    wait = limiter.retry_after(address)
    if wait is not None:
        return error_page(
            request,
            "too-many-requests",
            f"too many failed sign-ins from this address; try again in {wait} seconds",
            headers={"Retry-After": str(wait)},
        )
    key = await key_with_hash(request, hash_key(api_key.strip())) if api_key.strip() else None
    started = None
    if key is not None:
        now = request.app.state.clock.now()
        (started,) = await database(request).write(sessions.StartSession(key_name=key.name, now=now))
    if started is None:  # unknown, revoked (before or during sign-in): the same answer
        limiter.failed(address)
        return _sign_in_form(request, next_page=_next_page(next), status=401, error=REFUSED)
    response = RedirectResponse(_next_page(next), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, started.secret, int(sessions.LIFETIME.total_seconds()))
    drop_cookie(request, response, SIGN_IN_COOKIE)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    user = await signed_in(request)
    check_csrf(user.csrf_token, csrf_token)
    secret = session_secret(request)
    if secret is not None:
        await database(request).write(sessions.EndSession(secret=secret))
    response = RedirectResponse("/ui/sign-in", status_code=303)
    drop_cookie(request, response, SESSION_COOKIE)
    return response


@router.get("/")
async def start(request: Request) -> Response:
    """A customer's own account; staff's account search."""
    try:
        user = await signed_in(request)
    except SignInRequired:
        return RedirectResponse("/ui/sign-in", status_code=303)
    target = f"/ui/accounts/{user.account_id}" if user.account_id else "/ui/accounts"
    return RedirectResponse(target, status_code=303)


@router.get("/static/style.css")
async def stylesheet(request: Request) -> Response:
    if request.headers.get("if-none-match") == STYLESHEET_ETAG:
        return Response(status_code=304, headers={"ETag": STYLESHEET_ETAG})
    return Response(
        STYLESHEET,
        media_type="text/css",
        headers={"ETag": STYLESHEET_ETAG, "Cache-Control": "public, max-age=3600"},
    )
