"""Commands that only tests write: to hold a batch open, to fail on purpose, to break a constraint.

They run in a writer thread like every command, so what they wait on is a `threading.Event`, and a
test waits for one with `await until(event)`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from points_service.db.records import ApiKey
from points_service.services.state import Command, Needs, Scope


async def until(event: threading.Event, timeout: float = 10.0) -> None:
    """Wait, without blocking the event loop, until a writer thread sets `event`."""
    if not await asyncio.to_thread(event.wait, timeout):
        raise TimeoutError("the writer never got there")


@dataclass(frozen=True)
class Gate:
    """Holds its batch open (and the batch's locks) until the test releases it."""

    opened: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    locks: tuple[str, ...] = ()

    def needs(self, needs: Needs) -> None:
        needs.lock(*self.locks)

    def apply(self, tx: Scope) -> str:
        self.opened.set()
        if not self.release.wait(30):
            raise TimeoutError("the gate was never released")
        return "gate"


@dataclass(frozen=True)
class HeldRead:
    """A read that holds its reader thread (`Database.read_single(held)`) until the test releases it."""

    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def __call__(self, _conn: Any) -> str:
        self.started.set()
        if not self.release.wait(30):
            raise TimeoutError("the read was never released")
        return "held"


@dataclass(frozen=True)
class ThenFail:
    """Applies `inner`, then raises: nothing `inner` wrote may remain."""

    inner: Command[Any]
    error: Exception = field(default_factory=lambda: RuntimeError("the command fails after writing"))

    def needs(self, needs: Needs) -> None:
        self.inner.needs(needs)

    def apply(self, tx: Scope) -> Any:
        self.inner.apply(tx)
        raise self.error


@dataclass(frozen=True)
class Call:
    """Runs `fn(tx)` in the writer (a test's own step, with the needs it declares)."""

    fn: Callable[[Scope], Any]
    declare: Callable[[Needs], None] = lambda needs: None

    def needs(self, needs: Needs) -> None:
        self.declare(needs)

    def apply(self, tx: Scope) -> Any:
        return self.fn(tx)


@dataclass(frozen=True)
class DuplicateKeyName:
    """Inserts an API key under a name that exists, without looking it up first: the rules cannot
    see the conflict, the database's UNIQUE constraint refuses it at the flush."""

    name: str

    def needs(self, needs: Needs) -> None:
        return None

    def apply(self, tx: Scope) -> None:
        tx.insert(ApiKey(f"key_dup_{id(self)}", self.name, "admin", None, f"{id(self):064x}", datetime.now(UTC), None))
