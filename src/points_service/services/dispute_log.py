"""Reading disputes: newest first, all or by status (staff), or one account's; one by id.

Every list reads index ranges only (`ix_disputes_*`): all disputes, one range per status (merged),
or one account's; each range stops at a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, bindparam, select

from ..db import schema as t
from ..db.records import SELECT, Dispute
from .events import instant_text
from .queries import KeyedPage, after_params, merge_ranges, newest_first, page_of

DISPUTE_BY_ID = SELECT[Dispute].where(t.disputes.c.id == bindparam("id"))
# The account a dispute belongs to, for the access checks (a dispute never changes account).
DISPUTE_OWNER = select(t.disputes.c.account_id).where(t.disputes.c.id == bindparam("ident"))


@cache
def _page_statement(statuses: tuple[str, ...], by_account: bool, after: bool) -> Select[Any]:
    """Disputes newest first, of any status (`statuses` empty) or of `statuses`, each written into the
    statement (`schema.is_word`: the open disputes' partial index names the status)."""
    c = t.disputes.c

    def branch(status: str | None) -> Select[Any]:
        stmt = SELECT[Dispute]
        if by_account:
            stmt = stmt.where(c.account_id == bindparam("account_id"))
        if status is not None:
            stmt = stmt.where(t.is_word(c.status, status, t.DISPUTE_STATUSES))
        return newest_first(stmt, c.opened_at, c.id, after=after)

    branches = [branch(status) for status in statuses] if statuses else [branch(None)]
    return merge_ranges(branches, "opened_at", "id")


def disputes_page(
    conn: Connection,
    *,
    statuses: Sequence[str] | None,
    account_id: str | None,
    after: list[Any] | None,
    limit: int,
) -> KeyedPage:
    """A page of disputes newest first; `after`: the (opened_at text, id) of the previous page's last."""
    params: dict[str, Any] = {"limit": limit + 1, "account_id": account_id, **after_params(after)}
    stmt = _page_statement(tuple(sorted(set(statuses or ()))), account_id is not None, after is not None)
    rows = [Dispute(*row) for row in conn.execute(stmt, params)]  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
    return page_of(rows, limit, lambda last: [instant_text(last.opened_at), last.id])


def dispute(conn: Connection, dispute_id: str) -> Dispute | None:
    row = conn.execute(DISPUTE_BY_ID, {"id": dispute_id}).first()
    return None if row is None else Dispute(*row)  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
