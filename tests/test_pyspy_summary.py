"""How bench/pyspy_summary.py reads a py-spy profile (`record --gil --threads --format raw`).

docs/performance.md quotes its tables, among them the writers' own: how much of the time a writer
holds the interpreter is SQLAlchemy's execution layer, the driver's Python or the service's.
"""

from __future__ import annotations

from types import ModuleType

import pytest

from support.scripts import load_script

SITE = "/venv/lib/python3.11/site-packages"

# Three writer samples: the service's flush (2) and SQLAlchemy inside it (1), then one of the
# driver's Python; four of the event loop, in uvicorn.
PROFILE = "\n".join(
    [
        f"thread (3837): points-writer-0;run (threading.py:982);flush ({SITE}/points_service/services/flush.py:80) 2",
        f"thread (3837): points-writer-0;flush ({SITE}/points_service/services/flush.py:78);"
        f"Connection._execute_context ({SITE}/sqlalchemy/engine/base.py:1800) 1",
        f"thread (3837): points-writer-0;load ({SITE}/points_service/services/load.py:184);"
        f"Cursor.execute ({SITE}/psycopg/cursor.py:97) 1",
        f"thread (3801): MainThread;run ({SITE}/uvicorn/server.py:70) 4",
    ]
)


@pytest.fixture(scope="module")
def summary() -> ModuleType:
    return load_script("bench/pyspy_summary.py", "bench_pyspy_summary")


def table(text: str, title: str) -> dict[str, str]:
    """A table of the summary, as {what: share}."""
    lines = text.split(f"### {title}\n", 1)[1].strip("\n").split("\n\n", 1)[0].splitlines()
    rows = [line.strip("|").split("|") for line in lines[2:]]
    return {what.strip().strip("`"): share.strip() for share, what in rows}


def test_the_writers_self_time_is_in_shares_of_the_writers_samples(summary: ModuleType) -> None:
    text = summary.summarise(PROFILE, "a made-up profile")
    writers = table(text, "Self time in the writer threads, by component (shares of the writers' samples)")
    assert writers == {"points_service.services.flush": "50.0 %", "SQLAlchemy": "25.0 %", "psycopg": "25.0 %"}


def test_the_whole_process_self_time_counts_every_thread(summary: ModuleType) -> None:
    text = summary.summarise(PROFILE, "a made-up profile")
    everyone = table(text, "Self time, by component (the frame that was running)")
    assert everyone["uvicorn"] == "50.0 %"
    assert everyone["SQLAlchemy"] == "12.5 %"
    assert table(text, "By thread") == {
        "MainThread (event loop)": "50.0 %",
        "points-writer-N (writer threads)": "50.0 %",
    }
