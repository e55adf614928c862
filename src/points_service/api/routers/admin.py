"""Operations: the expiry sweep and the ledger check."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from ...services.housekeeping import housekeep, policy_of
from ...services.verify import verify
from .. import schemas
from ..deps import ADMIN, Principal, allow, command_context, database
from ..pagination import Cursor, decode_cursor, encode_cursor, integer, scope_of, text
from ..problems import validation_problem
from ..routing import DeferredJsonRoute
from ..writes import KeyOrReplay, remember

router = APIRouter(prefix="/v1/admin", tags=["admin"], route_class=DeferredJsonRoute)

Admin = Annotated[Principal, Depends(allow(*ADMIN))]
MAX_VERIFY_PAGE = 10_000  # accounts checked by one request of a paged check
AccountFilter = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9._:-]{1,64}$", description="only this account")]


@router.post(
    "/expire", operation_id="run_expiry_sweep", summary="Persist due expiries now", response_model=schemas.SweepResult
)
async def run_expiry_sweep(
    request: Request,
    principal: Admin,
    key: KeyOrReplay,
    account_id: AccountFilter = None,
) -> Response:
    """Safe to run concurrently and repeatedly: each lot's expiry is written exactly once, and each
    `lot.expiring_soon` notice (`POINTS_EXPIRY_NOTICE_DAYS`) sent once. Without `account_id`, also
    purges events older than `POINTS_EVENT_RETENTION_DAYS` and Idempotency-Key responses older than
    `POINTS_IDEMPOTENCY_TTL_HOURS`. The service also runs it by itself every `POINTS_SWEEP_INTERVAL`."""
    system = replace(command_context(request, principal), actor="system:expiry", role="system")
    done = await housekeep(database(request), system, policy_of(request.app.state.settings), account_id=account_id)
    body = schemas.SweepResult(**asdict(done.sweep), purged_events=done.purged_events)
    return await remember(request, key, 200, body, {})


@router.get(
    "/verify",
    operation_id="verify_ledger",
    summary="Recompute every balance and compare",
    response_model=schemas.VerifyReport,
)
async def verify_ledger(
    request: Request,
    principal: Admin,
    account_id: AccountFilter = None,
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_VERIFY_PAGE,
            description="check a page of this many accounts (by id), continued with `next_cursor`: a large "
            "database checked page by page, each page within the request's time",
        ),
    ] = None,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Recomputes every balance from the ledger's postings and the lots and compares with the
    stored counters; `ok` is false and `disagreements` lists each mismatch otherwise. Without
    `account_id` or `limit`, the whole database in one snapshot (on a large database this may take
    longer than `POINTS_DB_STATEMENT_TIMEOUT`: 503; use `limit`, or `points-service verify`). With
    `limit`, a page of accounts, each page its own snapshot, continued by `next_cursor` (which
    keeps the page size unless `limit` is given again). With `account_id`, that account alone."""
    scope = scope_of("verify", account_id=account_id)
    after = decode_cursor(cursor, scope, text, integer)
    if after is not None and not 1 <= after[1] <= MAX_VERIFY_PAGE:  # made by hand
        raise validation_problem("#/query/cursor", "the cursor is not valid for this endpoint and these filters")
    if after is not None and limit is None:
        limit = after[1]
    if account_id is not None:
        limit = None  # one account: one page
    report = await database(request).read_long(
        verify, account_id=account_id, after_account=after[0] if after else None, limit=limit
    )
    more = [report.next_account, limit] if report.next_account else None
    return {
        "ok": report.ok,
        "checked_accounts": report.checked_accounts,
        "checked_lots": report.checked_lots,
        "disagreements": [asdict(d) for d in report.disagreements],
        "next_cursor": encode_cursor(scope, more),
    }
