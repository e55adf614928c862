"""The pages' route class: every answer gets the pages' headers, every refusal is a page.

The API's checks and commands raise problems (`ProblemError`, domain errors, validation errors);
on a page they become an HTML page with the same status, title and stable problem `type`. A
request without a live session goes to the sign-in form (303), which brings it back afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from ..api.problems import ProblemError, domain_problem
from ..domain.errors import DomainError
from .auth import SignInRequired
from .render import error_page, secure


def sign_in_address(request: Request) -> str:
    """The sign-in form, with the page to come back to (a path of the pages only)."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/ui/sign-in" + (f"?next={quote(back, safe='')}" if request.method == "GET" else "")


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                response = await handler(request)
            except SignInRequired:
                response = RedirectResponse(sign_in_address(request), status_code=303)
            except ProblemError as exc:
                response = error_page(request, exc.slug, exc.detail, headers=exc.headers)
            except DomainError as exc:
                response = error_page(request, domain_problem(exc)[0], exc.detail)
            except RequestValidationError as exc:
                where = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors()[:5])
                response = error_page(request, "validation-error", where or "the request is not valid")
            return secure(response)

        return page
