"""Migrations: empty → head → base → head on both databases, and no drift from the models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from points_service.db.engine import create_engine
from points_service.db.migrate import downgrade, upgrade
from points_service.db.schema import metadata
from points_service.settings import Settings

from pgtools import BACKENDS, PG_URL, admin_sql


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not PG_URL:
        pytest.skip("PostgreSQL tests need POINTS_TEST_DATABASE_URL (make test starts a server)")
    name = f"m_{uuid.uuid4().hex[:16]}"
    admin_sql(f'CREATE DATABASE "{name}"')
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _inspect(url: str) -> tuple[set[str], list[tuple[str, str]], int]:
    engine = create_engine(Settings(database_url=url), connections=1)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
            categories = 0
            if "categories" in tables:
                categories = conn.execute(text("SELECT count(*) FROM categories")).scalar_one()
            return (
                tables,
                [(str(d[0]), str(d[1:])) if isinstance(d, tuple) else ("group", str(d)) for d in diff],
                categories,
            )
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_url):
    upgrade(empty_url)
    tables, _, categories = _inspect(empty_url)
    assert {"accounts", "lots", "ledger_entries", "postings", "tickets"} <= tables
    assert categories == 22
    downgrade(empty_url, "base")
    tables, _, _ = _inspect(empty_url)
    assert tables <= {"alembic_version"}
    upgrade(empty_url)
    tables, _, categories = _inspect(empty_url)
    assert "ledger_entries" in tables and categories == 22


def test_models_and_migrations_agree(empty_url):
    upgrade(empty_url)
    _, diff, _ = _inspect(empty_url)
    assert diff == [], "the models differ from the migrations: write a migration"


def test_0008_computes_the_cost_basis_of_existing_lots(empty_url):
    """Lots recorded before 0008 get their unit price: purchases from the price paid, the rest zero,
    a returned lot (even reissued twice) its origin's price and plan."""
    upgrade(empty_url, "0007")
    engine = create_engine(Settings(database_url=empty_url), connections=1)
    now = "2026-01-15 12:00:00"
    lot = (
        "INSERT INTO lots (id, account_id, source, points, available, held, deducted, expired, revoked, "
        "written_off, reissued, granted_at, created_at, plan_code, paid_minor, paid_currency, origin_lot_id) "
        "VALUES (:id, 'acme', :source, :points, :points, 0, 0, 0, 0, 0, 0, :now, :now, :plan, :paid, :cur, :origin)"
    )
    rows = [
        ("lot_a", "purchase", 120, "points-120", 6850, "USD", None),
        ("lot_b", "license_bonus", 60, None, None, None, None),
        ("lot_c", "returned", 5, None, None, None, "lot_a"),
        ("lot_d", "returned", 3, None, None, None, "lot_c"),
        ("lot_e", "purchase", 120, "points-120", 9800, "JPY", None),
    ]
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO accounts (id, metadata, available, held, deducted, last_seq, created_at, updated_at) "
                    "VALUES ('acme', '{}', 0, 0, 0, 0, :now, :now)"
                ),
                {"now": now},
            )
            for id_, source, points, plan, paid, cur, origin in rows:
                conn.execute(
                    text(lot),
                    {"id": id_, "source": source, "points": points, "now": now, "plan": plan, "paid": paid}
                    | {"cur": cur, "origin": origin},
                )
    finally:
        engine.dispose()
    upgrade(empty_url)
    engine = create_engine(Settings(database_url=empty_url), connections=1)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                text("SELECT id, unit_price, unit_currency, basis_plan_code FROM lots ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in found] == [
        ("lot_a", "0.5708333333", "USD", "points-120"),
        ("lot_b", "0.0000000000", "USD", None),
        ("lot_c", "0.5708333333", "USD", "points-120"),
        ("lot_d", "0.5708333333", "USD", "points-120"),
        ("lot_e", "81.6666666667", "JPY", "points-120"),
    ]


