"""The pull side of outgoing events: the outbox, newest first, and one event by id."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from ...services import event_log
from ...services.events import body
from .. import schemas
from ..deps import ALL, Principal, allow, database
from ..pagination import DEFAULT_LIMIT, Cursor, Limit, decode_cursor, encode_cursor, instant, scope_of, text
from ..problems import ProblemError
from ..routing import DeferredJsonRoute

router = APIRouter(prefix="/v1", tags=["events"], route_class=DeferredJsonRoute)

Reader = Annotated[Principal, Depends(allow(*ALL))]
EventId = Annotated[str, Path(description="`evt_…`")]


def _not_found(event_id: str) -> ProblemError:
    return ProblemError("not-found", f"event {event_id!r} does not exist")


@router.get(
    "/events",
    operation_id="list_events",
    summary="Events, newest first",
    response_model=schemas.Page[schemas.Event],
)
async def list_events(
    request: Request,
    principal: Reader,
    type: Annotated[list[schemas.EventTypeName] | None, Query(description="repeatable")] = None,  # the API's name
    account_id: Annotated[
        str | None, Query(pattern=r"^[A-Za-z0-9._:-]{1,64}$", description="only this account's events")
    ] = None,
    created_after: Annotated[schemas.Instant | None, Query(description="only events created after then")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Events newest first, kept at least 30 days. A viewer sees its own account's events only
    (another `account_id` is answered 404, as any of another account's data)."""
    if principal.role == "viewer":
        if account_id is not None and account_id != principal.account_id:
            raise ProblemError("not-found", f"account {account_id!r} does not exist")
        account_id = principal.account_id
    types = sorted(set(type)) if type else None
    scope = scope_of("events", type=types, account_id=account_id, created_after=created_after)
    after = decode_cursor(cursor, scope, instant, text)
    page = await database(request).read_single(
        event_log.events_page,
        types=types,
        account_id=account_id,
        created_after=created_after,
        after=after,
        limit=limit,
    )
    return {"items": [body(e) for e in page.items], "next_cursor": encode_cursor(scope, page.next_key)}


@router.get("/events/{event_id}", operation_id="get_event", summary="Get an event", response_model=schemas.Event)
async def get_event(request: Request, principal: Reader, event_id: EventId) -> dict[str, Any]:
    if len(event_id) > 32 or "\x00" in event_id:  # ids are opaque, but none is longer or holds NUL
        raise _not_found(event_id)
    found = await database(request).read_single(event_log.event, event_id)
    if found is None or (principal.role == "viewer" and found.account_id != principal.account_id):
        raise _not_found(event_id)
    return body(found)
