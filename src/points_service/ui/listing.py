"""A paged list as a page: the API's read continued from a cursor of the pages' own scope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from ..api.pagination import decode_cursor, encode_cursor
from ..services.queries import KeyedPage
from .render import page


async def listing(
    request: Request,
    template: str,
    *,
    name: str,
    scope: str,
    cursor: str | None,
    parts: Sequence[Callable[[Any], Any]],
    read: Callable[[list[Any] | None], Awaitable[KeyedPage]],
    shape: Callable[[Any], Any] = lambda item: item,
    **context: Any,
) -> Response:
    """`template` with the page `read` gives after the cursor's key (its `parts` checked, as the
    API checks its cursors: 422 for a cursor of another list), each item shaped by `shape` and
    given to the template as `name`, with the next page's cursor and whether this is the first."""
    found = await read(decode_cursor(cursor, scope, *parts))
    context[name] = [shape(item) for item in found.items]
    return page(request, template, next_cursor=encode_cursor(scope, found.next_key), first=cursor is None, **context)