def test_0012_backfills_each_postings_lot_states_and_the_tickets_that_waited(empty_url):
    """Postings recorded before 0012 get their entry's seq and their lot's states after them, in
    (seq, idx) order per lot (two moves of one lot in one entry included); tickets opened to wait
    are marked, whether still waiting or captured since."""
    upgrade(empty_url, "0010")
    engine = create_engine(Settings(database_url=empty_url), connections=1)
    now = "2026-01-15 12:00:00"
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO accounts (id, metadata, available, held, deducted, last_seq, created_at, updated_at) "
                    "VALUES ('acme', '{}', 70, 10, 40, 4, :now, :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO lots (id, account_id, source, points, available, held, deducted, expired, revoked, "
                    "written_off, reissued, granted_at, created_at, unit_price, unit_currency) VALUES "
                    "(:id, 'acme', 'adjustment', :points, :available, :held, :deducted, 0, 0, 0, 0, :now, :now, "
                    "'0.0000000000', 'USD')"
                ),
                [
                    {"id": "lot_a", "points": 100, "available": 50, "held": 10, "deducted": 40, "now": now},
                    {"id": "lot_b", "points": 20, "available": 20, "held": 0, "deducted": 0, "now": now},
                ],
            )
            # entry ids sort against seq order, so the backfill must order by seq, not by id
            entries = [
                ("le_4", 1, "adjustment"),
                ("le_3", 2, "adjustment"),
                ("le_2", 3, "capture"),
                ("le_1", 4, "deduction"),
            ]
            conn.execute(
                text(
                    "INSERT INTO ledger_entries (id, account_id, seq, kind, available_delta, held_delta, "
                    "deducted_delta, available_after, held_after, deducted_after, actor, created_at, effective_at) "
                    "VALUES (:id, 'acme', :seq, :kind, 1, 0, 0, 0, 0, 0, 'test', :now, :now)"
                ),
                [{"id": i, "seq": seq, "kind": kind, "now": now} for i, seq, kind in entries],
            )
            postings = [
                ("le_4", 0, "lot_a", None, "available", 100),
                ("le_3", 0, "lot_b", None, "available", 20),
                ("le_2", 0, "lot_a", "available", "held", 30),
                ("le_2", 1, "lot_a", "available", "held", 20),
                ("le_1", 0, "lot_a", "held", "deducted", 40),
            ]
            conn.execute(
                text(
                    "INSERT INTO postings (entry_id, idx, lot_id, from_state, to_state, points) "
                    "VALUES (:e, :i, :lot, :f, :to, :n)"
                ),
                [{"e": e, "i": i, "lot": lot, "f": f, "to": to, "n": n} for e, i, lot, f, to, n in postings],
            )
            ticket = (
                "INSERT INTO tickets (id, account_id, external_ref, category_code, pricing, estimated_points, "
                "captured_points, charged_points, deducted_points, returned_points, forfeited_points, status, "
                "version, opened_at, changed_at) VALUES (:id, 'acme', :id, 'consultation', '{}', 10, :captured, "
                "0, 0, 0, 0, :status, :version, :now, :now)"
            )
            for id_, captured, status, version in (
                ("tkt_waits", 0, "awaiting_points", 1),
                ("tkt_waited", 10, "open", 2),
                ("tkt_opened", 10, "open", 1),
            ):
                conn.execute(
                    text(ticket),
                    {"id": id_, "captured": captured, "status": status, "version": version, "now": now},
                )
            event = (
                "INSERT INTO ticket_events (ticket_id, version, action, points, reason, actor, at) "
                "VALUES (:ticket, :version, :action, :points, :reason, 'test', :now)"
            )
            for ticket_id, version, action, points, reason in (
                ("tkt_waits", 1, "opened", 0, "awaiting points"),
                ("tkt_waited", 1, "opened", 0, "awaiting points"),
                ("tkt_waited", 2, "captured", 10, None),
                ("tkt_opened", 1, "opened", 10, None),
            ):
                conn.execute(
                    text(event),
                    {"ticket": ticket_id, "version": version, "action": action, "points": points}
                    | {"reason": reason, "now": now},
                )
    finally:
        engine.dispose()
    upgrade(empty_url)
    engine = create_engine(Settings(database_url=empty_url), connections=1)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                text(
                    "SELECT entry_id, idx, seq, available_after, held_after, deducted_after, expired_after, "
                    "revoked_after, written_off_after, reissued_after FROM postings ORDER BY seq, idx"
                )
            ).all()
            waited = conn.execute(text("SELECT id FROM tickets WHERE waited ORDER BY id")).scalars().all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in found] == [
        ("le_4", 0, 1, 100, 0, 0, 0, 0, 0, 0),
        ("le_3", 0, 2, 20, 0, 0, 0, 0, 0, 0),
        ("le_2", 0, 3, 70, 30, 0, 0, 0, 0, 0),
        ("le_2", 1, 3, 50, 50, 0, 0, 0, 0, 0),
        ("le_1", 0, 4, 50, 10, 40, 0, 0, 0, 0),
    ]
    assert waited == ["tkt_waited", "tkt_waits"]


