"""Tickets: open, adjust, resolve, refund, credit; and the single-ticket view."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from ...services import present, queries
from ...services import tickets as commands
from .. import schemas
from ..deps import (
    ALL,
    HELPDESK,
    IF_MATCH,
    Owners,
    Principal,
    allow,
    bearer,
    command_context,
    database,
    etag,
    if_match,
    on_account,
    on_ticket,
    owners,
    ticket_account,
)
from ..pagination import DEFAULT_LIMIT, Cursor, Limit, decode_cursor, encode_cursor, instant, scope_of, text
from ..problems import validation_problem
from ..routing import DeferredJsonRoute, fast_path
from ..writes import KeyOrReplay, Present, execute, fast_write, key_or_replay
from .accounts import AccountId

router = APIRouter(prefix="/v1", tags=["tickets"], route_class=DeferredJsonRoute)

# The access checks of the writes with a fast path, which calls them as FastAPI does.
_helpdesk_on_ticket = on_ticket(*HELPDESK)
_helpdesk_opening = on_account(*HELPDESK, found_later=True)
Helpdesk = Annotated[Principal, Depends(_helpdesk_on_ticket)]
ExpectedVersion = Annotated[int | None, Depends(if_match)]

_MUTATION_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"headers": {"ETag": {"description": 'the new version, `"<version>"`', "schema": {"type": "string"}}}},
}


def _present(response: Response, detail: commands.TicketView) -> dict[str, Any]:
    response.headers.update(etag(detail.ticket.version))
    return present.ticket_detail(detail.ticket, detail.allocations, detail.history)


def _answer(status: int) -> Present:
    def answer(detail: commands.TicketView) -> tuple[int, dict[str, Any], dict[str, str]]:
        headers = etag(detail.ticket.version)
        code = status
        if status == 201:
            headers["Location"] = f"/v1/tickets/{detail.ticket.id}"
            if detail.ticket.status == "awaiting_points":
                code = 202  # opened, waiting for points
        return code, present.ticket_detail(detail.ticket, detail.allocations, detail.history), headers

    return answer


@router.post(
    "/accounts/{account_id}/tickets",
    operation_id="open_ticket",
    summary="Open a ticket, capturing its estimated points",
    status_code=201,
    response_model=schemas.TicketDetail,
    responses={
        202: {"model": schemas.TicketDetail, "description": "opened with `when_insufficient: wait`: waiting for points"}
    },
)
async def open_ticket(
    request: Request,
    principal: Annotated[Principal, Depends(_helpdesk_opening)],
    key: KeyOrReplay,
    account_id: AccountId,
    body: schemas.TicketCreate,
) -> Response:
    """Opens a ticket and captures its estimated points from the account's lots in consumption
    order. The category's pricing rule decides the points: `estimated_points` is required for
    `range` (within it) and `upon_request`, optional for `from` (at least its minimum), absent or
    equal for `fixed` and `formula`; `quantity` is required for `formula` only. 409
    `insufficient-points` carries `available` and `required`; with `when_insufficient: wait` the
    ticket is opened anyway, `awaiting_points` (202), and captured when points arrive."""
    command = commands.OpenTicket(
        ctx=command_context(request, principal),
        account_id=account_id,
        external_ref=body.external_ref,
        category=body.category,
        quantity=body.quantity,
        estimated_points=body.estimated_points,
        subject=body.subject,
        wait=body.when_insufficient == "wait",
    )
    answer = _answer(201)
    opened: list[tuple[str, str]] = []  # the ticket the last attempt presented (a batch may be redone)

    def present_opened(detail: commands.TicketView) -> tuple[int, Any, dict[str, str]]:
        opened[:] = [(detail.ticket.id, detail.ticket.account_id)]
        return answer(detail)

    response = await execute(request, key, command, present=present_opened, model=schemas.TicketDetail)
    for ticket_id, owner in opened:  # committed: its adjusts and resolves need not look its account up
        owners(request).learn(Owners.TICKET, ticket_id, owner)
    return response


@fast_path(router, open_ticket)
async def _open_fast(request: Request) -> Response | None:
    """`open_ticket` for a well-formed request (`fast_write`): the same checks, in the same order,
    then the route itself; whatever FastAPI would refuse (422) goes to FastAPI."""
    taken = await fast_write(request, schemas.TicketCreate)
    if taken is None:
        return None
    body, (key_header,) = taken
    account_id = request.path_params["account_id"]
    principal = await _helpdesk_opening(request, await bearer(request), account_id)
    key = await key_or_replay(request, key_header)
    return await open_ticket(request, principal, key, account_id, body)


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
    return _present(response, await database(request).read_single(queries.ticket_detail, ticket_id))


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


def _fast_ticket_write(endpoint: Callable[..., Awaitable[Response]], model: type[BaseModel]) -> None:
    """The fast path of a ticket write whose route takes (request, principal, key, expected,
    ticket_id, body), as `adjust_ticket` and `resolve_ticket` do: `fast_write` with the If-Match
    header of its pattern; then the ticket's check, the Idempotency-Key and If-Match, in FastAPI's
    order, and the route."""

    @fast_path(router, endpoint)
    async def fast(request: Request) -> Response | None:
        taken = await fast_write(request, model, ("if-match", IF_MATCH))
        if taken is None:
            return None
        body, (key_header, if_match_header) = taken
        ticket_id = request.path_params["ticket_id"]
        principal = await _helpdesk_on_ticket(request, await bearer(request), ticket_id)
        key = await key_or_replay(request, key_header)
        return await endpoint(request, principal, key, await if_match(if_match_header), ticket_id, body)


_fast_ticket_write(adjust_ticket, schemas.TicketAdjust)
_fast_ticket_write(resolve_ticket, schemas.TicketResolve)


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


IDLE_MIN, IDLE_MAX = timedelta(hours=1), timedelta(days=3 * 365 + 1)


@router.get(
    "/tickets",
    operation_id="list_idle_tickets",
    summary="Idle tickets, the longest idle first",
    response_model=schemas.Page[schemas.Ticket],
)
async def list_idle_tickets(
    request: Request,
    principal: Annotated[Principal, Depends(allow(*HELPDESK))],
    idle_for: Annotated[
        timedelta,
        Query(description="ISO 8601 duration, from `PT1H` to `P3Y` (1,096 days): no change for at least this long"),
    ],
    status: Annotated[Literal["open"], Query(description="open tickets (the only ones that can be idle)")] = "open",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Open tickets of every account with no change (no history entry) for at least `idle_for`,
    the longest idle first: what holds a customer's points while nobody works on it. The sweep
    also sends `ticket.idle` once per idle period of `POINTS_IDLE_TICKET_DAYS`."""
    if not IDLE_MIN <= idle_for <= IDLE_MAX:
        raise validation_problem("#/query/idle_for", "must be a duration from 1 hour (PT1H) to 3 years (P3Y)")
    before = request.app.state.clock.now() - idle_for
    scope = scope_of("idle_tickets", status=status, idle_for=idle_for.total_seconds())
    after = decode_cursor(cursor, scope, instant, text)
    page = await database(request).read_single(queries.idle_tickets_page, before=before, after=after, limit=limit)
    return {"items": [present.ticket(t) for t in page.items], "next_cursor": encode_cursor(scope, page.next_key)}
