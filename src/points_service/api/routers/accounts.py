"""Accounts and everything read about one: balance, statement, ledger, lots, tickets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import Connection

from ...services import asof, present, queries
from ...services.accounts import PutAccount
from ...services.balance import BalanceView
from .. import schemas
from ..deps import (
    ALL,
    STAFF,
    Principal,
    allow,
    bearer,
    command_context,
    database,
    on_account,
)
from ..pagination import (
    DEFAULT_LIMIT,
    Cursor,
    Limit,
    decode_cursor,
    encode_cursor,
    flag,
    instant,
    integer,
    scope_of,
    text,
)
from ..problems import validation_problem
from ..routing import DeferredJsonRoute, fast_path

router = APIRouter(prefix="/v1", tags=["accounts"], route_class=DeferredJsonRoute)

AccountId = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9._:-]{1,64}$", description="the helpdesk's customer id (case-sensitive)")
]
Kind = schemas.EntryKind
Status = schemas.TicketStatusName
Reader = Annotated[Principal, Depends(on_account(*ALL))]
# For routes whose first query finds the account (404 when it is absent): no separate look-up.
_finding_reader = on_account(*ALL, found_later=True)  # also called by the balance's fast path
FindingReader = Annotated[Principal, Depends(_finding_reader)]


AsOf = Annotated[
    schemas.Instant | None,
    Query(
        description="answer as the service would have at this instant (not in the future): entries recorded up "
        "to it, inclusive, and the expiries due then shown as pending"
    ),
]


def _as_of(request: Request, as_of: datetime | None) -> datetime | None:
    """`as_of`, refused when it is in the future (what the service will answer then is not known)."""
    if as_of is not None and as_of > _now(request):
        raise validation_problem("#/query/as_of", "must not be in the future")
    return as_of


def _window(request: Request) -> timedelta:
    return timedelta(days=request.app.state.settings.expiring_window_days)


def _now(request: Request) -> Any:
    return request.app.state.clock.now()


@router.put(
    "/accounts/{account_id}",
    operation_id="put_account",
    summary="Create or update an account",
    response_model=schemas.Account,
    responses={201: {"description": "created", "model": schemas.Account}},
)
async def put_account(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(on_account(*STAFF, must_exist=False))],
    account_id: AccountId,
    body: schemas.AccountPut,
) -> dict[str, Any]:
    """Fields left out keep their value; `null` clears them."""
    fields = {name: getattr(body, name) for name in body.model_fields_set}
    db = database(request)
    put = await db.write(PutAccount(ctx=command_context(request, principal), account_id=account_id, **fields))
    response.status_code = 201 if put.created else 200
    account, balance, _ = await db.read_single(queries.account_and_balance, account_id, _now(request), _window(request))
    return present.account(account, balance)


@router.get(
    "/accounts",
    operation_id="list_accounts",
    summary="List accounts, or those with points expiring soon",
    response_model=schemas.Page[schemas.ExpiringAccount] | schemas.Page[schemas.Account],
)
async def list_accounts(
    request: Request,
    principal: Annotated[Principal, Depends(allow(*STAFF))],
    expiring_before: Annotated[
        schemas.Instant | None, Query(description="only accounts with available points expiring before then")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Accounts by id. With `expiring_before`, only accounts with available points expiring
    between now and then, each with `expiring_points` and the lots, soonest expiry first: the
    daily "use them or lose them" list."""
    now, window = _now(request), _window(request)
    db = database(request)
    if expiring_before is None:
        scope = scope_of("accounts")
        after = decode_cursor(cursor, scope, text)

        def accounts_page(conn: Connection) -> tuple[queries.KeyedPage, list[BalanceView]]:
            page = queries.list_accounts(conn, after=after, limit=limit)
            return page, queries.balances(conn, page.items, now, window)

        page, balances = await db.read(accounts_page)
        items = [present.account(account, b) for account, b in zip(page.items, balances, strict=True)]
    else:
        scope = scope_of("accounts", expiring_before=expiring_before.isoformat())
        after = decode_cursor(cursor, scope, instant, text)
        page = await db.read(
            lambda conn: queries.accounts_expiring_before(conn, now, expiring_before, after=after, limit=limit)
        )
        items = [
            {
                "account_id": e.account.id,
                "display_name": e.account.display_name,
                "expiring_points": e.expiring_points,
                "expiring": [{"lot_id": x.lot_id, "points": x.points, "expires_at": x.expires_at} for x in e.expiring],
            }
            for e in page.items
        ]
    return {"items": items, "next_cursor": encode_cursor(scope, page.next_key)}


@router.get(
    "/accounts/{account_id}", operation_id="get_account", summary="Get an account", response_model=schemas.Account
)
async def get_account(request: Request, principal: FindingReader, account_id: AccountId) -> dict[str, Any]:
    """The account with its current balance."""
    account, balance, _ = await database(request).read_single(
        queries.account_and_balance, account_id, _now(request), _window(request)
    )
    return present.account(account, balance)


