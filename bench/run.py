#!/usr/bin/env python3
"""The load benchmark behind `make bench` (docs/performance.md says how to read it).

For each configuration — SQLite with one uvicorn worker, PostgreSQL with one and with two — it
makes a fresh database, migrates it, creates an admin and a helpdesk key, seeds 10,000 accounts
(plus one hot account) through the service's own commands, starts `points-service serve` with
the ceiling routes on, and drives every scenario with wrk (bench/<scenario>.lua): a warm-up that
is thrown away, then the measured run. `points-service verify` runs after each phase and must be
clean. The table goes to stdout and bench/results/latest.md, the figures to latest.json.

Run it with the project's virtualenv Python; PostgreSQL configurations need
POINTS_TEST_DATABASE_URL (scripts/with_postgres.py sets it), and a fresh database is created on
that server for each configuration and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
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
import subprocess
import sys
import tempfile
import time
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

SCENARIOS = ("ceiling_get", "ceiling_post", "open_spread", "open_hot", "adjust", "resolve", "balance", "statement")
CEILING_OF = {
    "ceiling_get": "ceiling_get",
    "ceiling_post": "ceiling_post",
    "open_spread": "ceiling_post",
    "open_hot": "ceiling_post",
    "adjust": "ceiling_post",
    "resolve": "ceiling_post",
    "balance": "ceiling_get",
    "statement": "ceiling_get",
}
NEEDS_TICKETS = {"adjust", "resolve"}
HOT = "hot"
QUIET_CORES = 0.3  # --wait-quiet: the machine counts as quiet below this many busy cores
PROFILE_HZ = 200
ACCOUNT_POINTS = 100_000
HOT_POINTS = 1_000_000_000
PACKAGES = ("points-service", "fastapi", "starlette", "uvicorn", "uvloop", "httptools", "pydantic", "pydantic-core",
            "sqlalchemy", "asyncpg", "aiosqlite", "alembic")


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def account_ids(count: int) -> list[str]:
    return [f"acct-{n:05d}" for n in range(1, count + 1)]


# --- CPU accounting from /proc ------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and of its reaped children)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
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
    output: str

    @property
    def errors(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())


def parse_wrk(output: str, wrk_cpu_s: float) -> WrkResult:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    if not (rps and p50 and p99 and total):
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    socket_errors = dict(zip(("connect", "read", "write", "timeout"), (int(x) for x in sock.groups()))) if sock else {}
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
        self.keys: dict[str, str] = {}
        self.postmaster: int | None = None
        self.notes: list[str] = []
        self.seed_seconds = 0.0
        self.seeded = False  # False when the database is a copy of another configuration's
        self.topped_up = 0
        self.quiet_waits = 0

    # environment and commands

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(TEST_HARNESS)}
        env.update(POINTS_DATABASE_URL=self.database_url, POINTS_LOG_LEVEL="WARNING", **extra)
        return env

    def cli(self, *argv: str) -> str:
        done = subprocess.run([POINTS, *argv], env=self.env(), check=False, capture_output=True, text=True, cwd=self.workdir)
        if done.returncode != 0:
            raise RuntimeError(f"points-service {' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout.strip()

    # database

    async def _pg(self, *statements: str) -> None:
        """Run statements on the server's maintenance database (POINTS_TEST_DATABASE_URL)."""
        import asyncpg
        from sqlalchemy.engine import make_url

        assert self.pg_url is not None
        url = make_url(self.pg_url)
        conn = await asyncpg.connect(
            host=url.host, port=url.port, user=url.username, password=url.password, database=url.database
        )
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    def _pg_url(self, database: str) -> str:
        from sqlalchemy.engine import make_url

        assert self.pg_url is not None
        return make_url(self.pg_url).set(database=database).render_as_string(hide_password=False)

    async def _migrate_keys_seed(self) -> None:
        log(f"{self.config.name}: migrating, keys, seeding {self.args.accounts} accounts")
        self.cli("migrate")
        self.keys = {
            role: self.cli("keys", "create", "--role", role, "--name", f"bench-{role}") for role in ("admin", "helpdesk")
        }
        await self.seed()
        ok, _, report = self.verify()
        if not ok:
            raise RuntimeError(f"verify is not clean after seeding: {report}")
        log(f"{self.config.name}: seeded in {self.seed_seconds:.1f} s, verify clean")

    async def create_database(self, shared: dict[str, Any]) -> None:
        """A fresh, migrated and seeded database for this configuration.

        SQLite: a new file. PostgreSQL: the first configuration migrates and seeds a template
        database on the server; every configuration gets its own copy of it (CREATE DATABASE …
        TEMPLATE), so each starts from the same fresh state without seeding twice.
        """
        if self.config.db == "sqlite":
            path = self.workdir / f"{self.config.name}.db"
            self.database_url = f"sqlite+aiosqlite:///{path}"
            await self._migrate_keys_seed()
            return
        from sqlalchemy.engine import make_url

        assert self.pg_url is not None
        template = shared.get("pg_template")
        if template is None:
            name = f"points_bench_seed_{os.getpid()}"
            await self._pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
            shared["pg_cleanup"] = name
            self.database_url = self._pg_url(name)
            await self._migrate_keys_seed()
            template = shared["pg_template"] = {"name": name, "keys": self.keys, "seconds": self.seed_seconds}
        else:
            self.keys = template["keys"]
            self.seed_seconds = template["seconds"]
            self.notes.append("a copy of the database seeded for the first PostgreSQL configuration")
        self.pg_database = f"points_bench_{self.config.name.replace('-', '_')}_{os.getpid()}"
        await self._pg(
            f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)',
            f'CREATE DATABASE "{self.pg_database}" TEMPLATE "{template["name"]}"',
        )
        self.database_url = self._pg_url(self.pg_database)
        self.postmaster = find_postmaster(make_url(self.pg_url).port or 5432)
        if self.postmaster is None:
            self.notes.append("the PostgreSQL server is not a process on this machine: its CPU is not measured")

    async def drop_database(self) -> None:
        if self.pg_database is not None:
            await self._pg(f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)')

    def _database(self) -> Any:
        from points_service.db.engine import create_engine
        from points_service.services.uow import Database
        from points_service.settings import Settings

        return Database(create_engine(Settings(database_url=self.database_url, db_pool_size=2, db_max_overflow=0)))

    def _context(self, actor: str) -> Any:
        from points_service.domain.clock import SystemClock
        from points_service.services.context import Context
        from points_service.settings import Settings

        return Context(actor=actor, role="admin", clock=SystemClock(), return_grace=Settings().return_grace)

    async def seed(self) -> None:
        """10,000 accounts with points, and the hot account, through the service's commands.

        In-process, many accounts per transaction: `put_account` then `adjust_points` for each,
        so every lot, ledger entry and counter is what the API would have written.
        """
        from points_service.services.accounts import put_account
        from points_service.services.grants import adjust_points

        async def batch(session: Any, ctx: Any, *, ids: list[str], points: int) -> None:
            for account_id in ids:
                await put_account(session, ctx, account_id=account_id, display_name=f"Bench {account_id}")
                await adjust_points(session, ctx, account_id=account_id, points=points, reason="bench seed")

        started = time.perf_counter()
        db = self._database()
        ctx = self._context("bench-seed")
        try:
            ids = account_ids(self.args.accounts)
            size = self.args.seed_batch
            for start in range(0, len(ids), size):
                await db.write(batch, ctx, ids=ids[start : start + size], points=ACCOUNT_POINTS)
            await db.write(batch, ctx, ids=[HOT], points=HOT_POINTS)
        finally:
            await db.dispose()
        self.seed_seconds = time.perf_counter() - started
        self.seeded = True

    async def open_tickets(self) -> list[str]:
        """Ids of the open tickets on the spread accounts (not the hot one), in random order."""
        from sqlalchemy import select

        from points_service.db.models import Ticket

        db = self._database()
        try:
            async with db.snapshot() as session:
                stmt = select(Ticket.id).where(Ticket.status == "open", Ticket.account_id != HOT)
                ids = list((await session.scalars(stmt)).all())
        finally:
            await db.dispose()
        random.shuffle(ids)
        return ids

    async def top_up_tickets(self, wanted: int) -> int:
        """Open tickets in-process (through `open_ticket`) until `wanted` are open on spread accounts."""
        from points_service.services.tickets import open_ticket

        have = len(await self.open_tickets())
        missing = wanted - have
        if missing <= 0:
            return 0

        async def batch(session: Any, ctx: Any, *, refs: list[tuple[str, str]]) -> None:
            for account_id, ref in refs:
                await open_ticket(session, ctx, account_id=account_id, external_ref=ref, category="consultation")

        db = self._database()
        ctx = self._context("bench-seed")
        ids = account_ids(self.args.accounts)
        tag = f"topup-{int(time.time() * 1000)}"
        refs = [(random.choice(ids), f"{tag}-{n}") for n in range(missing)]
        try:
            for start in range(0, len(refs), self.args.seed_batch):
                await db.write(batch, ctx, refs=refs[start : start + self.args.seed_batch])
        finally:
            await db.dispose()
        return missing

    # server

    def start_server(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        logfile = open(self.workdir / f"{self.config.name}-server.log", "wb")  # noqa: SIM115
        self.server = subprocess.Popen(
            [POINTS, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.config.workers)],
            env=self.env(POINTS_BENCH_ROUTES="true"),
            cwd=self.workdir,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=self.base_url, timeout=2) as client:
            while True:
                if self.server.poll() is not None:
                    raise RuntimeError(f"the server exited ({self.server.returncode}); see {logfile.name}")
                try:
                    if client.get("/readyz").status_code == 200 and client.get("/bench/ceiling").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not become ready within 60 s")
                time.sleep(0.2)
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
                    raise RuntimeError(f"pre-flight {response.request.url} answered {response.status_code}: {response.text}")
            if checks[0].json()["available"] != ACCOUNT_POINTS or not checks[2].json()["ok"]:
                raise RuntimeError(f"pre-flight: unexpected seed {checks[0].json()} {checks[2].json()}")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop_server(self) -> None:
        if self.server is None or self.server.poll() is not None:
            return
        self.server.send_signal(signal.SIGTERM)
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.server.pid, signal.SIGKILL)  # our own session: the server and its workers
            self.server.wait()

    # phases

    def run_wrk(self, scenario: str, seconds: float, tag: str, tickets: Path | None) -> WrkResult:
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
        argv = [
            "wrk",
            f"-t{self.args.threads}",
            f"-c{self.args.connections}",
            f"-d{seconds:g}s",
            "--latency",
            "-s",
            str(BENCH / f"{scenario}.lua"),
            self.base_url,
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

        from points_service.db.models import LedgerEntry, TicketEvent

        db = self._database()
        try:
            deadline = time.monotonic() + timeout
            last = None
            while time.monotonic() < deadline:
                async with db.snapshot() as session:
                    now = (
                        await session.scalar(select(func.count()).select_from(LedgerEntry)),
                        await session.scalar(select(func.count()).select_from(TicketEvent)),
                    )
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
                self.notes.append(f"the machine stayed busy through --wait-quiet {self.args.wait_quiet:g} s before a run")
        if waited:
            self.quiet_waits += 1

    def start_profiler(self, scenario: str) -> tuple[subprocess.Popen[bytes], Path] | None:
        """py-spy on the (first) worker during the measured run of --profile's scenario."""
        if scenario not in self.args.profile or self.server is None:
            return None
        worker = self.server.pid
        if self.config.workers > 1:  # uvicorn's supervisor: profile one of its workers
            children = Path(f"/proc/{worker}/task/{worker}/children").read_text().split()
            worker = int(children[-1])
        raw = self.workdir / f"profile-{self.config.name}-{scenario}.txt"
        spy = subprocess.Popen(
            [self.args.py_spy, "record", "--pid", str(worker), "--duration", f"{max(1, int(self.args.duration))}",
             "--rate", str(PROFILE_HZ), "--gil", "--nonblocking", "--threads", "--format", "raw", "--output", str(raw)],
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
        done = subprocess.run([POINTS, "verify"], env=self.env(), check=False, capture_output=True, text=True, cwd=self.workdir)
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
        stamp = f"{scenario[:4]}{int(time.time() * 1000) % 10**9}"
        tickets = None
        if self.args.warmup > 0:
            if scenario in NEEDS_TICKETS:
                tickets = await self.ticket_file(scenario, expected_write_rps, self.args.warmup)
            self.run_wrk(scenario, self.args.warmup, f"w{stamp}", tickets)
            await self.quiesce()
        if scenario in NEEDS_TICKETS:
            tickets = await self.ticket_file(scenario, expected_write_rps, self.args.duration)
        await self.wait_quiet()
        profiler = self.start_profiler(scenario)
        # CPU is sampled right around wrk, so that every share has the same denominator.
        server0 = tree_cpu(self.server.pid if self.server else None)
        workers0 = tree_cpu_by_pid(self.server.pid if self.server else None) or {}
        db0 = tree_cpu(self.postmaster)
        busy0, total0 = machine_busy()
        started = time.perf_counter()
        result = self.run_wrk(scenario, self.args.duration, f"m{stamp}", tickets)
        seconds = time.perf_counter() - started
        busy1, total1 = machine_busy()
        server1 = tree_cpu(self.server.pid if self.server else None)
        workers1 = tree_cpu_by_pid(self.server.pid if self.server else None) or {}
        db1 = tree_cpu(self.postmaster)
        if profiler is not None:
            self.finish_profiler(scenario, *profiler)
        await self.quiesce()
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
        )

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
                        write_rps = max(write_rps, phase.wrk.rps)
                    phases.append(phase)
                    for sample in phase.wrk.error_samples:
                        log(f"{self.config.name} {scenario}: error response {sample}")
                    cpu = format_cpu(phase)
                    log(
                        f"{self.config.name} {scenario}: {phase.wrk.rps:.0f} req/s, p50 {phase.wrk.p50_ms:.1f} ms, "
                        f"p99 {phase.wrk.p99_ms:.1f} ms, errors {phase.wrk.errors}"
                        f"{' ' + json.dumps(phase.wrk.statuses) if phase.wrk.statuses else ''}, CPU {cpu}, "
                        f"verify {'clean' if phase.verify_ok else 'NOT CLEAN'} ({phase.verify_seconds:.1f} s)"
                    )
            finally:
                self.stop_server()
            if self.topped_up:
                self.notes.append(
                    f"{self.topped_up} more tickets opened in-process (open_ticket) before resolve, so that none is resolved twice"
                )
            return phases
        finally:
            await self.drop_database()


def other_cpu(phase: Phase) -> float:
    """Cores used during the run by anything but the service, the database and wrk."""
    wrk_share = phase.wrk.wrk_cpu_s / phase.seconds if phase.seconds else 0.0
    return round(max(0.0, phase.cpu_machine - (phase.cpu_server or 0.0) - (phase.cpu_db or 0.0) - wrk_share), 2)


def format_cpu(phase: Phase) -> str:
    def pct(value: float | None) -> str:
        return "–" if value is None else f"{value * 100:.0f}"

    wrk_share = phase.wrk.wrk_cpu_s / phase.seconds if phase.seconds else 0.0
    return f"{pct(phase.cpu_server)}{split(phase.cpu_processes)}/{pct(phase.cpu_db)}/{pct(wrk_share)}/{pct(other_cpu(phase))} %"


def split(processes: list[float]) -> str:
    """Per-worker shares when several service processes worked, e.g. ` (95+52)`."""
    busy = [p for p in processes if p >= 0.02]
    return f" ({'+'.join(f'{p * 100:.0f}' for p in busy)})" if len(busy) > 1 else ""


# --- report -----------------------------------------------------------------------------------


def versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
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


async def postgres_info(pg_url: str) -> dict[str, str]:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(pg_url)
    conn = await asyncpg.connect(host=url.host, port=url.port, user=url.username, password=url.password, database=url.database)
    try:
        info = {"version": str(await conn.fetchval("SHOW server_version"))}
        for name in ("fsync", "synchronous_commit", "full_page_writes", "shared_buffers", "max_connections"):
            info[name] = str(await conn.fetchval(f"SHOW {name}"))
        return info
    finally:
        await conn.close()


def git_commit() -> str | None:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=False, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        return None
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], check=False, capture_output=True, text=True, cwd=ROOT)
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
                "error_statuses": p.wrk.statuses,
                "socket_errors": p.wrk.socket_errors,
                "error_samples": p.wrk.error_samples,
                "verify_ok": p.verify_ok,
                "verify_seconds": round(p.verify_seconds, 1),
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


