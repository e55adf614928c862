"""SQLAlchemy's cache of compiled statements, found by the identity of a statement's cache key.

SQLAlchemy compiles a statement once and finds the compiled form again at every execution by the
statement's cache key: a tuple of tuples describing the whole statement (2,828 elements for the
statement's ledger page, 1,521 for a page of tickets). A `dict` look-up hashes that key again each
time (Python does not keep a tuple's hash): 10 µs for the ledger page here, paid while holding the
GIL, by every reader and the writers. The service builds its statements once (module level or
`functools.cache`), and SQLAlchemy keeps each statement's key object for the statement's life, so
the same object comes back at every execution: `CompiledStatements` finds it by its identity first,
and falls back to an ordinary LRU cache (SQLAlchemy's own) by the key's value.

It is SQLAlchemy's documented `compiled_cache` execution option, given to every connection of the
engine (`db.engine`); SQLAlchemy calls only `get` and `[key] = compiled` on it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.util import LRUCache

# A key is SQLAlchemy's `(dialect, statement key, column keys, schema map?, executemany?)`
# (`ClauseElement._compile_w_cache`); its second element is the statement's memoized key.
_STATEMENT = 1


class CompiledStatements:
    """SQLAlchemy's `compiled_cache`: by the statement key's identity, else by its value (LRU).

    An identity entry holds its whole key, so the statement key it is found by stays alive and its
    `id` cannot be given to another object meanwhile; a hit compares the whole key (its elements by
    identity first, which is what makes it cheap). Statements built at every call bring a new key
    object each time: the identity entries are dropped all together when they reach `size`, and those
    statements keep being found by value, as without this class."""

    def __init__(self, size: int = 500) -> None:
        self.size = size
        self._by_value: LRUCache[tuple[Any, ...], Any] = LRUCache(size)
        self._by_identity: dict[int, tuple[tuple[Any, ...], Any]] = {}

    def get(self, key: tuple[Any, ...], default: Any = None) -> Any:
        hit = self._by_identity.get(id(key[_STATEMENT]))
        if hit is not None and hit[0] == key:
            return hit[1]
        compiled = self._by_value.get(key)
        if compiled is None:
            return default
        self._remember(key, compiled)
        return compiled

    def __setitem__(self, key: tuple[Any, ...], compiled: Any) -> None:
        self._by_value[key] = compiled
        self._remember(key, compiled)

    def __len__(self) -> int:
        return len(self._by_value)

    def clear(self) -> None:
        self._by_identity.clear()
        self._by_value.clear()

    def _remember(self, key: tuple[Any, ...], compiled: Any) -> None:
        if len(self._by_identity) >= self.size:
            self._by_identity.clear()
        self._by_identity[id(key[_STATEMENT])] = (key, compiled)
