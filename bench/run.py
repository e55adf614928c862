#!/usr/bin/env python3
"""The load benchmark behind `make bench` (docs/performance.md says how to read it).

First it measures what the disk's sync costs where the SQLite files go (`disk_sync_ms`, in the
results' header). Then, for each configuration — SQLite with one uvicorn worker, PostgreSQL with
one and with two — it makes a fresh database, migrates it, creates an admin and a helpdesk key,
seeds 10,000 accounts (plus one hot account) through the service's own commands, starts
`points-service serve` with the ceiling routes on, and drives every scenario with wrk
(bench/<scenario>.lua): a warm-up that is thrown away, on PostgreSQL an `ANALYZE`
(`Bench.analyze`), then the measured run, which is marked if the machine paused over its end
(`overran`). `points-service verify` runs after each phase and must be clean. The table goes to
stdout and bench/results/latest.md, the figures to latest.json.

`ceiling_bare` is the one scenario that does not hit the service: right before it, a second
server starts on a port of its own — a FastAPI app with only the validated POST route of
`ceiling_post` and no middleware (bench/bare_app.py), served by uvicorn with the same settings as
`points-service serve` (bench/serve_bare.py: factory, the configuration's workers, no access log,
no logging configuration, log level warning) — and bench/ceiling_post.lua drives it with the same
body; the server stops right after the phase, and the CPU columns of its row describe it.
`ceiling_post ÷ ceiling_bare` (in the notes under the table, and `ceiling_post_of_bare` per
configuration in latest.json's `configs`) is the share of a bare FastAPI app's throughput that
the service's middleware, route class and handlers leave.

Run it with the project's virtualenv Python; PostgreSQL configurations need
POINTS_TEST_DATABASE_URL (scripts/with_postgres.py sets it), and a fresh database is created on
that server for each configuration and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
BIN = Path(sys.executable).parent
POINTS = str(BIN / "points-service")
# What scripts/with_postgres.py exports for the tests (POINTS_TEST_DATABASE_URL, POINTS_TEST_PG_RESTART):
# not settings of the service, so neither passed to it nor reported as overrides.
TEST_HARNESS = "POINTS_TEST_"

SCENARIOS = (
    "ceiling_get",
    "ceiling_post",
    "ceiling_bare",
    "open_spread",
    "open_hot",
    "adjust",
    "resolve",
    "balance",
    "statement",
    "statement_as_of",
    "page_account",
)
CEILING_OF = {
    "ceiling_get": "ceiling_get",
    "ceiling_post": "ceiling_post",
    "ceiling_bare": "ceiling_bare",
    "open_spread": "ceiling_post",
    "open_hot": "ceiling_post",
    "adjust": "ceiling_post",
    "resolve": "ceiling_post",
    "balance": "ceiling_get",
    "statement": "ceiling_get",
    "statement_as_of": "ceiling_get",
    "page_account": "ceiling_get",
}
NEEDS_TICKETS = {"adjust", "resolve"}
BARE = "ceiling_bare"  # served by bench/serve_bare.py, not by the service
SCRIPT_OF = {BARE: "ceiling_post"}  # bench/<script>.lua, when not the scenario's own name
HOT = "hot"
# A wrk run that lasts longer than it was told to. wrk (4.1) goes by the wall clock: each of its
# threads stops at its first response, or its first timeout check (every 2 s), after the end time.
# So a run lasts its duration plus a few ms while the server answers, and at most 2 s more when the
# server stops answering. Anything longer means that the wall clock jumped over a time when wrk did
# not run: the machine itself was paused (a virtual machine, by its host). Such a run made a
# normal count of requests, every connection's request in flight counts as timed out, and wrk
# divides the requests by the longer time. It is reported (a note, and its row marked), as its
# req/s and timeouts are the pause's.
WRK_CHECK_S = 2.0  # wrk's TIMEOUT_INTERVAL_MS
OVERRUN_S = WRK_CHECK_S + 0.5


def overran(runtime_s: float, duration: float) -> bool:
    """Whether a wrk run told to last `duration` seconds lasted longer than a server could make it."""
    return runtime_s > duration + OVERRUN_S


QUIET_CORES = 0.3  # --wait-quiet: the machine counts as quiet below this many busy cores
PROFILE_HZ = 200
ACCOUNT_POINTS = 100_000
HOT_POINTS = 1_000_000_000
PACKAGES = (
    "points-service",
    "fastapi",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "pydantic",
    "pydantic-core",
    "sqlalchemy",
    "psycopg",
    "psycopg-binary",
    "alembic",
)


SCENARIO_HELP = """scenarios (default order):
  ceiling_get   GET /bench/ceiling: the service's ceiling for reads (no key, no database)
  ceiling_post  POST /bench/ceiling, a ticket-open body validated by TicketCreate and echoed:
                the service's ceiling for writes
  ceiling_bare  the same POST and body (ceiling_post.lua) against a second server started for the
                phase: bench/bare_app.py, a FastAPI app with only that route and no middleware,
                under the same uvicorn settings as `points-service serve` (bench/serve_bare.py);
                the report adds ceiling_post ÷ ceiling_bare per configuration
  open_spread   POST /v1/accounts/<random account>/tickets
  open_hot      POST /v1/accounts/hot/tickets
  adjust        POST /v1/tickets/<random open ticket>/adjust
  resolve       POST /v1/tickets/<ticket>/resolve, each ticket once
  balance       GET /v1/accounts/<random account>/balance
  statement     GET /v1/accounts/<random account>/statement
  statement_as_of  GET /v1/accounts/<random account>/statement?as_of=<the instant the phase began>: the
                statement rebuilt as of a past instant (its live twin: statement; the as-of reads at
                100,000 entries: `make bench-asof`)
  page_account  GET /ui/accounts/<random account>: the statement's page (HTML), its API twin the
                statement scenario, with a helpdesk session's cookie (signed in once per run)
"""


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def account_ids(count: int) -> list[str]:
    return [f"acct-{n:05d}" for n in range(1, count + 1)]


# --- CPU accounting from /proc ------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(path: str) -> list[str] | None:
    """The fields of a `/proc/…/stat` file after the command's name (which may hold spaces): the
    state first, then ppid, …, utime and stime at 11 and 12; None if it is gone."""
    try:
        raw = Path(path).read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and of its reaped children)."""
    fields = _stat_fields(f"/proc/{pid}/stat")
    if fields is None:
        return None
    ppid = int(fields[1])
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return ppid, (utime + stime + cutime + cstime) / CLK_TCK


def tree_cpu(root: int | None) -> float | None:
    """CPU seconds used so far by a process tree: each live process plus the children it reaped."""
    by_pid = tree_cpu_by_pid(root)
    return None if by_pid is None else sum(by_pid.values())


def tree_cpu_by_pid(root: int | None) -> dict[int, float] | None:
    """CPU seconds used so far by each live process of a tree (with the children it reaped)."""
    if root is None:
        return None
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _proc_stat(int(entry.name))
            if stat is not None:
                stats[int(entry.name)] = stat
    if root not in stats:
        return None
    members, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _) in stats.items():
            if ppid == parent and pid not in members:
                members.add(pid)
                frontier.append(pid)
    return {pid: stats[pid][1] for pid in members}


