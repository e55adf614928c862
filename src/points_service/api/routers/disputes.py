"""Disputes: open one on a resolved ticket, accept or reject it; list and read them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from ...db.records import Dispute
from ...services import dispute_log, present
from ...services import disputes as commands
from .. import schemas
from ..deps import (
    ALL,
    HELPDESK,
    Principal,
    allow,
    command_context,
    database,
    dispute_account,
    on_account,
    on_dispute,
    on_ticket,
    ticket_account,
)
from ..pagination import DEFAULT_LIMIT, Cursor, Limit, decode_cursor, encode_cursor, instant, scope_of, text
from ..problems import ProblemError
from ..routing import DeferredJsonRoute
from ..writes import KeyOrReplay, execute
from .accounts import AccountId

router = APIRouter(prefix="/v1", tags=["tickets"], route_class=DeferredJsonRoute)

# The viewer's one write: a dispute on its own account's ticket (another account's ticket is 404).
OPENERS = (*HELPDESK, "viewer")
DisputeId = Annotated[str, Path(description="`dsp_…`")]
Decider = Annotated[Principal, Depends(on_dispute(*HELPDESK))]
Statuses = Annotated[list[schemas.DisputeStatusName] | None, Query(description="repeatable")]


def _answer(status: int) -> Any:
    def answer(dispute: Dispute) -> tuple[int, dict[str, Any], dict[str, str]]:
        headers = {"Location": f"/v1/disputes/{dispute.id}"} if status == 201 else {}
        return status, present.dispute(dispute), headers

    return answer


def _page(scope: str, page: Any) -> dict[str, Any]:
    return {"items": [present.dispute(d) for d in page.items], "next_cursor": encode_cursor(scope, page.next_key)}


@router.post(
    "/tickets/{ticket_id}/disputes",
    operation_id="open_dispute",
    summary="Dispute a resolved ticket's charge",
    status_code=201,
    response_model=schemas.Dispute,
)
async def open_dispute(
    request: Request,
    principal: Annotated[Principal, Depends(on_ticket(*OPENERS))],
    key: KeyOrReplay,
    ticket_id: str,
    body: schemas.DisputeCreate,
) -> Any:
    """Opens a dispute on a `resolved` ticket with points left to return (deducted − returned),
    else 409 `invalid-state`; a ticket has one open dispute at a time (409 `conflict` naming it in
    `dispute_id`). A viewer key may open one on its own account's tickets. The ticket's history
    records `disputed`."""
    command = commands.OpenDispute(
        ctx=command_context(request, principal),
        ticket_id=ticket_id,
        account_id=ticket_account(request),
        reason=body.reason,
        points=body.points,
    )
    return await execute(request, key, command, present=_answer(201), model=schemas.Dispute)


@router.post(
    "/disputes/{dispute_id}/accept",
    operation_id="accept_dispute",
    summary="Accept a dispute, crediting its points back",
    response_model=schemas.Dispute,
)
async def accept_dispute(
    request: Request, principal: Decider, key: KeyOrReplay, dispute_id: DisputeId, body: schemas.DisputeAccept
) -> Any:
    """Credits the points back exactly as `POST /v1/tickets/{id}/credit` does (the same return
    policy: a lot expired since comes back as a new `returned` lot), as a `return` entry whose
    reason is `dispute <id>`; the ticket's history records `credited` and `dispute_accepted`. A
    dispute already decided, or a ticket with nothing left to return, is 409 `invalid-state`."""
    command = commands.AcceptDispute(
        ctx=command_context(request, principal),
        dispute_id=dispute_id,
        account_id=dispute_account(request),
        points=body.points,
        note=body.note,
    )
    return await execute(request, key, command, present=_answer(200), model=schemas.Dispute)


@router.post(
    "/disputes/{dispute_id}/reject",
    operation_id="reject_dispute",
    summary="Reject a dispute",
    response_model=schemas.Dispute,
)
async def reject_dispute(
    request: Request, principal: Decider, key: KeyOrReplay, dispute_id: DisputeId, body: schemas.DisputeReject
) -> Any:
    """Nothing is given back; the ticket's history records `dispute_rejected` with the note. A
    dispute already decided is 409 `invalid-state`."""
    command = commands.RejectDispute(
        ctx=command_context(request, principal),
        dispute_id=dispute_id,
        account_id=dispute_account(request),
        note=body.note,
    )
    return await execute(request, key, command, present=_answer(200), model=schemas.Dispute)


@router.get(
    "/disputes",
    operation_id="list_disputes",
    summary="Disputes, newest first",
    response_model=schemas.Page[schemas.Dispute],
)
async def list_disputes(
    request: Request,
    principal: Annotated[Principal, Depends(allow(*HELPDESK))],
    status: Statuses = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Every account's disputes newest first (by opening time); `?status=open` is the queue to decide."""
    statuses = sorted(set(status)) if status else None
    scope = scope_of("disputes", status=statuses)
    after = decode_cursor(cursor, scope, instant, text)
    page = await database(request).read_single(
        dispute_log.disputes_page, statuses=statuses, account_id=None, after=after, limit=limit
    )
    return _page(scope, page)


@router.get(
    "/accounts/{account_id}/disputes",
    operation_id="list_account_disputes",
    summary="An account's disputes, newest first",
    response_model=schemas.Page[schemas.Dispute],
)
async def list_account_disputes(
    request: Request,
    principal: Annotated[Principal, Depends(on_account(*ALL))],
    account_id: AccountId,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The account's disputes newest first (by opening time)."""
    scope = scope_of("account_disputes", account_id=account_id)
    after = decode_cursor(cursor, scope, instant, text)
    page = await database(request).read_single(
        dispute_log.disputes_page, statuses=None, account_id=account_id, after=after, limit=limit
    )
    return _page(scope, page)


@router.get(
    "/disputes/{dispute_id}", operation_id="get_dispute", summary="Get a dispute", response_model=schemas.Dispute
)
async def get_dispute(
    request: Request, principal: Annotated[Principal, Depends(on_dispute(*ALL))], dispute_id: DisputeId
) -> dict[str, Any]:
    found = await database(request).read_single(dispute_log.dispute, dispute_id)
    if found is None:  # the access check found it: a dispute is never deleted
        raise ProblemError("not-found", f"dispute {dispute_id!r} does not exist")
    return present.dispute(found)