def markdown(machine: dict[str, Any], rows: list[dict[str, Any]], notes: list[str]) -> str:
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
            f"{v.get('httptools')}), pydantic {v.get('pydantic')}, SQLAlchemy {v.get('sqlalchemy')}, asyncpg "
            f"{v.get('asyncpg')}, aiosqlite {v.get('aiosqlite')}."
        ),
        f"- SQLite {machine['sqlite']} (WAL, synchronous={machine['sqlite_synchronous']})"
        + (
            f"; PostgreSQL {pg.get('version')} (throwaway cluster: fsync={pg.get('fsync')}, "
            f"synchronous_commit={pg.get('synchronous_commit')}, shared_buffers={pg.get('shared_buffers')}); "
            f"pool {machine['db_pool_size']}+{machine['db_max_overflow']} per process."
            if pg
            else "."
        ),
        "",
        "| db | workers | scenario | req/s | p50 ms | p99 ms | errors | ceiling req/s | ratio | verify | CPU % server/db/wrk/other |",
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
            errors += " (" + ", ".join(f"{k}×{n}" for k, n in {**r["error_statuses"], **r["socket_errors"]}.items()) + ")"
        lines.append(
            f"| {r['db']} | {r['workers']} | {r['scenario']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
            f"{errors} | {ceiling} | {ratio} | {'clean' if r['verify_ok'] else '**NOT CLEAN**'} | "
            f"{pct(cpu['server'])}{split(cpu['service_processes'])}/{pct(cpu['db'])}/{pct(cpu['wrk'])}/{pct(cpu['other'])} |"
        )
    lines += [
        "",
        (
            "ratio = req/s ÷ the same server's ceiling (`ceiling_post` for writes, `ceiling_get` for reads). "
            "errors = non-2xx responses plus socket errors (wrk's timeout is 2 s). CPU %: average use during the "
            "measured run, 100 = one core, 200 = the whole machine, by the service's processes, the PostgreSQL "
            "cluster (– for SQLite: it runs inside the service), wrk, and everything else on the machine; "
            "with 2 workers, the service's share of each worker in parentheses."
        ),
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per scenario (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="discarded warm-up seconds per scenario (default 3)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 s per scenario, 1 s warm-up")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--seed-batch", type=int, default=500, help="accounts seeded per transaction")
    parser.add_argument(
        "--configs", type=parse_configs, default=parse_configs("sqlite:1,postgresql:1,postgresql:2"),
        help="comma-separated db:workers (default sqlite:1,postgresql:1,postgresql:2)",
    )
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated subset, in this order")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where latest.md and latest.json go (profiled.md, .json with --profile)")
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
        parser.error("PostgreSQL configurations need POINTS_TEST_DATABASE_URL: run through scripts/with_postgres.py "
                     "(make bench does), or pass --configs sqlite:1")

    from points_service.settings import Settings

    defaults = Settings(database_url="sqlite+aiosqlite:///unused.db")
    machine: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gib": memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": versions(),
        "sqlite": sqlite3.sqlite_version,
        "sqlite_synchronous": defaults.sqlite_synchronous,
        "db_pool_size": defaults.db_pool_size,
        "db_max_overflow": defaults.db_max_overflow,
        "wrk": wrk_version(),
        "threads": args.threads,
        "connections": args.connections,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "accounts": args.accounts,
        "date": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "commit": git_commit(),
        "overrides": sorted(k for k in os.environ if k.startswith("POINTS_") and not k.startswith(TEST_HARNESS)),
    }
    if pg_url:
        machine["postgresql"] = asyncio.run(postgres_info(pg_url))

    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    seeds: dict[str, float] = {}
    failed = False
    shared: dict[str, Any] = {}  # the seeded PostgreSQL template, made once

    def cleanup() -> None:
        if "pg_cleanup" in shared:
            name = shared.pop("pg_cleanup")
            asyncio.run(Bench(args, args.configs[0], Path("."), pg_url)._pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    with tempfile.TemporaryDirectory(prefix="points-bench-") as tmp:
        for config in args.configs:
            bench = Bench(args, config, Path(tmp), pg_url)
            try:
                phases = asyncio.run(bench.run(shared))
            except BaseException:
                cleanup()
                raise
            rows += results_rows(config, phases)
            if bench.seeded:
                seeds[config.name] = round(bench.seed_seconds, 1)
            notes += [f"{config.name}: {n}" for n in dict.fromkeys(bench.notes)]
            failed |= any(not p.verify_ok for p in phases)
        cleanup()
    machine["seed_seconds"] = seeds
    notes.append(
        "Seeding (in-process, put_account + adjust_points, "
        f"{args.seed_batch} accounts per transaction): "
        + ", ".join(f"{name} {s:g} s" for name, s in seeds.items())
    )
    if machine["overrides"]:
        notes.append("POINTS_ settings overridden from the environment: " + ", ".join(machine["overrides"]))

    table = markdown(machine, rows, notes)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "profiled" if args.profile else "latest"  # a profiled run's figures are not the reference
    (args.out / f"{stem}.md").write_text(table)
    (args.out / f"{stem}.json").write_text(json.dumps({"machine": machine, "results": rows}, indent=2) + "\n")
    print(table)
    if failed:
        log("verify was NOT clean after at least one phase")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