def thread_cpu(pid: int | None) -> dict[int, tuple[float, float]] | None:
    """(user, system) CPU seconds used so far by each thread of one process."""
    if pid is None:
        return None
    try:
        tids = [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return None
    found = {}
    for tid in tids:
        fields = _stat_fields(f"/proc/{pid}/task/{tid}/stat")
        if fields is not None:  # else the thread ended meanwhile
            found[tid] = (int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK)
    return found


THREAD_GROUPS = ("loop", "other")  # the main thread (the event loop), and all the others together


def threads_split(
    pid: int | None,
    before: dict[int, tuple[float, float]] | None,
    after: dict[int, tuple[float, float]] | None,
    seconds: float,
) -> dict[str, dict[str, float]] | None:
    """Cores used between two `thread_cpu` readings, user and system: by the process's main thread
    (the service's event loop) and by all its other threads together (the writer, the readers, the
    dispatcher). A thread born meanwhile counts from zero; one that ended is left out."""
    if pid is None or before is None or after is None or seconds <= 0:
        return None
    split = {name: {"user": 0.0, "system": 0.0} for name in THREAD_GROUPS}
    for tid, (user, system) in after.items():
        user0, system0 = before.get(tid, (0.0, 0.0))
        into = split["loop" if tid == pid else "other"]
        into["user"] += (user - user0) / seconds
        into["system"] += (system - system0) / seconds
    return split


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


def find_postmaster(port: int) -> int | None:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        # The postmaster: `…/bin/postgres -D … -p PORT …` (its backends rename themselves).
        if argv and argv[0].endswith(b"/postgres") and f" -p {port} ".encode() in b" ".join(argv) + b" ":
            return int(entry.name)
    return None


# --- wrk --------------------------------------------------------------------------------------

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unreadable wrk duration {text!r}")
    return float(match.group(1)) * UNIT_MS[match.group(2)]


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: dict[str, int]
    statuses: dict[str, int]
    error_samples: list[str]
    wrk_cpu_s: float
    runtime_s: float  # how long wrk says it ran ("N requests in 10.03s")
    output: str

    @property
    def errors(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())


def parse_wrk(output: str, wrk_cpu_s: float) -> WrkResult:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in ([\d.]+\w+),", output, re.MULTILINE)
    if not (rps and p50 and p99 and total):
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    socket_errors = (
        dict(zip(("connect", "read", "write", "timeout"), (int(x) for x in sock.groups()), strict=True)) if sock else {}
    )
    summary = re.search(r"^BENCH_SUMMARY (.*)$", output, re.MULTILINE)
    statuses = json.loads(summary.group(1))["statuses"] if summary else {}
    return WrkResult(
        rps=float(rps.group(1)),
        p50_ms=_duration_ms(p50.group(1)),
        p99_ms=_duration_ms(p99.group(1)),
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors={k: v for k, v in socket_errors.items() if v},
        statuses=statuses,
        error_samples=re.findall(r"^BENCH_ERROR (.*)$", output, re.MULTILINE)[:5],
        wrk_cpu_s=wrk_cpu_s,
        runtime_s=_duration_ms(total.group(2)) / 1000,
        output=output,
    )


def wrk_version() -> str:
    out = subprocess.run(["wrk", "-v"], check=False, capture_output=True, text=True)
    return (out.stdout + out.stderr).splitlines()[0].strip()


# --- one configuration ------------------------------------------------------------------------


@dataclass
class Config:
    db: str  # sqlite or postgresql
    workers: int

    @property
    def name(self) -> str:
        return f"{self.db}-{self.workers}w"


@dataclass
class Phase:
    scenario: str
    wrk: WrkResult
    seconds: float
    cpu_server: float | None
    cpu_db: float | None
    cpu_machine: float
    cpu_processes: list[float]
    verify_ok: bool
    verify_seconds: float
    verify_report: dict[str, Any] = field(default_factory=dict)
    mean_batch: float | None = None  # write commands per committed transaction during the run
    batch_ms: dict[str, float] | None = None  # per batch applied in one pass: ms in each step (PHASES)
    threads: dict[str, dict[str, float]] | None = None  # one worker: cores by thread (`threads_split`)


def wait_ready(process: subprocess.Popen[bytes], logfile: Path, ready: Callable[[], bool]) -> None:
    """Wait (60 s at most) until `ready()` holds, or fail if the process exits first."""
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}); see {logfile}")
        try:
            if ready():
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not become ready within 60 s; see {logfile}")
        time.sleep(0.2)


