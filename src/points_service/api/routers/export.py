"""The ledger export: every entry recorded in a period, streamed as NDJSON or CSV."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from ...services import export
from ..deps import BILLING, Principal, allow, database
from ..negotiation import qualities
from ..periods import From, To, check_period
from ..routing import DeferredJsonRoute

router = APIRouter(prefix="/v1", tags=["reports"], route_class=DeferredJsonRoute)

NDJSON = "application/x-ndjson"
CSV = "text/csv"

_CSV_EXAMPLE = export.csv_header() + (
    "le_01M8BMRD80VAAY4YRPT0SFJGSR,5,cust-42,purchase,120,0,0,145,25,10,lot_01M8BMRD80K402HET3029XW5Y5,,,"
    "billing-system,2026-11-26T10:00:00Z,2026-11-26T09:59:58Z,0,lot_01M8BMRD80K402HET3029XW5Y5,,available,120\r\n"
)
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the entries, oldest first (by `created_at`, then `id`), streamed: in NDJSON one entry per "
        "line (the schema describes a line), in CSV a header row then one row per posting",
        "content": {
            NDJSON: {
                "schema": {"$ref": "#/components/schemas/LedgerEntry"},
            },
            CSV: {
                "schema": {"type": "string"},
                "example": _CSV_EXAMPLE,
            },
        },
    }
}


def wants_csv(accept: str) -> bool:
    """Whether `Accept` prefers `text/csv` to NDJSON (a tie, a wildcard or no preference: NDJSON,
    the default)."""
    quality = qualities(accept, NDJSON, CSV)
    return quality[CSV] > quality[NDJSON]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


@router.get(
    "/ledger/export",
    operation_id="export_ledger",
    summary="Export every ledger entry recorded in a period (NDJSON or CSV)",
    response_class=StreamingResponse,
    responses=EXPORT_RESPONSES,
)
async def export_ledger(
    request: Request,
    principal: Annotated[Principal, Depends(allow(*BILLING))],
    start: From,
    end: To,
) -> StreamingResponse:
    """Every account's ledger entries recorded (`created_at`) in [`from`, `to`), with their
    postings, oldest first (by `created_at`, then `id`), streamed in constant memory whatever the
    period holds.

    * **NDJSON** (`application/x-ndjson`, the default): one entry per line, exactly as
      `GET /v1/accounts/{account_id}/ledger` shows it (`pending` always false).
    * **CSV** (`Accept: text/csv`): a header row, then one row per posting: the entry's columns
      (`id`, `seq`, `account_id`, `kind`, the deltas, the balances after, `lot_id`, `ticket_id`,
      `reason`, `actor`, `created_at`, `effective_at`) repeated on each of its postings' rows, then
      the posting's `posting_idx` (from 0), `lot_id_posted`, `from_state`, `to_state`, `points`. An
      empty cell is null; timestamps are RFC 3339 in UTC.

    Errors found before the first byte (the key, the period, the database) are problem documents;
    a failure after the stream began cuts it short (the response never ends properly), so a client
    can tell a complete export from a truncated one. A period that has ended exports the same
    entries every time; entries are never changed or deleted."""
    check_period(start, end)
    as_csv = wants_csv(request.headers.get("accept", ""))
    encode: Callable[[Sequence[export.EntryWithPostings]], str] = export.csv_rows if as_csv else export.ndjson
    chunks = export.export_chunks(database(request), start=start, end=end)
    try:  # the first read before the answer starts: its failure is still a problem document
        pending = [await anext(chunks)]
    except BaseException:
        await chunks.aclose()
        raise

    async def body() -> AsyncIterator[bytes]:
        try:
            if as_csv:
                yield export.csv_header().encode()
            yield encode(pending.pop()).encode()
            # A client that hangs up cancels this generator at its next await: no more is read.
            async for chunk in chunks:
                yield encode(chunk).encode()
        finally:
            await chunks.aclose()

    name = f"ledger-{_stamp(start)}-{_stamp(end)}.{'csv' if as_csv else 'ndjson'}"
    return StreamingResponse(
        body(),
        media_type=f"{CSV}; charset=utf-8; header=present" if as_csv else NDJSON,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