@router.get(
    "/accounts/{account_id}/balance",
    operation_id="get_balance",
    summary="Get an account's balance",
    response_model=schemas.Balance,
)
async def get_balance(
    request: Request, principal: FindingReader, account_id: AccountId, as_of: AsOf = None
) -> dict[str, Any]:
    """Available, held and deducted points at this instant (expired points never count, whether
    or not the sweep ran), and the lots expiring within the expiring window. `as_of`: the balance
    as it was at that instant (404 before the account existed)."""
    at, window = _as_of(request, as_of), _window(request)
    if at is not None:
        return present.balance((await database(request).read_long(asof.snapshot, account_id, at, window)).balance)
    return await _balance_now(request, account_id)


async def _balance_now(request: Request, account_id: str) -> dict[str, Any]:
    now, window = _now(request), _window(request)
    rows = await database(request).read_batched(queries.balance_rows, (account_id, now + window))
    return present.balance(queries.balance_from_rows(account_id, rows, now, window))


async def _fast_read(
    request: Request, model: type[BaseModel], read: Callable[[str], Awaitable[dict[str, Any]]]
) -> Response | None:
    """A fast path's answer to a read of one account without a query string: FindingReader's own
    check, then `read(account_id)` in the route's response `model`. (A query string, even one the
    route ignores, goes through FastAPI.) The check refuses, 404, an `account_id` that the path's
    pattern would refuse, so no 422 is owed here."""
    if request.scope["query_string"]:
        return None
    account_id = request.path_params["account_id"]
    await _finding_reader(request, await bearer(request), account_id)  # FindingReader's own check
    answer = model.model_validate(await read(account_id))
    return Response(answer.model_dump_json(), media_type="application/json")


@fast_path(router, get_balance)
async def _balance_fast(request: Request) -> Response | None:
    """`get_balance` without a query string: the same check, read and answer."""
    return await _fast_read(request, schemas.Balance, lambda account_id: _balance_now(request, account_id))


def _ledger_scope(account_id: str, kinds: list[str] | None, at: datetime | None = None) -> str:
    return scope_of("ledger", account_id=account_id, kind=kinds, as_of=at.isoformat() if at else None)


def _tickets_scope(
    account_id: str, statuses: Sequence[str] | None, external_ref: str | None, at: datetime | None = None
) -> str:
    return scope_of(
        "tickets",
        account_id=account_id,
        status=statuses,
        external_ref=external_ref,
        as_of=at.isoformat() if at else None,
    )


def _ledger_page(scope: str, page: queries.KeyedPage) -> dict[str, Any]:
    return {
        "items": [present.entry(row, postings) for row, postings in page.items],
        "next_cursor": encode_cursor(scope, page.next_key),
    }


def _tickets_page(scope: str, page: queries.KeyedPage) -> dict[str, Any]:
    return {"items": [present.ticket(t) for t in page.items], "next_cursor": encode_cursor(scope, page.next_key)}


@router.get(
    "/accounts/{account_id}/statement",
    operation_id="get_statement",
    summary="The three-part view: balance modifications, tickets in progress, closed tickets",
    response_model=schemas.Statement,
)
async def get_statement(
    request: Request, principal: FindingReader, account_id: AccountId, limit: Limit = DEFAULT_LIMIT, as_of: AsOf = None
) -> dict[str, Any]:
    """One consistent snapshot. Continue each part with `/ledger?view=modifications`,
    `/tickets?status=awaiting_points&status=open` and `/tickets?status=resolved&status=refunded`
    (with the same `as_of`: the statement as it was at that instant, its cursors holding to it)."""
    at = _as_of(request, as_of)
    if at is None:
        statement = await database(request).read_single(
            queries.statement, account_id, _now(request), _window(request), limit
        )
    else:
        statement = await database(request).read_long(asof.statement_at, account_id, at, _window(request), limit)
    return _statement_body(account_id, statement, at)


@fast_path(router, get_statement)
async def _statement_fast(request: Request) -> Response | None:
    """`get_statement` without a query string (the default `limit`, no `as_of`): the same check,
    read and answer."""

    async def read(account_id: str) -> dict[str, Any]:
        now, window = _now(request), _window(request)
        statement = await database(request).read_single(queries.statement, account_id, now, window, DEFAULT_LIMIT)
        return _statement_body(account_id, statement, None)

    return await _fast_read(request, schemas.Statement, read)


def _statement_body(account_id: str, statement: queries.StatementView, at: datetime | None) -> dict[str, Any]:
    return {
        "balance": present.balance(statement.balance),
        "modifications": _ledger_page(
            _ledger_scope(account_id, list(queries.MODIFICATION_KINDS), at), statement.modifications
        ),
        "in_progress": _tickets_page(
            _tickets_scope(account_id, list(queries.IN_PROGRESS), None, at), statement.in_progress
        ),
        "closed": _tickets_page(_tickets_scope(account_id, list(queries.CLOSED), None, at), statement.closed),
    }


