"""`GET /v1/ledger/export` (docs/design.md §14): every entry recorded in [from, to), with its postings, as
NDJSON or CSV, read a chunk at a time; its period, roles and errors; a client hanging up."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest

from points_service.api.routers.export import wants_csv
from points_service.api.schemas import LedgerEntry
from points_service.services import export
from points_service.services.uow import DatabaseBusyError

from conftest import Api
from support.problems import invalid_only, problem_with_context
from support.times import T0

EVERYTHING = {"from": "2020-01-01T00:00:00Z", "to": "2030-01-01T00:00:00Z"}  # T0 is in 2026
CSV_ACCEPT = {"Accept": "text/csv"}


async def _ledger(api: Api) -> None:
    """Two accounts with grants, tickets in every state, a credit, an accepted dispute (a credit
    linked to it), a write-off and a revocation, over several instants (the clock moves an hour
    between steps, and stands still within one)."""
    for account in ("acme", "zeta"):
        await api.account(account)
    await api.buy("acme", "points-300")
    await api.buy("zeta", "points-120")
    api.clock.advance(timedelta(hours=1))
    resolved = await api.open("acme", "store-problem")
    refunded = await api.open("acme", "consultation")
    adjusted = await api.open("zeta", "small-mod")
    r = await api.post(f"/v1/tickets/{resolved['id']}/resolve", {"points": 30}, role="helpdesk")
    assert r.status_code == 200, r.text
    r = await api.post(f"/v1/tickets/{refunded['id']}/refund", {"reason": "software_bug"}, role="helpdesk")
    assert r.status_code == 200, r.text
    r = await api.post(
        f"/v1/tickets/{adjusted['id']}/adjust", {"points": 10, "reason": 'smaller, "quoted"'}, role="helpdesk"
    )
    assert r.status_code == 200, r.text
    api.clock.advance(timedelta(hours=1))
    r = await api.post(
        f"/v1/tickets/{resolved['id']}/credit", {"points": 5, "reason": "goodwill,\nsorry"}, role="helpdesk"
    )
    assert r.status_code == 200, r.text
    r = await api.post(f"/v1/tickets/{resolved['id']}/disputes", {"reason": "too dear", "points": 4}, role="helpdesk")
    assert r.status_code == 201, r.text
    r = await api.post(f"/v1/disputes/{r.json()['id']}/accept", {"note": "agreed"}, role="helpdesk")
    assert r.status_code == 200, r.text
    r = await api.post("/v1/accounts/zeta/adjustments", {"points": -3, "reason": "write-off é"})
    assert r.status_code == 200, r.text
    bought = await api.buy("zeta", "points-60")
    r = await api.post(f"/v1/lots/{bought['lot']['id']}/revoke", {"reason": "charged back"}, role="billing")
    assert r.status_code == 200, r.text


async def _all_entries(api: Api) -> list[dict[str, Any]]:
    """Every recorded entry of every account, as the ledger endpoint shows them, in the export's
    order (created_at, then id)."""
    entries = []
    for account in ("acme", "zeta"):
        r = await api.get(f"/v1/accounts/{account}/ledger", params={"limit": 500})
        entries += [e for e in r.json()["items"] if not e["pending"]]
    return sorted(entries, key=lambda e: (e["created_at"], e["id"]))


def _lines(text: str) -> list[dict[str, Any]]:
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


_INTEGERS = {
    "seq",
    "available_delta",
    "held_delta",
    "deducted_delta",
    "available_after",
    "held_after",
    "deducted_after",
}


def _from_csv(text: str) -> list[dict[str, Any]]:
    """The entries a CSV export holds, rebuilt from its rows (one per posting)."""
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    entries: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = entries.get(row["id"])
        if entry is None:
            entry = {name: row[name] or None for name in export.ENTRY_COLUMNS}
            entry.update({name: int(row[name]) for name in _INTEGERS})
            entry["postings"], entry["pending"] = [], False
            entries[row["id"]] = entry
        else:  # the entry's columns are the same on each of its rows
            assert all(
                entry[name] == (int(row[name]) if name in _INTEGERS else row[name] or None)
                for name in export.ENTRY_COLUMNS
            )
        assert int(row["posting_idx"]) == len(entry["postings"])
        entry["postings"].append(
            {
                "lot_id": row["lot_id_posted"],
                "from_state": row["from_state"] or None,
                "to_state": row["to_state"],
                "points": int(row["points"]),
            }
        )
    return list(entries.values())


class TestExportLedger:
    async def test_ndjson_holds_every_entry_with_its_postings_oldest_first(self, api):
        await _ledger(api)
        expected = await _all_entries(api)

        r = await api.get("/v1/ledger/export", params=EVERYTHING, role="billing")

        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/x-ndjson"
        assert r.headers["content-disposition"] == (
            'attachment; filename="ledger-20200101T000000Z-20300101T000000Z.ndjson"'
        )
        assert _lines(r.text) == expected
        assert len(expected) > 12 and {e["account_id"] for e in expected} == {"acme", "zeta"}

    async def test_csv_opens_in_the_csv_module_and_round_trips_every_field(self, api):
        await _ledger(api)
        ndjson = _lines((await api.get("/v1/ledger/export", params=EVERYTHING)).text)

        r = await api.get("/v1/ledger/export", params=EVERYTHING, headers=CSV_ACCEPT)

        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "text/csv; charset=utf-8; header=present"
        assert r.headers["content-disposition"].endswith('.csv"')
        assert r.text.splitlines()[0] == ",".join(export.CSV_COLUMNS)
        assert len(list(csv.reader(io.StringIO(r.text, newline="")))) == 1 + sum(len(e["postings"]) for e in ndjson)
        assert _from_csv(r.text) == ndjson
        reasons = {e["reason"] for e in ndjson}
        assert {'smaller, "quoted"', "goodwill,\nsorry", "write-off é"} <= reasons  # quoting, newlines, UTF-8
        [credit] = [e for e in ndjson if e["dispute_id"] is not None]
        assert (credit["kind"], credit["reason"], credit["dispute_id"].startswith("dsp_")) == (
            "return",
            "dispute",
            True,
        )

    def test_csv_columns_added_since_come_last(self):
        """A reader by position keeps finding the columns it knew; `dispute_id` is the last."""
        assert export.CSV_COLUMNS[:21] == (
            *("id", "seq", "account_id", "kind", "available_delta", "held_delta", "deducted_delta"),
            *("available_after", "held_after", "deducted_after", "lot_id", "ticket_id", "reason", "actor"),
            *("created_at", "effective_at", "posting_idx", "lot_id_posted", "from_state", "to_state", "points"),
        )
        assert export.CSV_COLUMNS[21:] == ("dispute_id",)
        assert set(export.ENTRY_COLUMNS) | {"postings", "pending"} == set(LedgerEntry.model_fields)

    async def test_from_is_included_and_to_excluded(self, api):
        await api.account()
        await api.buy()  # at T0
        api.clock.advance(timedelta(hours=1))
        await api.buy()  # at T0 + 1h
        api.clock.advance(timedelta(hours=1))
        await api.buy()  # at T0 + 2h

        async def seqs(start: Any, end: Any) -> list[int]:
            params = {"from": start.isoformat(), "to": end.isoformat()}
            r = await api.get("/v1/ledger/export", params=params)
            assert r.status_code == 200, r.text
            return [e["seq"] for e in _lines(r.text)]

        hour = timedelta(hours=1)
        assert await seqs(T0 + hour, T0 + 2 * hour) == [2]
        assert await seqs(T0, T0 + 2 * hour) == [1, 2]
        assert await seqs(T0 + timedelta(microseconds=1), T0 + 2 * hour + timedelta(microseconds=1)) == [2, 3]
        assert await seqs(T0 + hour, T0 + hour) == []  # an empty period is a period

    async def test_an_empty_period_is_an_empty_body_in_ndjson_and_a_header_in_csv(self, api):
        params = {"from": "2020-01-01T00:00:00Z", "to": "2020-02-01T00:00:00Z"}

        ndjson = await api.get("/v1/ledger/export", params=params)
        as_csv = await api.get("/v1/ledger/export", params=params, headers=CSV_ACCEPT)

        assert (ndjson.status_code, ndjson.text) == (200, "")
        assert (as_csv.status_code, as_csv.text) == (200, ",".join(export.CSV_COLUMNS) + "\r\n")

    async def test_chunks_meet_exactly_where_entries_share_an_instant(self, api, monkeypatch):
        """The frozen clock records every entry of a step at the same instant: the keyset
        (created_at, id) still continues each chunk exactly after the last."""
        monkeypatch.setattr(export, "CHUNK", 3)
        await _ledger(api)
        expected = await _all_entries(api)
        reads = 0
        read_chunk = export.read_chunk

        def counted(*args: Any, **kwargs: Any) -> export.Chunk:
            nonlocal reads
            reads += 1
            return read_chunk(*args, **kwargs)

        monkeypatch.setattr(export, "read_chunk", counted)

        r = await api.get("/v1/ledger/export", params=EVERYTHING)

        assert _lines(r.text) == expected
        assert reads == len(expected) // 3 + 1

    async def test_an_offset_in_the_period_is_normalised_to_utc(self, api):
        await api.account()
        await api.buy()  # at T0, 12:00Z

        r = await api.get(
            "/v1/ledger/export", params={"from": "2026-01-15T13:00:00+01:00", "to": "2026-01-15T13:00:01+01:00"}
        )

        assert [e["seq"] for e in _lines(r.text)] == [1]


class TestExportValidation:
    @pytest.mark.parametrize(
        ("params", "pointer"),
        [
            ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "#/query/from"),
            ({"from": "2016-01-01T00:00:00Z", "to": "2026-01-01T00:00:01Z"}, "#/query/to"),
            ({"from": "2016-02-29T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, "#/query/to"),
            ({"from": "0001-01-01T00:00:00+23:59", "to": "2026-01-01T00:00:00Z"}, "#/query/from"),
            ({"from": "2026-01-01T00:00:00Z", "to": "9999-12-31T23:59:59-23:59"}, "#/query/to"),
            ({"from": "2026-01-01T00:00:00", "to": "2026-02-01T00:00:00Z"}, "#/query/from"),
            ({"from": "yesterday", "to": "2026-02-01T00:00:00Z"}, "#/query/from"),
            ({"to": "2026-02-01T00:00:00Z"}, "#/query/from"),
            ({"from": "2026-01-01T00:00:00Z"}, "#/query/to"),
        ],
    )
    @pytest.mark.parametrize("path", ["/v1/ledger/export", "/v1/reports/estimates"])
    async def test_a_bad_period_is_a_validation_error_at_its_bound(
        self, api, path: str, params: dict[str, str], pointer: str
    ):
        r = await api.get(path, params=params, headers=CSV_ACCEPT)

        invalid_only(r, pointer)

    @pytest.mark.parametrize("path", ["/v1/ledger/export", "/v1/reports/estimates"])
    async def test_exactly_ten_years_is_allowed(self, api, path: str):
        r = await api.get(path, params={"from": "2016-02-29T00:00:00Z", "to": "2026-02-28T00:00:00Z"})

        assert r.status_code == 200, r.text

    async def test_an_error_of_the_first_read_is_a_problem_document(self, api, monkeypatch):
        def busy(*args: Any, **kwargs: Any) -> export.Chunk:
            raise DatabaseBusyError("the database did not answer in time")

        monkeypatch.setattr(export, "read_chunk", busy)

        r = await api.get("/v1/ledger/export", params=EVERYTHING, headers=CSV_ACCEPT)

        problem_with_context(r, 503, "database-busy")
        assert r.headers["retry-after"] == "1"


class TestExportRoles:
    @pytest.mark.parametrize(("role", "status"), [("admin", 200), ("billing", 200), ("helpdesk", 403), ("viewer", 403)])
    async def test_admin_and_billing_only(self, api, role: str, status: int):
        await api.account()
        await api.buy()

        r = await api.get("/v1/ledger/export", params=EVERYTHING, role=role)

        if status == 200:
            assert r.status_code == 200 and len(_lines(r.text)) == 1, r.text
        else:
            problem_with_context(r, 403, "forbidden", role)

    async def test_403_comes_before_422(self, api):
        r = await api.get("/v1/ledger/export", params={"from": "nonsense"}, role="helpdesk")

        problem_with_context(r, 403, "forbidden")

    async def test_no_key_is_401(self, api):
        problem_with_context(await api.get("/v1/ledger/export", params=EVERYTHING, role=None), 401, "unauthorized")


class TestNegotiation:
    @pytest.mark.parametrize(
        ("accept", "csv_wanted"),
        [
            ("", False),
            ("*/*", False),
            ("application/json", False),
            ("application/x-ndjson", False),
            ("text/csv", True),
            ("TEXT/CSV; charset=utf-8", True),
            ("text/csv;q=0.5, application/x-ndjson", False),
            ("application/x-ndjson;q=0.4, text/csv;q=0.5", True),
            ("text/csv, application/x-ndjson", False),  # a tie: the default
            ("text/csv;q=0", False),
            ("text/csv;q=nonsense", False),
        ],
    )
    def test_csv_only_when_preferred(self, accept: str, csv_wanted: bool):
        assert wants_csv(accept) is csv_wanted


class TestClientHangingUp:
    async def test_the_export_stops_reading_when_the_client_goes_away(self, api, monkeypatch):
        """Driven as the server drives the app (ASGI 2.3, uvicorn's): after the first part of the
        body the client disconnects; the export reads at most one chunk more, not the rest."""
        monkeypatch.setattr(export, "CHUNK", 2)
        await _ledger(api)
        chunks = len(await _all_entries(api)) // 2 + 1
        assert chunks >= 6
        reads = 0
        read_chunk = export.read_chunk

        def counted(*args: Any, **kwargs: Any) -> export.Chunk:
            nonlocal reads
            reads += 1
            return read_chunk(*args, **kwargs)

        monkeypatch.setattr(export, "read_chunk", counted)
        app = api.client._transport.app
        gone = asyncio.Event()
        messages: list[dict[str, Any]] = []

        requested = False

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)
            if message["type"] == "http.response.body" and message.get("body"):
                gone.set()  # the client reads the first part, then hangs up

        query = "&".join(f"{k}={v}" for k, v in EVERYTHING.items()).encode()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/v1/ledger/export",
            "raw_path": b"/v1/ledger/export",
            "query_string": query,
            "root_path": "",
            "headers": [(b"host", b"test"), (b"authorization", f"Bearer {api.keys['admin']}".encode())],
            "client": ("127.0.0.1", 1234),
            "server": ("test", 80),
            "state": {},
        }

        await asyncio.wait_for(app(scope, receive, send), timeout=10)
        await asyncio.sleep(0.1)  # a read under way when the client left finishes on its thread

        assert messages[0]["status"] == 200
        assert not any(m["type"] == "http.response.body" and m.get("more_body") is False for m in messages)
        assert reads <= 3, f"{reads} of {chunks} chunks read after the client left"
