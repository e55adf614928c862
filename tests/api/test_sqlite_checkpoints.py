"""SQLite's automatic WAL checkpoint, set by `POINTS_SQLITE_WAL_AUTOCHECKPOINT`.

Every COMMIT that leaves more WAL pages than the setting also copies the WAL back into the database
file, and the next transaction starts the WAL over. A larger setting does that less often (fewer
copies of the same page), at the price of a larger WAL and of longer COMMITs when it happens
(docs/performance.md, "How often SQLite copies the WAL back").
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from points_service.services.accounts import PutAccount
from points_service.services.context import Context
from points_service.services.grants import AdjustPoints
from points_service.services.uow import Database
from points_service.settings import Settings

from conftest import FrozenClock

CTX = Context(actor="test", role="admin", clock=FrozenClock(), return_grace=timedelta(days=30))
WRITES = 80


def _settings(path: Path, pages: int) -> Settings:
    return Settings(database_url=f"sqlite:///{path}", sqlite_synchronous="NORMAL", sqlite_wal_autocheckpoint=pages)


def _wal_after_writes(tmp_path: Path, template: Path, pages: int) -> tuple[int, int]:
    """The connection's setting and the WAL's size in bytes after `WRITES` commits, one at a time."""
    path = tmp_path / f"points-{pages}.db"
    shutil.copy(template, path)
    database = Database.from_settings(_settings(path, pages))

    async def run() -> tuple[int, int]:
        await database.write(PutAccount(ctx=CTX, account_id="acme", display_name="Acme"))
        for _ in range(WRITES):
            await database.write(AdjustPoints(ctx=CTX, account_id="acme", points=5, reason="test"))
        setting = await database.read(lambda conn: conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())
        return setting, Path(f"{path}-wal").stat().st_size  # before closing: the last connection removes it

    try:
        return asyncio.run(run())
    finally:
        asyncio.run(database.dispose())


def test_the_default_is_sqlites_own() -> None:
    assert Settings.model_fields["sqlite_wal_autocheckpoint"].default == 1000


@pytest.mark.parametrize("pages", [0, -1, 1_000_001])
def test_a_setting_outside_1_to_1_000_000_pages_is_refused(pages: int) -> None:
    """0 or less would turn SQLite's automatic checkpoint off, and nothing else copies the WAL back;
    above a million pages (4 GB) is no longer a checkpoint interval but a mistake."""
    with pytest.raises(ValidationError, match="sqlite_wal_autocheckpoint"):
        Settings(sqlite_wal_autocheckpoint=pages)


def test_the_setting_decides_how_far_the_wal_grows(tmp_path: Path, template_db: Path) -> None:
    """With a small setting the WAL is copied back and started over again and again; with a large
    one it keeps every commit's pages."""
    small_setting, small_wal = _wal_after_writes(tmp_path, template_db, 8)
    large_setting, large_wal = _wal_after_writes(tmp_path, template_db, 100_000)
    assert (small_setting, large_setting) == (8, 100_000)
    page = 4096
    assert large_wal > WRITES * 4 * page  # each commit wrote at least its account, entry, posting and lot pages
    assert small_wal < large_wal / 4