@router.get(
    "/accounts/{account_id}/ledger",
    operation_id="list_ledger_entries",
    summary="Ledger entries, newest first",
    response_model=schemas.Page[schemas.LedgerEntry],
)
async def list_ledger(
    request: Request,
    principal: FindingReader,
    account_id: AccountId,
    kind: Annotated[list[Kind] | None, Query(description="repeatable")] = None,
    view: Annotated[Literal["modifications"] | None, Query(description="part 1 of the statement")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    as_of: AsOf = None,
) -> dict[str, Any]:
    """Ledger entries newest first, each with its deltas, the balances after it and its per-lot
    postings. Due expiries not yet written appear first with `pending: true`. `?kind=` filters
    (repeatable); `?view=modifications` keeps part 1 of the statement. `as_of`: the entries
    recorded up to that instant, with the expiries pending then; its cursors hold to that instant."""
    kinds: list[str] | None = sorted(set(kind)) if kind else None
    if view == "modifications":
        wanted = set(queries.MODIFICATION_KINDS)
        kinds = sorted(wanted & set(kinds)) if kinds else sorted(wanted)
    at = _as_of(request, as_of)
    now = _now(request)
    scope = _ledger_scope(account_id, kinds, at)
    after = decode_cursor(cursor, scope, integer)
    if at is not None:
        before = after[0] if after else None
        page = await database(request).read_long(
            asof.ledger_page_at, account_id, at, kinds=kinds, before_seq=before, limit=limit
        )
        return _ledger_page(scope, page)

    before_seq = after[0] if after else None
    page = await database(request).read_single(
        queries.account_ledger_page, account_id, now, kinds=kinds, before_seq=before_seq, limit=limit
    )
    return _ledger_page(scope, page)


@router.get(
    "/accounts/{account_id}/lots",
    operation_id="list_lots",
    summary="Lots in consumption order",
    response_model=schemas.Page[schemas.Lot],
)
async def list_lots(
    request: Request,
    principal: Reader,
    account_id: AccountId,
    include_empty: Annotated[bool, Query(description="also lots with nothing available or held")] = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    as_of: AsOf = None,
) -> dict[str, Any]:
    """The account's lots in consumption order (soonest expiry first, never-expiring last), each
    with its points in every state. `include_empty=true` adds lots with nothing available or held.
    `as_of`: the lots and their states as they were at that instant; its cursors hold to it."""
    at = _as_of(request, as_of)
    scope = scope_of("lots", account_id=account_id, include_empty=include_empty, as_of=at.isoformat() if at else None)
    after = decode_cursor(cursor, scope, flag, instant, instant, text)
    if at is not None:
        page = await database(request).read_long(
            lambda conn: asof.list_lots_at(conn, account_id, at, include_empty=include_empty, after=after, limit=limit)
        )
        return {
            "items": [present.lot(lot, at) for lot in page.items],
            "next_cursor": encode_cursor(scope, page.next_key),
        }
    now = _now(request)
    page = await database(request).read(
        lambda conn: queries.list_lots(conn, account_id, now, include_empty=include_empty, after=after, limit=limit)
    )
    return {"items": [present.lot(lot, now) for lot in page.items], "next_cursor": encode_cursor(scope, page.next_key)}


@router.get(
    "/accounts/{account_id}/tickets",
    operation_id="list_tickets",
    summary="Tickets, newest first",
    response_model=schemas.Page[schemas.Ticket],
)
async def list_tickets(
    request: Request,
    principal: Reader,
    account_id: AccountId,
    status: Annotated[list[Status] | None, Query(description="repeatable")] = None,
    external_ref: Annotated[str | None, Query(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    as_of: AsOf = None,
) -> dict[str, Any]:
    """Tickets newest first (by opening time), without history and allocations. Filter by
    `status` (repeatable) and `external_ref`. `as_of`: the tickets opened by that instant, each as
    it stood then and filtered by its status then (the statement's parts continued as of it)."""
    statuses = sorted(set(status)) if status else None
    at = _as_of(request, as_of)
    scope = _tickets_scope(account_id, statuses, external_ref, at)
    after = decode_cursor(cursor, scope, instant, text)
    if at is not None:
        page = await database(request).read_long(
            lambda conn: asof.tickets_page_at(
                conn, account_id, at, statuses=statuses, external_ref=external_ref, after=after, limit=limit
            )
        )
        return _tickets_page(scope, page)
    page = await database(request).read_single(
        queries.tickets_page, account_id, statuses=statuses, external_ref=external_ref, after=after, limit=limit
    )
    return _tickets_page(scope, page)
