"""The flush phase of a write batch: one `executemany` per table, inserts then updates.

Tables are written in the order their foreign keys need (accounts and lots before what refers to
them). A row created and then changed within the batch is inserted once, as it was left. Updates
set a table's changeable columns (`MUTABLE`) by primary key. The statements are built once.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, bindparam, insert, update

from ..db import schema as t
from ..db.records import (
    Account,
    Allocation,
    ApiKey,
    Category,
    Entry,
    License,
    LicenseProduct,
    Lot,
    Plan,
    Posting,
    StoredResponse,
    Ticket,
    TicketEvent,
    WebhookEvent,
    row_of,
)
from .state import Batch

ORDER: tuple[type[Any], ...] = (
    Account,
    Plan,
    Category,
    LicenseProduct,
    ApiKey,
    Lot,
    License,
    Ticket,
    Allocation,
    TicketEvent,
    Entry,
    Posting,
    WebhookEvent,
    StoredResponse,
)
INSERTS = {cls: insert(cls.TABLE) for cls in ORDER}
# executemany of an UPDATE sets the columns its parameters name; `pk_<column>` names the row.
UPDATES = {
    cls: update(cls.TABLE).where(*(column == bindparam(f"pk_{column.name}") for column in cls.TABLE.primary_key))
    for cls in ORDER
    if cls.MUTABLE
}
_PRIMARY_KEY = {cls: [column.name for column in cls.TABLE.primary_key] for cls in UPDATES}
BUMP_CATALOGUE_VERSION = (
    update(t.catalogue_state).where(t.catalogue_state.c.id == 1).values(version=t.catalogue_state.c.version + 1)
)


def _update_params(record: Any) -> dict[str, Any]:
    cls = type(record)
    params = {f"pk_{name}": getattr(record, name) for name in _PRIMARY_KEY[cls]}
    params.update((name, getattr(record, name)) for name in cls.MUTABLE)
    return params


def flush(conn: Connection, batch: Batch) -> None:
    """Write what the batch's commands created and changed."""
    created: dict[type[Any], list[dict[str, Any]]] = defaultdict(list)
    for record in batch.rows_to_insert():
        created[type(record)].append(row_of(record))
    changed: dict[type[Any], list[dict[str, Any]]] = defaultdict(list)
    for record in batch.rows_to_update():
        changed[type(record)].append(_update_params(record))
    for cls in ORDER:
        if created[cls]:
            conn.execute(INSERTS[cls], created[cls])
    for cls in ORDER:
        if changed[cls]:
            conn.execute(UPDATES[cls], changed[cls])
    for statement, params, then in batch.statements:
        result = conn.execute(statement, params)
        if then is not None:
            then(result)
    if batch.catalogue_changed:
        conn.execute(BUMP_CATALOGUE_VERSION)

