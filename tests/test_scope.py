"""What a batch's scopes answer for a row: its newest version, absent, or never looked up (a bug)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from points_service.services.state import Batch, Catalogue, NotLoadedError


@dataclass(frozen=True)
class Row:
    pk: str
    value: int = 0


def _batch() -> Batch:
    batch = Batch(Catalogue(1, []))
    batch.load(Row("a", 1))
    batch.absent(Row, "gone")
    return batch


def test_a_row_never_looked_up_is_a_bug_to_read() -> None:
    tx = _batch().child()
    with pytest.raises(NotLoadedError, match="Row 'elsewhere' was not loaded"):
        tx.get(Row, "elsewhere")


def test_loaded_absent_and_written_rows_read_as_the_scope_chain_has_them() -> None:
    batch = _batch()
    tx = batch.child()
    step = tx.child()
    assert tx.get(Row, "a") == Row("a", 1)
    assert tx.get(Row, "gone") is None
    step.update(Row("a", 2))
    step.insert(Row("gone", 3))
    assert step.get(Row, "a") == Row("a", 2) and step.get(Row, "gone") == Row("gone", 3)
    assert tx.get(Row, "a") == Row("a", 1) and tx.get(Row, "gone") is None  # not merged yet
    step.commit()
    assert tx.get(Row, "a") == Row("a", 2) and tx.get(Row, "gone") == Row("gone", 3)
    assert batch.get(Row, "a") == Row("a", 1)


def test_insert_refuses_a_row_that_exists_and_takes_a_new_or_absent_one() -> None:
    tx = _batch().child()
    with pytest.raises(AssertionError, match="exists already"):
        tx.insert(Row("a"))
    tx.insert(Row("gone"))  # looked up and absent
    tx.insert(Row("new"))  # never looked up: a new id, the database's constraints stand guard
    with pytest.raises(AssertionError, match="exists already"):
        tx.insert(Row("new"))
    assert list(tx.created) == [(Row, "gone"), (Row, "new")]


def test_update_refuses_a_row_that_does_not_exist() -> None:
    tx = _batch().child()
    for pk in ("gone", "elsewhere"):
        with pytest.raises(AssertionError, match="does not exist"):
            tx.update(Row(pk))
