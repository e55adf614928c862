"""The engine's compiled statements are found by the identity of their cache key (`db.compiled`):
a statement built once is compiled once and found again without hashing its key, which for the
statement's ledger page is a tuple of 2,828 elements (docs/performance.md, "Cache keys hashed at
every execution")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from points_service.db.compiled import CompiledStatements
from points_service.services import queries

from conftest import Api


class CountedKey(tuple[Any, ...]):
    """A statement key that counts how often it is hashed."""

    hashed = 0

    def __hash__(self) -> int:
        CountedKey.hashed += 1
        return super().__hash__()


class ByValueSpy:
    """Stands for a `CompiledStatements`' LRU cache, counting the look-ups by value."""

    def __init__(self, cache: Any) -> None:
        self.cache = cache
        self.looked_up = 0

    def get(self, k: Any, default: Any = None) -> Any:
        self.looked_up += 1
        return self.cache.get(k, default)

    def __setitem__(self, k: Any, compiled: Any) -> None:
        self.cache[k] = compiled


def key(statement: tuple[Any, ...], executemany: bool = False) -> tuple[Any, ...]:
    return ("dialect", statement, ("account",), False, executemany)  # SQLAlchemy's shape


def test_a_statement_built_once_is_found_without_hashing_its_key() -> None:
    cache = CompiledStatements()
    statement = CountedKey(("select", "accounts", ("id", "available")))
    cache[key(statement)] = "compiled"
    CountedKey.hashed = 0
    assert [cache.get(key(statement)) for _ in range(3)] == ["compiled"] * 3
    assert CountedKey.hashed == 0


def test_an_equal_key_of_another_statement_is_found_by_value() -> None:
    cache = CompiledStatements()
    cache[key(CountedKey(("select", "accounts")))] = "compiled"
    rebuilt = CountedKey(("select", "accounts"))  # the same statement built again: an equal key, another object
    CountedKey.hashed = 0
    assert cache.get(key(rebuilt)) == "compiled"
    assert CountedKey.hashed == 1
    assert cache.get(key(rebuilt)) == "compiled"  # and by its identity from then on
    assert CountedKey.hashed == 1


def test_the_rest_of_the_key_still_counts() -> None:
    cache = CompiledStatements()
    statement = CountedKey(("insert", "tickets"))
    cache[key(statement)] = "one row"
    assert cache.get(key(statement, executemany=True)) is None
    assert cache.get(key(statement, executemany=True), "missing") == "missing"
    cache[key(statement, executemany=True)] = "many rows"
    assert cache.get(key(statement, executemany=True)) == "many rows"
    assert cache.get(key(statement)) == "one row"


def test_statements_built_at_every_call_do_not_grow_it() -> None:
    cache = CompiledStatements(size=10)
    first = CountedKey(("select", 0))
    cache[key(first)] = "compiled 0"
    for n in range(1, 25):
        cache[key(CountedKey(("select", n)))] = f"compiled {n}"
    assert len(cache._by_identity) <= 10
    assert cache.get(key(CountedKey(("select", 24)))) == "compiled 24"


async def test_the_service_compiles_a_statement_once_and_finds_it_by_identity(api: Api) -> None:
    engine = api.db.engine
    with engine.connect() as conn:
        cache = conn.get_execution_options()["compiled_cache"]
        assert isinstance(cache, CompiledStatements)
        compiled: list[Any] = []

        def record(_conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool) -> None:
            compiled.append(context.compiled)

        event.listen(engine, "before_cursor_execute", record)
        spy = ByValueSpy(cache._by_value)
        cache._by_value = spy
        try:
            for _ in range(3):
                conn.execute(queries.ACCOUNT_EXISTS, {"ident": "nobody"}).all()
        finally:
            cache._by_value = spy.cache
            event.remove(engine, "before_cursor_execute", record)
    assert len(compiled) == 3 and compiled[1] is compiled[0] and compiled[2] is compiled[0]
    assert spy.looked_up <= 1  # the first execution only, if it was not compiled yet
