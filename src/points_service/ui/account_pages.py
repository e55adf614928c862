"""An account's pages: the three parts, each part paged, the lots, a ticket with its history and
"dispute this charge", and the statement as CSV.

Every figure comes from the reads the API answers with (`services.queries`, shaped by
`services.present`), under the API's own access checks (`api.deps`): a viewer sees its own account
only (another's is 404), staff any account.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from ..api import schemas
from ..api.deps import (
    ALL,
    STAFF,
    account_granted,
    command_context,
    database,
    role_granted,
    ticket_account,
    ticket_granted,
)
from ..api.pagination import encode_cursor, flag, instant, integer, scope_of, text
from ..db.records import Account
from ..domain.tickets import TicketAction
from ..services import disputes as commands
from ..services import present, queries
from ..services.statement_rows import full_statement, statement_csv
from .auth import User, check_csrf, signed_in
from .forms import points_field, validated
from .listing import listing
from .render import page
from .routing import PageRoute

router = APIRouter(prefix="/ui", include_in_schema=False, route_class=PageRoute)

PAGE_SIZE = 20
OPENERS = ("admin", "helpdesk", "viewer")  # who may dispute a charge (as `POST /v1/tickets/{id}/disputes`)
PARTS = {"in-progress": ("Tickets in progress", queries.IN_PROGRESS), "closed": ("Closed tickets", queries.CLOSED)}
Cursor = Annotated[str | None, Query(max_length=1000, description="the opaque cursor of the page before")]


def _now(request: Request) -> Any:
    return request.app.state.clock.now()


def _window(request: Request) -> timedelta:
    return timedelta(days=request.app.state.settings.expiring_window_days)


async def _reader(request: Request, account_id: str) -> User:
    """The signed-in user, if it may read `account_id` (the API's check: 404, then 403, then 404)."""
    user = await signed_in(request)
    await account_granted(request, user.principal, account_id, ALL)
    return user


def _scope(part: str, account_id: str, **filters: Any) -> str:
    return scope_of(f"ui-{part}", account_id=account_id, **filters)


@router.get("/accounts")
async def search(request: Request, q: str = "") -> Response:
    """Staff: find an account by its id (exact: straight to it) or a part of its id or name."""
    user = await signed_in(request)
    role_granted(user.principal, STAFF)
    q = q.strip()[:64]
    found: list[Account] = []
    more = False
    if q and "\x00" not in q:  # no account id or name holds NUL (and PostgreSQL cannot compare it)
        exact = await database(request).read_one(queries.ACCOUNT_EXISTS, {"ident": q})
        if exact:
            return RedirectResponse(f"/ui/accounts/{q}", status_code=303)
        found, more = await database(request).read_single(queries.search_accounts, q, limit=PAGE_SIZE)
    return page(request, "search.html", q=q, accounts=found, more=more)


@router.get("/accounts/{account_id}")
async def account(request: Request, account_id: str) -> Response:
    """The three parts, each with its newest rows and a link to the rest, from one snapshot."""
    await _reader(request, account_id)
    st = await database(request).read_single(queries.statement, account_id, _now(request), _window(request), PAGE_SIZE)
    return page(
        request,
        "account.html",
        account=st.account,
        balance=present.balance(st.balance),
        modifications=[present.entry(row, postings) for row, postings in st.modifications.items],
        more_modifications=encode_cursor(_scope("modifications", account_id), st.modifications.next_key),
        in_progress=[present.ticket(t) for t in st.in_progress.items],
        more_in_progress=encode_cursor(_scope("in-progress", account_id), st.in_progress.next_key),
        closed=[present.ticket(t) for t in st.closed.items],
        more_closed=encode_cursor(_scope("closed", account_id), st.closed.next_key),
    )


@router.get("/accounts/{account_id}/modifications")
async def modifications(request: Request, account_id: str, cursor: Cursor = None) -> Response:
    """Part 1 continued: balance modifications, newest first."""
    await _reader(request, account_id)
    now = _now(request)

    async def read(after: list[Any] | None) -> queries.KeyedPage:
        before_seq = after[0] if after else None
        kinds = queries.MODIFICATION_KINDS
        return await database(request).read_single(
            queries.account_ledger_page, account_id, now, kinds=kinds, before_seq=before_seq, limit=PAGE_SIZE
        )

    return await listing(
        request,
        "modifications.html",
        name="modifications",
        scope=_scope("modifications", account_id),
        cursor=cursor,
        parts=(integer,),
        read=read,
        shape=lambda item: present.entry(*item),
        account_id=account_id,
    )


@router.get("/accounts/{account_id}/in-progress")
async def in_progress(request: Request, account_id: str, cursor: Cursor = None) -> Response:
    """Part 2 continued: tickets in progress, newest first."""
    return await _tickets(request, account_id, "in-progress", cursor)


@router.get("/accounts/{account_id}/closed")
async def closed(request: Request, account_id: str, cursor: Cursor = None) -> Response:
    """Part 3 continued: closed tickets, newest first."""
    return await _tickets(request, account_id, "closed", cursor)


async def _tickets(request: Request, account_id: str, part: str, cursor: str | None) -> Response:
    await _reader(request, account_id)
    title, statuses = PARTS[part]

    async def read(after: list[Any] | None) -> queries.KeyedPage:
        return await database(request).read_single(
            queries.tickets_page, account_id, statuses=statuses, external_ref=None, after=after, limit=PAGE_SIZE
        )

    return await listing(
        request,
        "tickets.html",
        name="tickets",
        scope=_scope(part, account_id),
        cursor=cursor,
        parts=(instant, text),
        read=read,
        shape=present.ticket,
        account_id=account_id,
        title=title,
        closed=part == "closed",
    )


@router.get("/accounts/{account_id}/lots")
async def lots(request: Request, account_id: str, include_empty: bool = False, cursor: Cursor = None) -> Response:
    """The lots in consumption order, with their expiry; `include_empty` adds the used-up ones."""
    await _reader(request, account_id)
    now = _now(request)

    async def read(after: list[Any] | None) -> queries.KeyedPage:
        return await database(request).read(
            queries.list_lots, account_id, now, include_empty=include_empty, after=after, limit=PAGE_SIZE
        )

    return await listing(
        request,
        "lots.html",
        name="lots",
        scope=_scope("lots", account_id, include_empty=include_empty),
        cursor=cursor,
        parts=(flag, instant, instant, text),
        read=read,
        shape=lambda lot: present.lot(lot, now),
        account_id=account_id,
        include_empty=include_empty,
    )


@router.get("/accounts/{account_id}/statement.csv")
async def statement_download(request: Request, account_id: str) -> Response:
    """The whole statement (every row of the three parts, one snapshot) as the `statement --csv` command writes it."""
    await _reader(request, account_id)
    rows = await database(request).read_long(full_statement, account_id, _now(request), _window(request))
    day = _now(request).strftime("%Y-%m-%d")
    return Response(
        statement_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="statement-{account_id}-{day}.csv"'},
    )


def _dispute_open(history: list[dict[str, Any]]) -> bool:
    """Whether the ticket's newest dispute step is its opening (a dispute is open)."""
    steps = {TicketAction.DISPUTED, TicketAction.DISPUTE_ACCEPTED, TicketAction.DISPUTE_REJECTED}
    last = next((e["action"] for e in reversed(history) if e["action"] in steps), None)
    return last == TicketAction.DISPUTED


@router.get("/tickets/{ticket_id}")
async def ticket(request: Request, ticket_id: str, done: str | None = None) -> Response:
    """A ticket with the lots its points came from and its history; a resolved one that took
    points can be disputed (by its customer or the helpdesk)."""
    user = await signed_in(request)
    await ticket_granted(request, user.principal, ticket_id, ALL)
    view = await database(request).read_single(queries.ticket_detail, ticket_id)
    detail = present.ticket_detail(view.ticket, view.allocations, view.history)
    disputable = (
        user.may(*OPENERS)
        and detail["status"] == "resolved"
        and detail["deducted_points"] > detail["returned_points"]
        and not _dispute_open(detail["history"])
    )
    return page(request, "ticket.html", ticket=detail, disputable=disputable, disputed=done == "disputed")


@router.post("/tickets/{ticket_id}/disputes")
async def dispute(
    request: Request,
    ticket_id: str,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    points: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """ "Dispute this charge": `POST /v1/tickets/{id}/disputes` from a form."""
    user = await signed_in(request)
    check_csrf(user.csrf_token, csrf_token)
    await ticket_granted(request, user.principal, ticket_id, OPENERS)
    body = validated(schemas.DisputeCreate, {"reason": reason, "points": points_field(points)})
    command = commands.OpenDispute(
        ctx=command_context(request, user.principal),
        ticket_id=ticket_id,
        account_id=ticket_account(request),
        reason=body.reason,
        points=body.points,
    )
    await database(request).write(command)
    return RedirectResponse(f"/ui/tickets/{ticket_id}?done=disputed", status_code=303)