def test_0013_backfills_the_span_classes_of_closed_tickets_and_empty_lots(empty_url):
    """Tickets closed before 0013 get the class of how long they stayed in progress (an hour
    exactly is class 0, a microsecond more class 1; a span longer than 2**15 hours the last
    class); tickets in progress keep none. A lot holding no points emptied at its newest posting's
    entry that left it none (not a later move among the other states, nor the newest entry by id),
    with the class of how long it held points; a lot holding points keeps none."""
    upgrade(empty_url, "0012")
    engine = create_engine(Settings(database_url=empty_url), connections=1)
    opened = "2026-01-15 12:00:00.000000"
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO accounts (id, metadata, available, held, deducted, last_seq, created_at, updated_at) "
                    "VALUES ('acme', '{}', 0, 0, 0, 0, :now, :now)"
                ),
                {"now": opened},
            )
            ticket = (
                "INSERT INTO tickets (id, account_id, external_ref, category_code, pricing, estimated_points, "
                "captured_points, charged_points, deducted_points, returned_points, forfeited_points, status, "
                "version, opened_at, closed_at, changed_at) VALUES (:id, 'acme', :id, 'consultation', '{}', 10, "
                ":captured, 0, 0, 0, 0, :status, 1, :opened, :closed, :opened)"
            )
            for id_, status, closed in (
                ("tkt_open", "open", None),
                ("tkt_hour", "refunded", "2026-01-15 13:00:00.000000"),
                ("tkt_hour_and_a_bit", "refunded", "2026-01-15 13:00:00.000001"),
                ("tkt_day", "resolved", "2026-01-16 12:00:00.000000"),
                ("tkt_decade", "resolved", "2036-01-15 12:00:00.000000"),
            ):
                captured = 10 if closed is None else 0
                conn.execute(
                    text(ticket),
                    {"id": id_, "status": status, "captured": captured, "opened": opened, "closed": closed},
                )
            conn.execute(
                text(
                    "INSERT INTO lots (id, account_id, source, points, available, held, deducted, expired, revoked, "
                    "written_off, reissued, granted_at, created_at, unit_price, unit_currency) VALUES "
                    "(:id, 'acme', 'adjustment', 10, :available, 0, :deducted, 0, 0, 0, 0, :now, :now, "
                    "'0.0000000000', 'USD')"
                ),
                [
                    {"id": "lot_holds", "available": 10, "deducted": 0, "now": opened},
                    {"id": "lot_empty", "available": 0, "deducted": 10, "now": opened},
                ],
            )
            entries = [  # ids sort against seq: the newest posting is found by seq
                ("le_3", 1, "adjustment", opened),
                ("le_2", 2, "adjustment", opened),
                ("le_1", 3, "deduction", "2026-01-18 12:00:00.000000"),  # three days on: class 7
                ("le_0", 4, "return", "2027-06-01 12:00:00.000000"),  # reissued later: it held none before
            ]
            conn.execute(
                text(
                    "INSERT INTO ledger_entries (id, account_id, seq, kind, available_delta, held_delta, "
                    "deducted_delta, available_after, held_after, deducted_after, actor, created_at, effective_at) "
                    "VALUES (:id, 'acme', :seq, :kind, 1, 0, 0, 0, 0, 0, 'test', :at, :at)"
                ),
                [{"id": i, "seq": seq, "kind": kind, "at": at} for i, seq, kind, at in entries],
            )
            conn.execute(
                text(
                    "INSERT INTO postings (entry_id, idx, lot_id, from_state, to_state, points, seq, available_after, "
                    "held_after, deducted_after, expired_after, revoked_after, written_off_after, reissued_after) "
                    "VALUES (:e, 0, :lot, :f, :to, 10, :seq, :a, 0, :d, 0, 0, 0, :r)"
                ),
                [
                    {"e": "le_3", "lot": "lot_holds", "f": None, "to": "available", "seq": 1, "a": 10, "d": 0, "r": 0},
                    {"e": "le_2", "lot": "lot_empty", "f": None, "to": "available", "seq": 2, "a": 10, "d": 0, "r": 0},
                    {
                        "e": "le_1",
                        "lot": "lot_empty",
                        "f": "available",
                        "to": "deducted",
                        "seq": 3,
                        "a": 0,
                        "d": 10,
                        "r": 0,
                    },
                    {
                        "e": "le_0",
                        "lot": "lot_empty",
                        "f": "deducted",
                        "to": "reissued",
                        "seq": 4,
                        "a": 0,
                        "d": 0,
                        "r": 10,
                    },
                ],
            )
    finally:
        engine.dispose()
    upgrade(empty_url)
    engine = create_engine(Settings(database_url=empty_url), connections=1)
    try:
        with engine.connect() as conn:
            found = {row[0]: row[1] for row in conn.execute(text("SELECT id, span_class FROM tickets"))}
            lots = {
                row[0]: (row[1], row[2]) for row in conn.execute(text("SELECT id, emptied_at, emptied_class FROM lots"))
            }
    finally:
        engine.dispose()
    assert lots["lot_holds"] == (None, None)
    assert lots["lot_empty"][1] == 7
    assert str(lots["lot_empty"][0]).startswith("2026-01-18 12:00:00")
    assert found == {"tkt_open": None, "tkt_hour": 0, "tkt_hour_and_a_bit": 1, "tkt_day": 5, "tkt_decade": 16}


