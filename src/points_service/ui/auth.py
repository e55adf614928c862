"""Who is signed in to the pages, and the guards of their forms (docs/design.md §16).

* The session cookie holds a random secret (`services.sessions`), HttpOnly, SameSite=Strict, for
  `/ui` only, 8 hours; Secure unless the page is served over plain http on a loopback address.
* Every form carries a CSRF token compared in constant time: the session's own once signed in;
  before that (the sign-in form) a random token in a short-lived cookie of its own, so a page of
  another site cannot sign a browser in with a key of its choosing.
* Failed sign-ins are counted per client address in a moving window (`limits`); past
  `POINTS_UI_SIGNIN_ATTEMPTS`, sign-in answers 429 with `Retry-After` until the window passes,
  whatever key is given. The count is per process: with N replicas an address gets N times as many.
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
import time
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from ..api.deps import Principal, database
from ..api.problems import ProblemError
from ..services import sessions

SESSION_COOKIE = "points_session"
SIGN_IN_COOKIE = "points_sign_in"
COOKIE_PATH = "/ui"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


@dataclass(frozen=True)
class User:
    """The signed-in key, as the API's access checks take it, and its session's CSRF token."""

    principal: Principal
    csrf_token: str

    @property
    def role(self) -> str:
        return self.principal.role

    @property
    def account_id(self) -> str | None:
        return self.principal.account_id

    def may(self, *roles: str) -> bool:
        return self.principal.role in roles


class SignInRequired(Exception):
    """No live session: the page answers with the sign-in form's address."""


def _secret(request: Request, cookie: str) -> str | None:
    value = request.cookies.get(cookie)
    return value if value is not None and _TOKEN.fullmatch(value) else None


async def signed_in(request: Request) -> User:
    """The user of the request's session (a revoked key's sessions are gone), else SignInRequired."""
    secret = _secret(request, SESSION_COOKIE)
    if secret is None:
        raise SignInRequired
    found = await database(request).read_single(sessions.find_session, secret, request.app.state.clock.now())
    if found is None:
        raise SignInRequired
    user = User(Principal(found.key_name, found.role, found.account_id), found.csrf_token)
    request.state.ui_user = user
    request.state.principal = user.principal  # the request log names the key, as for the API
    return user


def session_secret(request: Request) -> str | None:
    return _secret(request, SESSION_COOKIE)


def check_csrf(expected: str | None, given: object) -> None:
    """403 unless the form's token is the expected one."""
    if not expected or not isinstance(given, str) or not hmac.compare_digest(expected.encode(), given.encode()):
        raise ProblemError("forbidden", "the form is stale or was not sent by this site's page; reload it and retry")


def sign_in_token(request: Request) -> str:
    """The sign-in form's CSRF token: the browser's, if it holds one, else a new one."""
    return _secret(request, SIGN_IN_COOKIE) or secrets.token_urlsafe(32)


def secure_cookies(request: Request) -> bool:
    """Secure cookies, except for a page served over plain http on a loopback address."""
    return not (request.url.scheme == "http" and (request.url.hostname or "") in LOOPBACK)


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        secure=secure_cookies(request),
        httponly=True,
        samesite="strict",
    )


def drop_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, path=COOKIE_PATH, secure=secure_cookies(request), httponly=True, samesite="strict")


class SignInLimiter:
    """Failed sign-ins per client address, in a moving window."""

    def __init__(self, attempts: int, window_seconds: int) -> None:
        self._item = RateLimitItemPerSecond(attempts, window_seconds)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may try again, or None when it may now."""
        if self._limiter.test(self._item, address):
            return None
        reset, _remaining = self._limiter.get_window_stats(self._item, address)
        return max(1, math.ceil(reset - time.time()))

    def failed(self, address: str) -> None:
        self._limiter.hit(self._item, address)

    def clear(self, address: str) -> None:
        self._limiter.clear(self._item, address)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