class Bench:
    def __init__(self, args: argparse.Namespace, config: Config, workdir: Path, pg_url: str | None) -> None:
        self.args = args
        self.config = config
        self.workdir = workdir
        self.pg_url = pg_url
        self.database_url = ""
        self.pg_database: str | None = None
        self.server: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.bare: subprocess.Popen[bytes] | None = None  # the ceiling_bare server, during its phase
        self.bare_port = 0
        self.keys: dict[str, str] = {}
        self.postmaster: int | None = None
        self.notes: list[str] = []
        self.seed_seconds = 0.0
        self.seed_transactions = 0
        self.seeded = False  # False when the database is a copy of another configuration's
        self.topped_up = 0
        self.quiet_waits = 0

    # environment and commands

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(TEST_HARNESS)}
        env.update(POINTS_DATABASE_URL=self.database_url, POINTS_LOG_LEVEL="WARNING", **extra)
        return env

    def cli(self, *argv: str) -> str:
        done = subprocess.run(
            [POINTS, *argv], env=self.env(), check=False, capture_output=True, text=True, cwd=self.workdir
        )
        if done.returncode != 0:
            raise RuntimeError(f"points-service {' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout.strip()

    # database

    def _pg(self, *statements: str) -> None:
        """Run statements on the server's maintenance database (POINTS_TEST_DATABASE_URL)."""
        assert self.pg_url is not None
        pg_admin(self.pg_url, *statements)

    def _pg_url(self, database: str) -> str:
        from sqlalchemy.engine import make_url

        assert self.pg_url is not None
        return make_url(self.pg_url).set(database=database).render_as_string(hide_password=False)

    async def _migrate_keys_seed(self) -> None:
        log(f"{self.config.name}: migrating, keys, seeding {self.args.accounts} accounts")
        self.cli("migrate")
        self.keys = {
            role: self.cli("keys", "create", "--role", role, "--name", f"bench-{role}")
            for role in ("admin", "helpdesk")
        }
        await self.seed()
        ok, _, report = self.verify()
        if not ok:
            raise RuntimeError(f"verify is not clean after seeding: {report}")
        log(
            f"{self.config.name}: seeded in {self.seed_seconds:.1f} s ({self.seed_transactions} transactions), "
            "verify clean"
        )

    async def create_database(self, shared: dict[str, Any]) -> None:
        """A fresh, migrated and seeded database for this configuration.

        SQLite: a new file. PostgreSQL: the first configuration migrates and seeds a template
        database on the server; every configuration gets its own copy of it (CREATE DATABASE …
        TEMPLATE), so each starts from the same fresh state without seeding twice.
        """
        if self.config.db == "sqlite":
            path = self.workdir / f"{self.config.name}.db"
            self.database_url = f"sqlite:///{path}"
            await self._migrate_keys_seed()
            return
        from sqlalchemy.engine import make_url

        assert self.pg_url is not None
        template = shared.get("pg_template")
        if template is None:
            name = f"points_bench_seed_{os.getpid()}"
            self._pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
            shared["pg_cleanup"] = name
            self.database_url = self._pg_url(name)
            await self._migrate_keys_seed()
            template = shared["pg_template"] = {
                "name": name,
                "keys": self.keys,
                "seconds": self.seed_seconds,
                "transactions": self.seed_transactions,
            }
        else:
            self.keys = template["keys"]
            self.seed_seconds = template["seconds"]
            self.seed_transactions = template["transactions"]
            self.notes.append("a copy of the database seeded for the first PostgreSQL configuration")
        self.pg_database = f"points_bench_{self.config.name.replace('-', '_')}_{os.getpid()}"
        self._pg(
            f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)',
            f'CREATE DATABASE "{self.pg_database}" TEMPLATE "{template["name"]}"',
        )
        self.database_url = self._pg_url(self.pg_database)
        self.postmaster = find_postmaster(make_url(self.pg_url).port or 5432)
        if self.postmaster is None:
            self.notes.append("the PostgreSQL server is not a process on this machine: its CPU is not measured")

    def analyze(self) -> None:
        """PostgreSQL: `ANALYZE` the database before a measured run, as autovacuum would have by then.

        The database is a fresh copy, and the tables a run reads most (tickets, their allocations
        and history) were empty when it was seeded: until autovacuum first analyzes them, a minute
        or so into the run, PostgreSQL plans with default guesses. Under them, the writer's load of
        16 tickets read every allocation, and their history every ticket event (a sequential scan:
        1.7–2.6 ms a batch for the tickets, up to 8.2 ms for the history, by `pg_stat_statements`
        in two runs). A database in service has its statistics; this gives the bench's the same
        (docs/performance.md, "Statistics before each measured run")."""
        if self.config.db == "postgresql" and self.args.analyze:
            pg_admin(self.database_url, "ANALYZE")

    async def drop_database(self) -> None:
        if self.pg_database is not None:
            self._pg(f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)')

    def _database(self) -> Any:
        """The harness's own database access (seeding, ticket lists, quiesce): a few threads, and
        write batches as large as --seed-batch, so that a seeding chunk takes few transactions."""
        from points_service.services.uow import Database
        from points_service.settings import Settings

        settings = Settings(
            database_url=self.database_url,
            readers=2,
            writers=2,
            write_batch_size=min(max(1, self.args.seed_batch), 1000),
            db_statement_timeout=120,  # a chunk of 500 commands on a busy machine takes a while
        )
        return Database.from_settings(settings)

    def _context(self, actor: str) -> Any:
        from points_service.domain.clock import SystemClock
        from points_service.services.context import Context
        from points_service.settings import Settings

        return Context(actor=actor, role="admin", clock=SystemClock(), return_grace=Settings().return_grace)

    async def seed(self) -> None:
        """10,000 accounts with points, and the hot account, through the service's commands.

        In-process, one command per account: `PutAccount` for a chunk of --seed-batch accounts, all
        queued at once (the writers take them in a few batches, one transaction each: group commit),
        then `AdjustPoints` for the same chunk, so every lot, ledger entry and counter is what the
        API would have written.
        """
        from points_service.services.accounts import PutAccount
        from points_service.services.grants import AdjustPoints

        started = time.perf_counter()
        db = self._database()
        ctx = self._context("bench-seed")
        try:
            ids = account_ids(self.args.accounts)
            size = self.args.seed_batch
            chunks = [(ids[start : start + size], ACCOUNT_POINTS) for start in range(0, len(ids), size)]
            for chunk, points in [*chunks, ([HOT], HOT_POINTS)]:
                # Two rounds: an account's grant is queued only once its creation has committed.
                await asyncio.gather(
                    *(db.write(PutAccount(ctx=ctx, account_id=a, display_name=f"Bench {a}")) for a in chunk)
                )
                await asyncio.gather(
                    *(db.write(AdjustPoints(ctx=ctx, account_id=a, points=points, reason="bench seed")) for a in chunk)
                )
        finally:
            await db.dispose()
        self.seed_seconds = time.perf_counter() - started
        self.seed_transactions = db.batches
        self.seeded = True

    async def open_tickets(self) -> list[str]:
        """Ids of the open tickets on the spread accounts (not the hot one), in random order."""
        from sqlalchemy import select

        from points_service.db import schema

        tickets = schema.tickets
        db = self._database()
        try:
            rows = await db.read_one(
                select(tickets.c.id).where(tickets.c.status == "open", tickets.c.account_id != HOT)
            )
        finally:
            await db.dispose()
        ids = [row[0] for row in rows]
        random.shuffle(ids)
        return ids

    async def top_up_tickets(self, wanted: int) -> int:
        """Open tickets in-process (`OpenTicket`) until `wanted` are open on spread accounts."""
        from points_service.services.tickets import OpenTicket

        have = len(await self.open_tickets())
        missing = wanted - have
        if missing <= 0:
            return 0
        db = self._database()
        ctx = self._context("bench-seed")
        ids = account_ids(self.args.accounts)
        tag = f"topup-{int(time.time() * 1000)}"
        refs = [(random.choice(ids), f"{tag}-{n}") for n in range(missing)]
        try:
            for start in range(0, len(refs), self.args.seed_batch):
                await asyncio.gather(
                    *(
                        db.write(OpenTicket(ctx=ctx, account_id=account_id, external_ref=ref, category="consultation"))
                        for account_id, ref in refs[start : start + self.args.seed_batch]
                    )
                )
        finally:
            await db.dispose()
        return missing

    # server

    def _spawn(self, argv: list[str], name: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int, Path]:
        """A server process in a session of its own (so that its workers can be killed with it),
        listening on a free loopback port: (process, port, log file)."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        path = self.workdir / f"{self.config.name}-{name}.log"
        with open(path, "wb") as logfile:
            process = subprocess.Popen(
                [*argv, "--host", "127.0.0.1", "--port", str(port), "--workers", str(self.config.workers)],
                env=env,
                cwd=self.workdir,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return process, port, path

    def start_server(self) -> None:
        self.server, self.port, logfile = self._spawn([POINTS, "serve"], "server", self.env(POINTS_BENCH_ROUTES="true"))
        with httpx.Client(base_url=self.base_url, timeout=2) as client:
            wait_ready(
                self.server,
                logfile,
                lambda: client.get("/readyz").status_code == 200 and client.get("/bench/ceiling").status_code == 200,
            )
            # One request of each kind before measuring: the keys work, the seed is there.
            helpdesk = {"Authorization": f"Bearer {self.keys['helpdesk']}"}
            admin = {"Authorization": f"Bearer {self.keys['admin']}"}
            checks = [
                client.get("/v1/accounts/acct-00001/balance", headers=helpdesk),
                client.get(f"/v1/accounts/{HOT}/balance", headers=helpdesk),
                client.get("/v1/admin/verify", params={"account_id": HOT}, headers=admin),
            ]
            for response in checks:
                if response.status_code != 200:
                    raise RuntimeError(
                        f"pre-flight {response.request.url} answered {response.status_code}: {response.text}"
                    )
            if checks[0].json()["available"] != ACCOUNT_POINTS or not checks[2].json()["ok"]:
                raise RuntimeError(f"pre-flight: unexpected seed {checks[0].json()} {checks[2].json()}")

    def start_bare(self) -> None:
        """The ceiling_bare server (bench/serve_bare.py): the bare FastAPI app, same uvicorn settings."""
        self.bare, self.bare_port, logfile = self._spawn(
            [sys.executable, str(BENCH / "serve_bare.py")], "bare", self.env()
        )
        # every field the echo carries (its defaults too), so the answer must equal what was sent
        body = {
            "external_ref": "bench-bare-ready",
            "category": "consultation",
            "subject": "bench",
            "when_insufficient": "reject",
        }
        with httpx.Client(base_url=self.bare_url, timeout=2) as client:

            def ready() -> bool:
                response = client.post("/bench/ceiling", json=body)
                if response.status_code == 200 and response.json() != body:
                    raise RuntimeError(f"the bare server answered {response.text}, not the body it was sent")
                return response.status_code == 200

            wait_ready(self.bare, logfile, ready)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def bare_url(self) -> str:
        return f"http://127.0.0.1:{self.bare_port}"

    @staticmethod
    def _stop(process: subprocess.Popen[bytes] | None) -> None:
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # our own session: the server and its workers
            process.wait()

    def stop_server(self) -> None:
        self._stop(self.server)

    def stop_bare(self) -> None:
        self._stop(self.bare)
        self.bare = None

    # phases

    def run_wrk(self, scenario: str, seconds: float, tag: str, tickets: Path | None, base_url: str) -> WrkResult:
        env = {
            **os.environ,
            "BENCH_KEY": self.keys["helpdesk"],
            "BENCH_ACCOUNTS": str(self.args.accounts),
            "BENCH_HOT": HOT,
            "BENCH_RUN": tag,
            "BENCH_THREADS": str(self.args.threads),
            "BENCH_LUA_DIR": str(BENCH),
        }
        if tickets is not None:
            env["BENCH_TICKETS"] = str(tickets)
        if scenario == "statement_as_of":  # a past instant, after the seeding: every account existed
            env["BENCH_AS_OF"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if scenario == "page_account":
            env["BENCH_COOKIE"] = sign_in(base_url, self.keys["helpdesk"])
        argv = [
            "wrk",
            f"-t{self.args.threads}",
            f"-c{self.args.connections}",
            f"-d{seconds:g}s",
            "--latency",
            "-s",
            str(BENCH / f"{SCRIPT_OF.get(scenario, scenario)}.lua"),
            base_url,
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(argv, env=env, check=False, capture_output=True, text=True, cwd=ROOT)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}\n{done.stdout}")
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        return parse_wrk(done.stdout + done.stderr, cpu)

    async def quiesce(self, timeout: float = 30.0) -> None:
        """Wait until the requests wrk left in flight are done: no new ledger entry or ticket event.

        wrk stops at its deadline with up to one request per connection still queued in the
        server; were they still running, a resolve could take a ticket listed for the next run.
        """
        from sqlalchemy import func, select

        from points_service.db import schema

        # One statement, so one snapshot: both counts at the same instant.
        counts = select(
            select(func.count()).select_from(schema.ledger_entries).scalar_subquery(),
            select(func.count()).select_from(schema.ticket_events).scalar_subquery(),
        )
        db = self._database()
        try:
            deadline = time.monotonic() + timeout
            last = None
            while time.monotonic() < deadline:
                now = tuple((await db.read_one(counts))[0])
                if now == last:
                    return
                last = now
                await asyncio.sleep(1.0)
            self.notes.append("the server was still writing 30 s after a run ended")
        finally:
            await db.dispose()

    async def ticket_file(self, scenario: str, expected_rps: float, seconds: float) -> Path:
        """Write the open spread tickets to a file for adjust/resolve (resolve needs one per request)."""
        if scenario == "resolve":
            wanted = int(expected_rps * seconds * 1.5) + 500
            self.topped_up += await self.top_up_tickets(wanted)
        ids = await self.open_tickets()
        if not ids:
            await self.top_up_tickets(2_000)
            ids = await self.open_tickets()
        path = self.workdir / f"tickets-{scenario}.txt"
        path.write_text("\n".join(ids) + "\n")
        return path

    async def wait_quiet(self) -> None:
        """With --wait-quiet: before a measured run, wait (bounded) until the machine is idle.

        The service is idle between runs, so whatever keeps the CPUs busy now is someone else's
        work, which would take CPU from the run and lower its figures.
        """
        deadline = time.monotonic() + self.args.wait_quiet
        waited = False
        while time.monotonic() < deadline:
            busy0, total0 = machine_busy()
            await asyncio.sleep(1.0)
            busy1, total1 = machine_busy()
            cores = (busy1 - busy0) / (total1 - total0) * (os.cpu_count() or 1) if total1 > total0 else 0.0
            if cores < QUIET_CORES:
                break
            waited = True
        else:
            if self.args.wait_quiet > 0:
                self.notes.append(
                    f"the machine stayed busy through --wait-quiet {self.args.wait_quiet:g} s before a run"
                )
        if waited:
            self.quiet_waits += 1

    def start_profiler(
        self, scenario: str, server: subprocess.Popen[bytes] | None
    ) -> tuple[subprocess.Popen[bytes], Path] | None:
        """py-spy on the (first) worker during the measured run of --profile's scenario."""
        if scenario not in self.args.profile or server is None:
            return None
        worker = server.pid
        if self.config.workers > 1:  # uvicorn's supervisor: profile one of its workers
            children = Path(f"/proc/{worker}/task/{worker}/children").read_text().split()
            worker = int(children[-1])
        raw = self.workdir / f"profile-{self.config.name}-{scenario}.txt"
        spy = subprocess.Popen(
            [
                self.args.py_spy,
                "record",
                "--pid",
                str(worker),
                "--duration",
                f"{max(1, int(self.args.duration))}",
                "--rate",
                str(PROFILE_HZ),
                "--gil",
                "--nonblocking",
                "--threads",
                "--format",
                "raw",
                "--output",
                str(raw),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        return spy, raw

    def finish_profiler(self, scenario: str, spy: subprocess.Popen[bytes], raw: Path) -> None:
        from pyspy_summary import summarise

        _, err = spy.communicate(timeout=60)
        if spy.returncode != 0 or not raw.exists():
            self.notes.append(f"py-spy failed on {scenario}: {err.decode(errors='replace').strip()[-300:]}")
            return
        title = f"{self.config.db}, {self.config.workers} worker(s), {scenario}"
        out = self.args.out / f"profile-{self.config.name}-{scenario}.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(summarise(raw.read_text(), title, possible=PROFILE_HZ * max(1, int(self.args.duration))))
        shutil.copy(raw, out.with_suffix(".txt"))  # collapsed stacks, for flamegraph.pl or speedscope
        log(f"profile written to {out}")

    def verify(self) -> tuple[bool, float, dict[str, Any]]:
        started = time.perf_counter()
        done = subprocess.run(
            [POINTS, "verify"], env=self.env(), check=False, capture_output=True, text=True, cwd=self.workdir
        )
        seconds = time.perf_counter() - started
        try:
            report = json.loads(done.stdout)
        except ValueError:
            report = {"ok": False, "error": (done.stdout + done.stderr).strip()[-2000:]}
        if done.returncode != 0:
            report["disagreements"] = report.get("disagreements", [])[:5]
        else:
            report.pop("disagreements", None)
        return done.returncode == 0, seconds, report

    async def phase(self, scenario: str, expected_write_rps: float) -> Phase:
        """Warm-up, measured run, quiesce, verify; ceiling_bare runs against its own server."""
        if scenario == BARE:
            self.start_bare()
            try:
                return await self._phase(scenario, expected_write_rps, self.bare, self.bare_url)
            finally:
                self.stop_bare()
        return await self._phase(scenario, expected_write_rps, self.server, self.base_url)

    async def _phase(
        self, scenario: str, expected_write_rps: float, server: subprocess.Popen[bytes] | None, base_url: str
    ) -> Phase:
        stamp = f"{scenario[:4]}{int(time.time() * 1000) % 10**9}"
        tickets = None
        if self.args.warmup > 0:
            if scenario in NEEDS_TICKETS:
                tickets = await self.ticket_file(scenario, expected_write_rps, self.args.warmup)
            self.run_wrk(scenario, self.args.warmup, f"w{stamp}", tickets, base_url)
            await self.quiesce()
        if scenario in NEEDS_TICKETS:
            tickets = await self.ticket_file(scenario, expected_write_rps, self.args.duration)
        self.analyze()
        await self.wait_quiet()
        profiler = self.start_profiler(scenario, server)
        pid = server.pid if server else None
        # CPU is sampled right around wrk, so that every share has the same denominator.
        server0 = tree_cpu(pid)
        workers0 = tree_cpu_by_pid(pid) or {}
        # With one worker the server is the service's process: its threads are the loop and the rest.
        worker = pid if self.config.workers == 1 else None
        threads0 = thread_cpu(worker)
        db0 = tree_cpu(self.postmaster)
        batches0 = self.batch_figures(base_url)
        busy0, total0 = machine_busy()
        started = time.perf_counter()
        result = self.run_wrk(scenario, self.args.duration, f"m{stamp}", tickets, base_url)
        seconds = time.perf_counter() - started
        busy1, total1 = machine_busy()
        server1 = tree_cpu(pid)
        threads1 = thread_cpu(worker)
        workers1 = tree_cpu_by_pid(pid) or {}
        db1 = tree_cpu(self.postmaster)
        if profiler is not None:
            self.finish_profiler(scenario, *profiler)
        await self.quiesce()
        batches1 = self.batch_figures(base_url)
        ok, verify_seconds, report = self.verify()
        ncpu = os.cpu_count() or 1
        return Phase(
            scenario=scenario,
            wrk=result,
            seconds=seconds,
            cpu_server=None if server0 is None or server1 is None else (server1 - server0) / seconds,
            cpu_db=None if db0 is None or db1 is None else (db1 - db0) / seconds,
            cpu_processes=sorted(
                (round((workers1[pid] - workers0[pid]) / seconds, 2) for pid in workers1 if pid in workers0),
                reverse=True,
            ),
            cpu_machine=(busy1 - busy0) / (total1 - total0) * ncpu if total1 > total0 else 0.0,
            verify_ok=ok,
            verify_seconds=verify_seconds,
            verify_report=report,
            mean_batch=mean_batch(batches0, batches1),
            batch_ms=batch_ms(batches0, batches1),
            threads=threads_split(worker, threads0, threads1, seconds),
        )

    def batch_figures(self, base_url: str) -> dict[str, float] | None:
        """The server's write batch figures so far: `points_write_batch_size` (commands, batches)
        and `points_write_batch_seconds` (per step); only with one worker (each worker counts for
        itself, and a scrape reaches one of them)."""
        if self.config.workers != 1 or base_url != self.base_url:
            return None
        try:
            text = httpx.get(f"{base_url}/metrics", timeout=5).text
        except httpx.HTTPError:
            return None
        wanted = {"points_write_batch_size_sum", "points_write_batch_size_count"}
        wanted |= {phase_sample(what, phase) for phase in PHASES for what in ("sum", "count")}
        figures = dict.fromkeys(wanted, 0.0)
        for line in text.splitlines():
            name, _, value = line.rpartition(" ")
            if name in figures:
                figures[name] = float(value)
        return figures

    async def run(self, shared: dict[str, Any]) -> list[Phase]:
        try:
            await self.create_database(shared)
            self.start_server()
            phases: list[Phase] = []
            try:
                write_rps = 0.0  # the fastest write scenario so far: how many tickets resolve may take
                for scenario in self.args.scenarios:
                    phase = await self.phase(scenario, write_rps or 1_000.0)
                    if scenario in ("open_spread", "open_hot", "adjust"):
                        # by the requests made, not wrk's req/s, which a paused run (`overran`) lowers
                        write_rps = max(write_rps, phase.wrk.requests / self.args.duration)
                    phases.append(phase)
                    if overran(phase.wrk.runtime_s, self.args.duration):
                        self.notes.append(
                            f"{scenario}: wrk, told to run {self.args.duration:g} s, ran {phase.wrk.runtime_s:.1f} s "
                            f"({phase.wrk.requests} requests), longer than a server that stopped answering could "
                            "make it: the machine paused; this run's req/s and timeouts are the pause's, run it again"
                        )
                        log(f"{self.config.name}: {self.notes[-1]}")
                    for sample in phase.wrk.error_samples:
                        log(f"{self.config.name} {scenario}: error response {sample}")
                    cpu = format_cpu(phase)
                    log(
                        f"{self.config.name} {scenario}: {phase.wrk.rps:.0f} req/s, p50 {phase.wrk.p50_ms:.1f} ms, "
                        f"p99 {phase.wrk.p99_ms:.1f} ms, errors {phase.wrk.errors}"
                        f"{' ' + json.dumps(phase.wrk.statuses) if phase.wrk.statuses else ''}, CPU {cpu}, "
                        f"verify {'clean' if phase.verify_ok else 'NOT CLEAN'} ({phase.verify_seconds:.1f} s)"
                        + (f", mean batch {phase.mean_batch:.1f}" if phase.mean_batch is not None else "")
                        + (
                            ", ms per batch "
                            + "/".join(f"{phase.batch_ms[p]:.2f}" for p in PHASES)
                            + " ("
                            + "/".join(PHASES)
                            + ")"
                            if phase.batch_ms is not None
                            else ""
                        )
                        + (f", threads {format_threads(phase.threads)}" if phase.threads is not None else "")
                    )
            finally:
                self.stop_bare()
                self.stop_server()
            if self.topped_up:
                self.notes.append(
                    f"{self.topped_up} more tickets opened in-process (OpenTicket) before resolve, "
                    "so that none is resolved twice"
                )
            return phases
        finally:
            await self.drop_database()


PHASES = ("load", "apply", "flush", "commit")  # a write batch's steps, as `points_write_batch_seconds` names them


def phase_sample(what: str, phase: str) -> str:
    """A `points_write_batch_seconds` sample as the metrics page names it: `what` is sum or count."""
    return f'points_write_batch_seconds_{what}{{phase="{phase}"}}'


def mean_batch(before: dict[str, float] | None, after: dict[str, float] | None) -> float | None:
    if before is None or after is None:
        return None
    batches = after["points_write_batch_size_count"] - before["points_write_batch_size_count"]
    if batches <= 0:
        return None
    return (after["points_write_batch_size_sum"] - before["points_write_batch_size_sum"]) / batches


def batch_ms(before: dict[str, float] | None, after: dict[str, float] | None) -> dict[str, float] | None:
    """Milliseconds per batch applied in one pass, in each step, between two scrapes."""
    if before is None or after is None:
        return None
    figures = {}
    for phase in PHASES:
        count, total = phase_sample("count", phase), phase_sample("sum", phase)
        batches = after[count] - before[count]
        if batches <= 0:
            return None
        figures[phase] = (after[total] - before[total]) / batches * 1e3
    return figures


def format_threads(threads: dict[str, dict[str, float]]) -> str:
    """`loop 24+2 %, other 39+21 % (user+system)`: percent of a core."""
    parts = [f"{name} {figures['user'] * 100:.0f}+{figures['system'] * 100:.0f} %" for name, figures in threads.items()]
    return ", ".join(parts) + " (user+system)"


def other_cpu(phase: Phase) -> float:
    """Cores used during the run by anything but the service, the database and wrk."""
    wrk_share = phase.wrk.wrk_cpu_s / phase.seconds if phase.seconds else 0.0
    return round(max(0.0, phase.cpu_machine - (phase.cpu_server or 0.0) - (phase.cpu_db or 0.0) - wrk_share), 2)


def format_cpu(phase: Phase) -> str:
    def pct(value: float | None) -> str:
        return "–" if value is None else f"{value * 100:.0f}"

    wrk_share = phase.wrk.wrk_cpu_s / phase.seconds if phase.seconds else 0.0
    return (
        f"{pct(phase.cpu_server)}{split(phase.cpu_processes)}/{pct(phase.cpu_db)}/"
        f"{pct(wrk_share)}/{pct(other_cpu(phase))} %"
    )


def split(processes: list[float]) -> str:
    """Per-worker shares when several service processes worked, e.g. ` (95+52)`."""
    busy = [p for p in processes if p >= 0.02]
    return f" ({'+'.join(f'{p * 100:.0f}' for p in busy)})" if len(busy) > 1 else ""


# --- report -----------------------------------------------------------------------------------


def versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def disk_sync_ms(directory: Path, rounds: int = 50) -> dict[str, float]:
    """What making a write durable costs on the disk under `directory`, in ms: the median and 90th
    percentile of `rounds` fdatasync calls, each after a 4 KiB write, as a SQLite COMMIT with
    synchronous=FULL makes one (it syncs the WAL). Measured before the runs, where the SQLite
    files go, so that the results say what the disk costs instead of leaving it to be guessed."""
    times = []
    page = bytes(4096)
    fd, name = tempfile.mkstemp(prefix="disk-sync-", dir=directory)
    try:
        for i in range(rounds):
            os.pwrite(fd, page, (i % 16) * 4096)
            start = time.perf_counter()
            os.fdatasync(fd)
            times.append((time.perf_counter() - start) * 1000)
    finally:
        os.close(fd)
        os.unlink(name)
    deciles = statistics.quantiles(times, n=10)
    return {"p50": round(deciles[4], 3), "p90": round(deciles[8], 3)}


def libpq_dsn(sqlalchemy_url: str) -> str:
    """`postgresql+psycopg://…` (SQLAlchemy's form) as a libpq connection string for psycopg."""
    from sqlalchemy.engine import make_url

    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


def sign_in(base_url: str, key: str) -> str:
    """The pages' session cookie (`name=value`) for `key`, through the sign-in form."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        form = http.get("/ui/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        if token is None:
            raise SystemExit("bench: no sign-in form at /ui/sign-in")
        answer = http.post("/ui/sign-in", data={"api_key": key, "csrf_token": token.group(1)})
        session = http.cookies.get("points_session")
        if answer.status_code != 303 and session is None:
            raise SystemExit(f"bench: sign-in to the pages failed: {answer.status_code}")
        return f"points_session={session}"


def pg_admin(pg_url: str, *statements: str) -> None:
    """Statements outside a transaction (CREATE/DROP DATABASE), on the database `pg_url` names."""
    import psycopg

    with psycopg.connect(libpq_dsn(pg_url), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)  # our own literal SQL


def pg_pool(pg_url: str) -> tuple[int, int]:
    """(pool size, overflow) of the engine one service process opens on PostgreSQL, with the
    settings of this environment (nothing is connected)."""
    from points_service.db.engine import create_engine
    from points_service.settings import Settings

    settings = Settings(database_url=pg_url)
    engine = create_engine(settings, connections=settings.connections)
    try:
        return engine.pool.size(), engine.pool._max_overflow  # type: ignore[attr-defined]  # QueuePool's, not on Pool
    finally:
        engine.dispose()


def postgres_info(pg_url: str) -> dict[str, str]:
    import psycopg

    with psycopg.connect(libpq_dsn(pg_url), autocommit=True) as conn:
        info = {}
        for name in (
            "server_version",
            "fsync",
            "synchronous_commit",
            "full_page_writes",
            "shared_buffers",
            "max_connections",
        ):
            row = conn.execute(f"SHOW {name}").fetchone()
            info["version" if name == "server_version" else name] = str(row[0]) if row else ""
        return info


def git_commit() -> str | None:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], check=False, capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        return None
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], check=False, capture_output=True, text=True, cwd=ROOT
    )
    return done.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def results_rows(config: Config, phases: list[Phase]) -> list[dict[str, Any]]:
    by_name = {p.scenario: p for p in phases}
    rows = []
    for p in phases:
        ceiling_name = CEILING_OF[p.scenario]
        ceiling = by_name.get(ceiling_name)
        ceiling_rps = ceiling.wrk.rps if ceiling else None
        rows.append(
            {
                "db": config.db,
                "workers": config.workers,
                "scenario": p.scenario,
                "rps": round(p.wrk.rps, 1),
                "p50_ms": round(p.wrk.p50_ms, 2),
                "p99_ms": round(p.wrk.p99_ms, 2),
                "errors": p.wrk.errors,
                "ceiling": round(ceiling_rps, 1) if ceiling_rps else None,
                "ratio": round(p.wrk.rps / ceiling_rps, 3) if ceiling_rps else None,
                # beyond the required fields
                "ceiling_scenario": ceiling_name,
                "requests": p.wrk.requests,
                "wrk_seconds": round(p.wrk.runtime_s, 2),
                "error_statuses": p.wrk.statuses,
                "socket_errors": p.wrk.socket_errors,
                "error_samples": p.wrk.error_samples,
                "verify_ok": p.verify_ok,
                "verify_seconds": round(p.verify_seconds, 1),
                "mean_batch": None if p.mean_batch is None else round(p.mean_batch, 1),
                "batch_ms": None if p.batch_ms is None else {k: round(v, 3) for k, v in p.batch_ms.items()},
                "thread_cores": None
                if p.threads is None
                else {name: {k: round(v, 3) for k, v in figures.items()} for name, figures in p.threads.items()},
                "cpu_cores": {
                    "server": None if p.cpu_server is None else round(p.cpu_server, 2),
                    "db": None if p.cpu_db is None else round(p.cpu_db, 2),
                    "wrk": round(p.wrk.wrk_cpu_s / p.seconds, 2) if p.seconds else None,
                    "machine": round(p.cpu_machine, 2),
                    "other": other_cpu(p),
                    "service_processes": p.cpu_processes,
                },
            }
        )
    return rows


def config_summary(config: Config, phases: list[Phase]) -> dict[str, Any]:
    """Per configuration: `ceiling_post_of_bare` = ceiling_post req/s ÷ ceiling_bare req/s (None
    unless both ran), the share of a bare FastAPI app's POST throughput the service's route keeps."""
    rps = {p.scenario: p.wrk.rps for p in phases}
    post, bare = rps.get("ceiling_post"), rps.get(BARE)
    return {
        "name": config.name,
        "db": config.db,
        "workers": config.workers,
        "ceiling_post_of_bare": round(post / bare, 3) if post and bare else None,
    }


def markdown(
    machine: dict[str, Any], rows: list[dict[str, Any]], notes: list[str], configs: list[dict[str, Any]] | None = None
) -> str:
    v = machine["versions"]
    pg = machine.get("postgresql") or {}
    lines = [
        "# Load benchmark",
        "",
        f"Run {machine['date']} at commit `{machine.get('commit')}` by `make bench` (bench/run.py).",
        "",
        (
            f"- Machine: {machine['cpu_count']} CPUs ({machine['cpu_model']}), {machine['memory_gib']} GiB, "
            f"{machine['os']}; server, database and load generator share it; loopback only."
        ),
        (
            f"- Load: {machine['wrk']}, `-t{machine['threads']} -c{machine['connections']}`, "
            f"{machine['warmup_s']:g} s warm-up (discarded) then {machine['duration_s']:g} s per scenario; "
            f"{machine['accounts']} seeded accounts plus one hot account."
        ),
        (
            f"- Python {machine['python']}; points-service {v.get('points-service')}, FastAPI {v.get('fastapi')}, "
            f"Starlette {v.get('starlette')}, uvicorn {v.get('uvicorn')} (uvloop {v.get('uvloop')}, httptools "
            f"{v.get('httptools')}), pydantic {v.get('pydantic')}, SQLAlchemy {v.get('sqlalchemy')}, psycopg "
            f"{v.get('psycopg')} (psycopg-binary {v.get('psycopg-binary')}), sqlite3 (standard library)."
        ),
        f"- SQLite {machine['sqlite']} (WAL, synchronous={machine['sqlite_synchronous']}, "
        f"wal_autocheckpoint={machine['sqlite_wal_autocheckpoint']}"
        + (
            f"; its disk's fdatasync after a 4 KiB write: {sync['p50']:g} ms median, {sync['p90']:g} ms p90)"
            if (sync := machine.get("disk_sync_ms"))
            else ")"
        )
        + (
            f"; PostgreSQL {pg.get('version')} (throwaway cluster: fsync={pg.get('fsync')}, "
            f"synchronous_commit={pg.get('synchronous_commit')}, shared_buffers={pg.get('shared_buffers')}; "
            + ("`ANALYZE` before each measured run)." if machine.get("pg_analyze", True) else "no `ANALYZE`).")
            if pg
            else "."
        ),
        (
            f"- Per service process: {machine['writers']} writer threads on PostgreSQL (1 on SQLite), "
            f"{machine['readers']} reader threads on SQLite "
            f"({machine.get('readers_postgresql', machine['readers'])} on PostgreSQL) "
            f"and {machine.get('long_readers', 0)} for long reads, "
            f"write batches of up to {machine['write_batch_size']} commands"
            + (f"; PostgreSQL pool {machine['db_pool_size']}+{machine['db_max_overflow']} connections." if pg else ".")
        ),
        "",
        "| db | workers | scenario | req/s | p50 ms | p99 ms | errors | ceiling req/s | ratio | verify "
        "| CPU % server/db/wrk/other |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        cpu = r["cpu_cores"]

        def pct(x: float | None) -> str:
            return "–" if x is None else f"{x * 100:.0f}"

        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
        ceiling = "" if r["ceiling"] is None else f"{r['ceiling']:.0f}"
        errors = str(r["errors"])
        if r["error_statuses"] or r["socket_errors"]:
            errors += (
                " (" + ", ".join(f"{k}×{n}" for k, n in {**r["error_statuses"], **r["socket_errors"]}.items()) + ")"
            )
        scenario = r["scenario"]
        if r.get("wrk_seconds") and overran(r["wrk_seconds"], machine["duration_s"]):
            scenario += f" (paused: wrk ran {r['wrk_seconds']:.1f} s)"
        lines.append(
            f"| {r['db']} | {r['workers']} | {scenario} | {r['rps']:.0f} | {r['p50_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {errors} | {ceiling} | {ratio} | "
            f"{'clean' if r['verify_ok'] else '**NOT CLEAN**'} | "
            f"{pct(cpu['server'])}{split(cpu['service_processes'])}/{pct(cpu['db'])}/"
            f"{pct(cpu['wrk'])}/{pct(cpu['other'])} |"
        )
    lines += [
        "",
        (
            "ratio = req/s ÷ the same server's ceiling (`ceiling_post` for writes, `ceiling_get` for reads). "
            "errors = non-2xx responses plus socket errors (wrk's timeout is 2 s). CPU %: average use during the "
            "measured run, 100 = one core, 200 = the whole machine, by the service's processes, the PostgreSQL "
            "cluster (– for SQLite: it runs inside the service), wrk, and everything else on the machine; "
            "with 2 workers, the service's share of each worker in parentheses. "
            "`ceiling_bare` is not the service: a bare FastAPI app with only `ceiling_post`'s route and no "
            "middleware (bench/bare_app.py), run by uvicorn with the same settings; its CPU columns describe it."
        ),
    ]
    timed = [r for r in rows if r.get("batch_ms")]
    if timed:
        lines += [
            "",
            "Write batches (one worker; each worker counts for itself): commands per batch, and milliseconds per "
            "batch in each step, from the server's `points_write_batch_size` and `points_write_batch_seconds` "
            "(load: from BEGIN until its rows are read, the wait for the write lock included; apply: the rules; "
            "flush: the rows written; commit):",
            "",
            "| db | scenario | mean batch | load ms | apply ms | flush ms | commit ms |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for r in timed:
            ms = r["batch_ms"]
            lines.append(
                f"| {r['db']} | {r['scenario']} | {r['mean_batch']:.1f} | "
                + " | ".join(f"{ms[p]:.2f}" for p in PHASES)
                + " |"
            )
    by_thread = [r for r in rows if r.get("thread_cores")]
    if by_thread:
        lines += [
            "",
            "CPU by thread (one worker; % of a core, user + system): the service's event loop (its main thread) "
            "and its other threads together (the writer, the readers, the dispatcher):",
            "",
            "| db | scenario | loop user | loop system | other user | other system |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for r in by_thread:
            cores = r["thread_cores"]
            lines.append(
                f"| {r['db']} | {r['scenario']} | "
                + " | ".join(f"{cores[name][kind] * 100:.0f}" for name in THREAD_GROUPS for kind in ("user", "system"))
                + " |"
            )
    of_bare = [c for c in configs or [] if c.get("ceiling_post_of_bare") is not None]
    if of_bare:
        lines += [
            "",
            "ceiling_post ÷ ceiling_bare (the share of a bare FastAPI app's POST throughput that the service's "
            "middleware, route class and handlers leave): "
            + ", ".join(f"{c['name']} {c['ceiling_post_of_bare']:.2f}" for c in of_bare)
            + ".",
        ]
    busy = [r for r in rows if r["cpu_cores"]["other"] > 0.25]
    if busy:
        worst = max(r["cpu_cores"]["other"] for r in busy)
        notes = [
            (
                f"The machine was not quiet: other processes used more than 25 % of a core during {len(busy)} of "
                f"{len(rows)} runs (up to {worst * 100:.0f} %); those figures are lower than the service can do."
            ),
            *notes,
        ]
    if notes:
        lines += ["", "Notes:", *(f"- {n}" for n in notes)]
    return "\n".join(lines) + "\n"


def parse_configs(text: str) -> list[Config]:
    configs = []
    for item in text.split(","):
        db, _, workers = item.strip().partition(":")
        if db not in ("sqlite", "postgresql") or not workers.isdigit():
            raise argparse.ArgumentTypeError(f"bad configuration {item!r}: use sqlite:1, postgresql:2…")
        configs.append(Config(db, int(workers)))
    return configs


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=SCENARIO_HELP, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per scenario (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="discarded warm-up seconds per scenario (default 3)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 s per scenario, 1 s warm-up")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument(
        "--seed-batch",
        type=int,
        default=500,
        help="seeding and ticket top-ups: commands queued at once, and the harness's largest write batch (≤ 1000)",
    )
    parser.add_argument(
        "--configs",
        type=parse_configs,
        default=parse_configs("sqlite:1,postgresql:1,postgresql:2"),
        help="comma-separated db:workers (default sqlite:1,postgresql:1,postgresql:2)",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help="comma-separated subset, in this order (default: all, as listed below)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS,
        help="where latest.md and latest.json go (profiled.md, .json with --profile)",
    )
    parser.add_argument(
        "--profile",
        metavar="SCENARIOS",
        default="",
        help="comma-separated: also sample the server with py-spy during these scenarios' measured runs "
        "(each configuration); writes profile-<config>-<scenario>.md and .txt beside the results",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each measured run, wait up to this long for the machine to be idle (shared machines)",
    )
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="PostgreSQL: do not ANALYZE the database before each measured run (leave it to autovacuum)",
    )
    parser.add_argument(
        "--py-spy",
        default=str(BIN / "py-spy") if (BIN / "py-spy").exists() else "py-spy",
        help="the py-spy executable (default: the virtualenv's, else py-spy on PATH)",
    )
    args = parser.parse_args()
    if args.quick:
        args.duration, args.warmup = 2.0, 1.0
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    args.profile = {s for s in args.profile.split(",") if s}
    if args.profile - set(args.scenarios):
        parser.error(f"--profile {','.join(sorted(args.profile - set(args.scenarios)))}: not among the scenarios run")
    if args.profile and shutil.which(args.py_spy) is None:
        parser.error(f"--profile needs py-spy ({args.py_spy} not found): {BIN}/pip install py-spy")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (make bench installs it: apt-get install wrk)")
    pg_url = os.environ.get("POINTS_TEST_DATABASE_URL")
    if any(c.db == "postgresql" for c in args.configs) and not pg_url:
        parser.error(
            "PostgreSQL configurations need POINTS_TEST_DATABASE_URL: run through scripts/with_postgres.py "
            "(make bench does), or pass --configs sqlite:1"
        )

    from points_service.settings import Settings

    defaults = Settings(database_url="sqlite:///unused.db")
    pool = pg_pool(pg_url or "postgresql+psycopg://unused@127.0.0.1/unused")
    machine: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gib": memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": versions(),
        "sqlite": sqlite3.sqlite_version,
        "sqlite_synchronous": defaults.sqlite_synchronous,
        "sqlite_wal_autocheckpoint": defaults.sqlite_wal_autocheckpoint,
        # PostgreSQL's engine per service process: one connection per writer and reader thread,
        # plus the spare ones (the names are those of the old POINTS_DB_POOL_SIZE / _MAX_OVERFLOW).
        "db_pool_size": pool[0],
        "db_max_overflow": pool[1],
        "writers": defaults.writers,
        "readers": defaults.reader_threads,
        "readers_postgresql": Settings(database_url="postgresql+psycopg://unused@127.0.0.1/unused").reader_threads,
        "long_readers": defaults.long_readers,
        "write_batch_size": defaults.write_batch_size,
        "wrk": wrk_version(),
        "threads": args.threads,
        "connections": args.connections,
        "duration_s": args.duration,
        "pg_analyze": args.analyze,
        "warmup_s": args.warmup,
        "accounts": args.accounts,
        "date": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "commit": git_commit(),
        "overrides": sorted(k for k in os.environ if k.startswith("POINTS_") and not k.startswith(TEST_HARNESS)),
    }
    if pg_url:
        machine["postgresql"] = postgres_info(pg_url)

    rows: list[dict[str, Any]] = []
    configs: list[dict[str, Any]] = []
    notes: list[str] = []
    seeds: dict[str, float] = {}
    transactions: dict[str, int] = {}
    failed = False
    shared: dict[str, Any] = {}  # the seeded PostgreSQL template, made once

    def cleanup() -> None:
        if "pg_cleanup" in shared:
            name = shared.pop("pg_cleanup")
            Bench(args, args.configs[0], Path("."), pg_url)._pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    with tempfile.TemporaryDirectory(prefix="points-bench-") as tmp:
        machine["disk_sync_ms"] = disk_sync_ms(Path(tmp))
        for config in args.configs:
            bench = Bench(args, config, Path(tmp), pg_url)
            try:
                phases = asyncio.run(bench.run(shared))
            except BaseException:
                cleanup()
                raise
            rows += results_rows(config, phases)
            configs.append(config_summary(config, phases))
            if bench.seeded:
                seeds[config.name] = round(bench.seed_seconds, 1)
                transactions[config.name] = bench.seed_transactions
            notes += [f"{config.name}: {n}" for n in dict.fromkeys(bench.notes)]
            failed |= any(not p.verify_ok for p in phases)
        cleanup()
    machine["seed_seconds"] = seeds
    notes.append(
        "Seeding (in-process, PutAccount then AdjustPoints per account, "
        f"{args.seed_batch} commands queued at once and applied by the writers in batches): "
        + ", ".join(f"{name} {s:g} s in {transactions[name]} transactions" for name, s in seeds.items())
    )
    if machine["overrides"]:
        notes.append("POINTS_ settings overridden from the environment: " + ", ".join(machine["overrides"]))

    table = markdown(machine, rows, notes, configs)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "profiled" if args.profile else "latest"  # a profiled run's figures are not the reference
    (args.out / f"{stem}.md").write_text(table)
    (args.out / f"{stem}.json").write_text(
        json.dumps({"machine": machine, "results": rows, "configs": configs}, indent=2) + "\n"
    )
    print(table)
    if failed:
        log("verify was NOT clean after at least one phase")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