def test_0014_links_the_credits_of_accepted_disputes(empty_url):
    """Before 0014 a dispute's credit said `dispute <id>` in its reason. Each accepted dispute's
    `return` entry gets reason `dispute` and its `dispute_id`, and its ticket's `credited` history
    row reason `dispute` and the id as note; the dispute's own rows, a credit whose typed reason
    names no accepted dispute (or another ticket's), and other entries are left as they were. The
    downgrade puts every reason and note back."""
    upgrade(empty_url, "0013")
    engine = create_engine(Settings(database_url=empty_url), connections=1)
    now = "2026-01-15 12:00:00"
    entries = [  # id, ticket, kind, reason
        ("le_1", None, "adjustment", None),
        ("le_2", "tkt_a", "return", "dispute dsp_a1"),
        ("le_3", "tkt_a", "return", "dispute dsp_a2"),
        ("le_4", "tkt_a", "return", "goodwill"),
        ("le_5", "tkt_a", "return", "dispute dsp_open"),  # typed by hand: that dispute was not accepted
        ("le_6", "tkt_b", "return", "dispute dsp_a1"),  # typed by hand on another ticket
        ("le_7", "tkt_a", "revocation", "returned to a revoked lot"),
    ]
    history = [  # ticket, version, action, reason, note
        ("tkt_a", 1, "opened", None, None),
        ("tkt_a", 2, "resolved", None, None),
        ("tkt_a", 3, "disputed", "dispute dsp_a1", "too dear"),
        ("tkt_a", 4, "credited", "dispute dsp_a1", None),
        ("tkt_a", 5, "dispute_accepted", "dispute dsp_a1", "agreed"),
        ("tkt_a", 6, "disputed", "dispute dsp_a2", "still too dear"),
        ("tkt_a", 7, "credited", "dispute dsp_a2", None),
        ("tkt_a", 8, "dispute_accepted", "dispute dsp_a2", "agreed again"),
        ("tkt_a", 9, "credited", "goodwill", None),
        ("tkt_a", 10, "disputed", "dispute dsp_open", "and more"),
        ("tkt_a", 11, "credited", "dispute dsp_open", None),
        ("tkt_b", 1, "credited", "dispute dsp_a1", None),
    ]
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO accounts (id, metadata, available, held, deducted, last_seq, created_at, updated_at) "
                    "VALUES ('acme', '{}', 0, 0, 0, 7, :now, :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO tickets (id, account_id, external_ref, category_code, pricing, estimated_points, "
                    "captured_points, charged_points, deducted_points, returned_points, forfeited_points, status, "
                    "version, opened_at, closed_at, changed_at, span_class) VALUES (:id, 'acme', :id, "
                    "'consultation', '{}', 50, 0, 50, 50, 0, 0, 'resolved', 11, :now, :now, :now, 0)"
                ),
                [{"id": "tkt_a", "now": now}, {"id": "tkt_b", "now": now}],
            )
            conn.execute(
                text(
                    "INSERT INTO disputes (id, ticket_id, account_id, status, points_credited, reason, opened_at, "
                    "opened_by, closed_at, closed_by) VALUES (:id, 'tkt_a', 'acme', :status, :credited, 'too dear', "
                    ":now, 'test', :closed, :by)"
                ),
                [
                    {"id": "dsp_a1", "status": "accepted", "credited": 1, "now": now, "closed": now, "by": "test"},
                    {"id": "dsp_a2", "status": "accepted", "credited": 1, "now": now, "closed": now, "by": "test"},
                    {"id": "dsp_open", "status": "open", "credited": None, "now": now, "closed": None, "by": None},
                ],
            )
            conn.execute(
                text(
                    "INSERT INTO ledger_entries (id, account_id, seq, kind, available_delta, held_delta, "
                    "deducted_delta, available_after, held_after, deducted_after, ticket_id, reason, actor, "
                    "created_at, effective_at) VALUES (:id, 'acme', :seq, :kind, 1, 0, 0, 0, 0, 0, :ticket, :reason, "
                    "'test', :now, :now)"
                ),
                [
                    {"id": i, "seq": seq, "kind": kind, "ticket": ticket, "reason": reason, "now": now}
                    for seq, (i, ticket, kind, reason) in enumerate(entries, start=1)
                ],
            )
            conn.execute(
                text(
                    "INSERT INTO ticket_events (ticket_id, version, action, points, reason, note, actor, at) "
                    "VALUES (:ticket, :version, :action, 1, :reason, :note, 'test', :now)"
                ),
                [
                    {"ticket": t, "version": v, "action": a, "reason": r, "note": n, "now": now}
                    for t, v, a, r, n in history
                ],
            )
    finally:
        engine.dispose()

    def _columns(conn: Any) -> set[str]:
        return {c["name"] for c in inspect(conn).get_columns("ledger_entries")}

    def found() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        engine = create_engine(Settings(database_url=empty_url), connections=1)
        try:
            with engine.connect() as conn:
                columns = "id, reason, dispute_id" if "dispute_id" in _columns(conn) else "id, reason"
                rows = conn.execute(text(f"SELECT {columns} FROM ledger_entries ORDER BY id")).all()
                steps = conn.execute(
                    text("SELECT ticket_id, version, reason, note FROM ticket_events ORDER BY ticket_id, version")
                ).all()
                return [tuple(r) for r in rows], [tuple(r) for r in steps]
        finally:
            engine.dispose()

    upgrade(empty_url)
    linked, steps = found()
    assert linked == [
        ("le_1", None, None),
        ("le_2", "dispute", "dsp_a1"),
        ("le_3", "dispute", "dsp_a2"),
        ("le_4", "goodwill", None),
        ("le_5", "dispute dsp_open", None),
        ("le_6", "dispute dsp_a1", None),
        ("le_7", "returned to a revoked lot", None),
    ]
    changed = {("tkt_a", 4): ("dispute", "dsp_a1"), ("tkt_a", 7): ("dispute", "dsp_a2")}
    assert steps == [(t, v, *changed.get((t, v), (r, n))) for t, v, _, r, n in history]

    engine = create_engine(Settings(database_url=empty_url), connections=1)
    try:  # the link holds only for a dispute's credit
        with engine.connect() as conn, pytest.raises(IntegrityError):
            conn.execute(text("UPDATE ledger_entries SET dispute_id = 'dsp_a1' WHERE id = 'le_4'"))
    finally:
        engine.dispose()

    downgrade(empty_url, "0013")
    restored, steps = found()
    assert restored == [(i, reason) for i, _, _, reason in entries]
    assert steps == [(t, v, r, n) for t, v, _, r, n in history]
