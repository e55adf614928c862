"""The statement's CSV document is opened in spreadsheets: text that a spreadsheet would run as a
formula (a cell starting with =, +, -, @, a tab or a carriage return) is written as text, with a
leading apostrophe; numbers, instants and ordinary text are written as they are."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from points_service.services.statement_rows import StatementRows, statement_csv

AT = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _document(reason: str, external_ref: str) -> list[dict[str, str]]:
    rows = StatementRows(
        balance={"account_id": "acme", "available": 15, "held": 0, "deducted": 0, "as_of": AT},
        modifications=[
            {
                "seq": 2,
                "when": AT,
                "recorded_at": AT,
                "kind": "adjustment",
                "points": -15,
                "reason": reason,
                "pending": False,
            }
        ],
        in_progress=[],
        closed=[
            {
                "ticket_id": "tkt_1",
                "external_ref": external_ref,
                "category": "other",
                "status": "resolved",
                "captured_points": 0,
                "charged_points": 30,
                "returned_points": 0,
                "points_taken": 30,
                "opened_at": AT,
                "closed_at": AT,
            }
        ],
        more_modifications=False,
        more_in_progress=False,
        more_closed=False,
    )
    return list(csv.DictReader(io.StringIO(statement_csv(rows), newline="")))


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("https://example.com")', "+1+1", "-15 goodwill", "@SUM(A1:A2)", "\tlead", "\rlead"]
)
def test_text_a_spreadsheet_would_run_starts_with_an_apostrophe(text: str) -> None:
    _, modification, closed = _document(text, text)
    assert modification["reason"] == "'" + text
    assert closed["external_ref"] == "'" + text


def test_numbers_instants_and_plain_text_are_as_they_are() -> None:
    balance, modification, closed = _document("goodwill - 15 points", "C-001")
    assert modification["points"] == "-15" and modification["reason"] == "goodwill - 15 points"
    assert closed["external_ref"] == "C-001" and closed["points_taken"] == "30"
    assert balance["as_of"] == "2026-03-01T12:00:00+00:00" and balance["available"] == "15"
