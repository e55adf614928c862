"""How bench/run.py reads wrk and the machine.

How it tells a run the machine paused from one the service slowed:

wrk stops by the wall clock, at its first response or timeout check (every 2 s) after the end
time: a 10 s run lasts 10.0–10.1 s, and at most 12 s if the server stops answering. The run at
`82154e9` (bench/results at `5c66dd5`, PostgreSQL 1 worker, open_spread) lasted 18.86 s for a
normal run's 12,238 requests, with every connection's request timed out once: the virtual machine
had been paused (docs/performance.md, "`make bench` at `82154e9`"). Its figures are the second
sample here.

What the disk's sync costs, measured where SQLite's files go: the results said for a long time that
a COMMIT waits 4–5 ms for its fsync, where this disk's fdatasync takes 0.1–0.2 ms
(docs/performance.md, "SQLite's COMMIT is not its fsync").
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from support.scripts import load_script

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("bench/run.py", "bench_run")


def wrk_output(requests: int, runtime: str, rps: str, timeouts: int = 0) -> str:
    socket_errors = f"  Socket errors: connect 0, read 0, write 0, timeout {timeouts}\n" if timeouts else ""
    return (
        "Running 10s test @ http://127.0.0.1:40000\n"
        "  2 threads and 32 connections\n"
        "  Thread Stats   Avg      Stdev     Max   +/- Stdev\n"
        "    Latency    25.80ms    3.10ms  40.12ms   75.00%\n"
        "    Req/Sec   620.00     50.00   700.00     70.00%\n"
        "  Latency Distribution\n"
        "     50%   25.25ms\n"
        "     75%   27.00ms\n"
        "     90%   29.00ms\n"
        "     99%   37.42ms\n"
        f"  {requests} requests in {runtime}, 5.20MB read\n"
        f"{socket_errors}"
        f"Requests/sec:    {rps}\n"
        "Transfer/sec:    282.00KB\n"
    )


def test_a_run_that_lasted_as_long_as_it_was_told_is_not_a_pause(bench: ModuleType) -> None:
    result = bench.parse_wrk(wrk_output(12400, "10.03s", "1236.29"), 0.3)
    assert (result.requests, result.runtime_s, result.rps) == (12400, 10.03, 1236.29)
    assert not bench.overran(result.runtime_s, 10.0)


def test_a_run_wrk_could_not_end_on_time_is_a_pause(bench: ModuleType) -> None:
    result = bench.parse_wrk(wrk_output(12238, "18.86s", "648.80", timeouts=32), 0.3)
    assert (result.requests, result.runtime_s, result.socket_errors) == (12238, 18.86, {"timeout": 32})
    assert bench.overran(result.runtime_s, 10.0)


@pytest.mark.parametrize(
    ("runtime", "duration", "paused"),
    [
        (12.4, 10.0, False),  # a server that stopped answering: wrk's next check ends it, 2 s on
        (12.6, 10.0, True),
        (5.4, 3.0, False),  # the same for any length of run
        (5.6, 3.0, True),
        (62.4, 60.0, False),
        (62.6, 60.0, True),
    ],
)
def test_the_slack_is_wrk_s_timeout_check_and_a_half_second(
    bench: ModuleType, runtime: float, duration: float, paused: bool
) -> None:
    assert bench.overran(runtime, duration) is paused


def test_wrk_s_durations_in_minutes_and_milliseconds_are_read(bench: ModuleType) -> None:
    assert bench.parse_wrk(wrk_output(100, "1.00m", "1.67"), 0.0).runtime_s == 60.0
    assert bench.parse_wrk(wrk_output(1, "900.00ms", "1.11"), 0.0).runtime_s == 0.9


def test_the_disk_s_sync_is_measured_in_the_directory_given_and_leaves_nothing_there(
    bench: ModuleType, tmp_path: Path
) -> None:
    sync = bench.disk_sync_ms(tmp_path, rounds=10)
    assert set(sync) == {"p50", "p90"}
    assert 0 <= sync["p50"] <= sync["p90"] < 1000
    assert list(tmp_path.iterdir()) == []


def test_the_results_say_what_the_disk_s_sync_costs(bench: ModuleType) -> None:
    machine = json.loads((ROOT / "bench" / "results" / "latest.json").read_text())["machine"]
    machine["disk_sync_ms"] = {"p50": 0.136, "p90": 0.183}
    header = bench.markdown(machine, [], [])
    assert "its disk's fdatasync after a 4 KiB write: 0.136 ms median, 0.183 ms p90)" in header
    del machine["disk_sync_ms"]  # results made before it was measured
    assert "fdatasync" not in bench.markdown(machine, [], [])
