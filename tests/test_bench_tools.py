"""The in-process benchmarks still run: each on a few requests, on a new SQLite file.

They are not part of `make test`'s figures (docs/performance.md says how to read them), but
they import the service's internals, which move: `bench/writer_cost.py --profile` wrapped an
older signature of `Database._commit_batch` and failed its first batch, unnoticed until a
session needed it. A run here only says that each tool works from end to end, and prints the
table it promises.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

TOOLS = [
    pytest.param(["request_cost.py", "-n", "3", "--rounds", "1"], "| healthz |", id="request_cost"),
    pytest.param(
        ["writer_cost.py", "--accounts", "8", "--batch", "4", "--groups", "2", "--rounds", "1", "--profile"],
        "Ordered by: internal time",
        id="writer_cost-profile",
    ),
    pytest.param(
        ["writer_cost.py", "--accounts", "8", "--batch", "4", "--groups", "2", "--rounds", "1", "--wal-pages", "2"],
        "pages",
        id="writer_cost-wal-pages",
    ),
    pytest.param(["statement_cost.py", "-n", "20"], "built once", id="statement_cost"),
]


@pytest.mark.parametrize(("argv", "printed"), TOOLS)
def test_the_tool_runs_and_prints_its_table(argv: list[str], printed: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / argv[0]), *argv[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert printed in done.stdout, done.stdout[-2000:]
