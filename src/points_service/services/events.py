"""The outbox: an event is written by the command whose change it reports, in its transaction.

`emit` numbers the event in its account's sequence (`accounts.event_seq`, gapless: the account is
locked by the batch, and a command that fails leaves neither its event nor its number) and stages
it in the command's scope, so the flush writes it with the change, and a command rolled back to
its savepoint leaves no event. The dispatcher (`services.dispatch`) delivers what was committed.

`data` is the resource as the change's response shows it, made by the same presenters
(`services.present`) and stored as JSON, timestamps written as the API writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ..db.ids import new_id
from ..db.records import Account, Event
from ..domain.events import EventType
from . import present
from .balance import balance_at
from .state import Scope


def instant_text(value: datetime) -> str:
    """A timestamp as the API writes it: UTC, `Z`, microseconds only when there are some."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# The values `jsonable` keeps as they are, recognised by their exact type before any isinstance()
# check: they are most of a resource, and checking each against `Mapping` (an abstract class) was
# half the cost of the event's data for an open (7.6 against 15 µs for a ticket's, with `timeit`).
_AS_IS = frozenset({str, int, bool, type(None), Decimal})


def jsonable(value: Any) -> Any:
    """`value` with its timestamps as text: what the API's JSON shows."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is dict:
        return {key: item if type(item) in _AS_IS else jsonable(item) for key, item in value.items()}
    if isinstance(value, datetime):
        return instant_text(value)
    if isinstance(value, Mapping):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


def emit(tx: Scope, account_id: str, kind: EventType, data: Mapping[str, Any], now: datetime) -> Event:
    """Stage an event of the locked account's, numbered next in its sequence."""
    account = tx.account(account_id)
    assert account is not None, "an event belongs to an account that exists"
    seq = account.event_seq + 1
    tx.update(replace(account, event_seq=seq))
    return tx.insert(Event(new_id("evt"), account_id, seq, kind.value, now, jsonable(data), False))


def account_created(tx: Scope, account: Account, now: datetime) -> None:
    """`account.created`, with the account as PUT answers it (a new account's balance is empty)."""
    empty = balance_at(account.id, (0, 0, 0), (), now, timedelta(0))
    emit(tx, account.id, EventType.ACCOUNT_CREATED, present.account(account, empty), now)


def body(event: Event) -> dict[str, Any]:
    """The event as `GET /v1/events/{id}` shows it and as a push delivers it (JSON-ready)."""
    return {
        "id": event.id,
        "type": event.type,
        "created_at": instant_text(event.created_at),
        "account_id": event.account_id,
        "seq": event.seq,
        "data": event.data,
    }
