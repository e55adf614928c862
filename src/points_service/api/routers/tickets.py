"""Tickets: open, adjust, resolve, refund, credit; and the single-ticket view."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from ...services import present, queries
from ...services import tickets as commands
from .. import schemas
from ..deps import (
    ALL,
    HELPDESK,
    Principal,
    command_context,
    database,
    etag,
    if_match,
    on_account,
    on_ticket,
    ticket_account,
)
from ..routing import DeferredJsonRoute
from ..writes import KeyOrReplay, execute
from .accounts import AccountId

router = APIRouter(prefix="/v1", tags=["tickets"], route_class=DeferredJsonRoute)

Helpdesk = Annotated[Principal, Depends(on_ticket(*HELPDESK))]
ExpectedVersion = Annotated[int | None, Depends(if_match)]

_MUTATION_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"headers": {"ETag": {"description": 'the new version, `"<version>"`', "schema": {"type": "string"}}}},
}


def _present(response: Response, detail: commands.TicketView) -> dict[str, Any]:
    response.headers.update(etag(detail.ticket.version))
    return present.ticket_detail(detail.ticket, detail.allocations, detail.history)


def _answer(status: int) -> Any:
    def answer(detail: commands.TicketView) -> tuple[int, dict[str, Any], dict[str, str]]:
        headers = etag(detail.ticket.version)
        if status == 201:
            headers["Location"] = f"/v1/tickets/{detail.ticket.id}"
        return status, present.ticket_detail(detail.ticket, detail.allocations, detail.history), headers

    return answer


@router.post(
    "/accounts/{account_id}/tickets",
    operation_id="open_ticket",
    summary="Open a ticket, capturing its estimated points",
    status_code=201,
    response_model=schemas.TicketDetail,
)
async def open_ticket(
    request: Request,
    principal: Annotated[Principal, Depends(on_account(*HELPDESK, found_later=True))],
    key: KeyOrReplay,
    account_id: AccountId,
    body: schemas.TicketCreate,
) -> Response:
    """Opens a ticket and captures its estimated points from the account's lots in consumption
    order. The category's pricing rule decides the points: `estimated_points` is required for
    `range` (within it) and `upon_request`, optional for `from` (at least its minimum), absent or
    equal for `fixed` and `formula`; `quantity` is required for `formula` only. 409
    `insufficient-points` carries `available` and `required`."""
    command = commands.OpenTicket(
        ctx=command_context(request, principal),
        account_id=account_id,
        external_ref=body.external_ref,
        category=body.category,
        quantity=body.quantity,
        estimated_points=body.estimated_points,
        subject=body.subject,
    )
    return await execute(request, key, command, present=_answer(201), model=schemas.TicketDetail)


@router.get(
    "/tickets/{ticket_id}", operation_id="get_ticket", summary="Get a ticket", response_model=schemas.TicketDetail
)
async def get_ticket(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(on_ticket(*ALL))],
    ticket_id: str,
) -> dict[str, Any]:
    """The ticket with its `allocations` (which lots its points came from) and its `history`;
    `ETag` carries its version for `If-Match`."""
    return _present(response, await database(request).read(queries.ticket_detail, ticket_id))


@router.post(
    "/tickets/{ticket_id}/adjust",
    operation_id="adjust_ticket",
    summary="Raise or lower the captured points (optionally reclassifying)",
    response_model=schemas.TicketDetail,
    responses=_MUTATION_RESPONSES,
)
async def adjust_ticket(
    request: Request,
    principal: Helpdesk,
    key: KeyOrReplay,
    expected: ExpectedVersion,
    ticket_id: str,
    body: schemas.TicketAdjust,
) -> Response:
    """Adjusting to the current amount changes nothing and answers 200."""
    command = commands.AdjustTicket(
        ctx=command_context(request, principal),
        ticket_id=ticket_id,
        account_id=ticket_account(request),
        points=body.points,
        reason=body.reason,
        reclassify=commands.Reclassification(body.category, body.quantity),
        expected_version=expected,
    )
    return await execute(request, key, command, present=_answer(200), model=schemas.TicketDetail)


@router.post(
    "/tickets/{ticket_id}/resolve",
    operation_id="resolve_ticket",
    summary="Resolve a ticket, deducting its points for good",
    response_model=schemas.TicketDetail,
    responses=_MUTATION_RESPONSES,
)
async def resolve_ticket(
    request: Request,
    principal: Helpdesk,
    key: KeyOrReplay,
    expected: ExpectedVersion,
    ticket_id: str,
    body: schemas.TicketResolve,
) -> Response:
    """`points`, when sent, first sets the final amount as an adjust would."""
    command = commands.ResolveTicket(
        ctx=command_context(request, principal),
        ticket_id=ticket_id,
        account_id=ticket_account(request),
        points=body.points,
        note=body.note,
        expected_version=expected,
    )
    return await execute(request, key, command, present=_answer(200), model=schemas.TicketDetail)


@router.post(
    "/tickets/{ticket_id}/refund",
    operation_id="refund_ticket",
    summary="Refund a ticket: every point not yet returned goes back",
    response_model=schemas.TicketDetail,
    responses=_MUTATION_RESPONSES,
)
async def refund_ticket(
    request: Request,
    principal: Helpdesk,
    key: KeyOrReplay,
    expected: ExpectedVersion,
    ticket_id: str,
    body: schemas.TicketRefund,
) -> Response:
    """Returns every point not yet returned and closes the ticket as refunded (from open or
    resolved). `software_bug` and `other` are the vendor's doing: points of lots expired or
    expiring within RETURN_GRACE come back in a new `returned` lot. `withdrawn` and `duplicate`
    return them to their lots, where expired points expire again at once."""
    command = commands.RefundTicket(
        ctx=command_context(request, principal),
        ticket_id=ticket_id,
        account_id=ticket_account(request),
        reason=body.reason,
        note=body.note,
        expected_version=expected,
    )
    return await execute(request, key, command, present=_answer(200), model=schemas.TicketDetail)


@router.post(
    "/tickets/{ticket_id}/credit",
    operation_id="credit_ticket",
    summary="Return part of a resolved ticket's points",
    response_model=schemas.TicketDetail,
    responses=_MUTATION_RESPONSES,
)
async def credit_ticket(
    request: Request,
    principal: Helpdesk,
    key: KeyOrReplay,
    expected: ExpectedVersion,
    ticket_id: str,
    body: schemas.TicketCredit,
) -> Response:
    """Returns part of a resolved ticket's points (1 to deducted − returned, else 422 with
    `max_points`); it stays resolved. Points go back to their lots, last taken first; a lot that
    has expired or expires within RETURN_GRACE gives them in a new `returned` lot instead."""
    command = commands.CreditTicket(
        ctx=command_context(request, principal),
        ticket_id=ticket_id,
        account_id=ticket_account(request),
        points=body.points,
        reason=body.reason,
        expected_version=expected,
    )
    return await execute(request, key, command, present=_answer(200), model=schemas.TicketDetail)
