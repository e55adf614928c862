"""Reading the outbox: events newest first, filtered, a page at a time; one event by id.

Every filter combination reads index ranges only (`ix_events_*`): by account, by type (one range
per type, merged), by both, or all events; each range stops at a page, so a page costs the same
however many events the outbox keeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, bindparam

from ..db import schema as t
from ..db.records import SELECT, Event
from .events import instant_text
from .queries import KeyedPage, after_params, merge_ranges, newest_first, page_of

EVENT_BY_ID = SELECT[Event].where(t.events.c.id == bindparam("id"))


@cache
def _page_statement(types: int, by_account: bool, since: bool, after: bool) -> Select[Any]:
    """Events newest first, of any type (`types` 0) or of `types` types (`type_0`…)."""
    c = t.events.c

    def branch(kind: str | None) -> Select[Any]:
        stmt = SELECT[Event]
        if by_account:
            stmt = stmt.where(c.account_id == bindparam("account_id"))
        if kind is not None:
            stmt = stmt.where(c.type == bindparam(kind))
        if since:
            stmt = stmt.where(c.created_at > bindparam("created_after", type_=c.created_at.type))
        return newest_first(stmt, c.created_at, c.id, after=after)

    return merge_ranges([branch(f"type_{n}") for n in range(types)] if types else [branch(None)], "created_at", "id")


def events_page(
    conn: Connection,
    *,
    types: Sequence[str] | None,
    account_id: str | None,
    created_after: datetime | None,
    after: list[Any] | None,
    limit: int,
) -> KeyedPage:
    """A page of events newest first; `after`: the (created_at text, id) of the previous page's last."""
    params: dict[str, Any] = {"limit": limit + 1, "account_id": account_id, "created_after": created_after}
    params.update(after_params(after))
    for n, kind in enumerate(types or ()):
        params[f"type_{n}"] = kind
    stmt = _page_statement(len(types or ()), account_id is not None, created_after is not None, after is not None)
    rows = [Event(*row) for row in conn.execute(stmt, params)]  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
    return page_of(rows, limit, lambda last: [instant_text(last.created_at), last.id])


def event(conn: Connection, event_id: str) -> Event | None:
    row = conn.execute(EVENT_BY_ID, {"id": event_id}).first()
    return None if row is None else Event(*row)  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)
