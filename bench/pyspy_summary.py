"""Summarise a py-spy `record --format raw --threads` profile: where a worker's CPU goes.

Used by `bench/run.py --profile SCENARIO`; also runnable on a saved file:
`python bench/pyspy_summary.py profile.txt "title"`.

Each line of the raw format is one stack and its sample count: with `--threads`, the thread
first (`thread (TID): NAME`), then the frames from the outermost, separated by `;`.

The profile is taken with `--gil`: a sample is the stack of the thread holding the GIL, so it
shows where the interpreter's time goes (one process runs Python on one core at most); work done
with the GIL released (SQLite's engine inside sqlite3 calls, psycopg waiting for the server,
threads waiting on their queues) is not in it. A service process runs Python on three kinds of
threads: the event loop (`MainThread`: uvicorn, the middleware, the routes, pydantic), the
writer threads (`points-writer-N`: load, apply and flush the batches of write commands) and the
reader threads (`points-reader_N`, a thread pool: the reads). Views, in shares of the samples:

- by thread kind;
- by component, for the frame that was executing (self time): the library or the service module
  (a sample inside SQLAlchemy's call into the driver counts as the driver call: with sqlite3 that
  is where the C code runs, which shows no Python frame of its own);
- the same, for the writer threads alone, in shares of their own samples: what the writers' time
  holding the interpreter is made of (SQLAlchemy's execution layer beside the driver's Python and
  the service's own);
- inclusive, for the service's modules and functions: how much of the time is spent inside each;
- by thread kind and the innermost service function of the stack (what the thread was doing for
  the service: `load`, `flush`, a query…); a writer's or reader's stack does not reach back to the
  request that queued its work.
"""

from __future__ import annotations

import re
import sys
from collections import Counter

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
THREAD = re.compile(r"^thread \((?:0x)?[0-9a-fA-F]+\):\s*")

# (what the frame's file path contains, the component's name); the first match wins.
COMPONENTS = (
    ("points_service/", None),  # named by module below
    ("sqlalchemy/", "SQLAlchemy"),
    ("psycopg_binary/", "psycopg"),
    ("psycopg_pool/", "psycopg"),
    ("psycopg/", "psycopg"),
    ("sqlite3/", "sqlite3"),
    ("pydantic_core/", "pydantic"),
    ("pydantic/", "pydantic"),
    ("fastapi/", "FastAPI"),
    ("starlette/", "Starlette"),
    ("uvicorn/", "uvicorn"),
    ("prometheus_client/", "prometheus_client"),
    ("concurrent/futures/", "threads: concurrent.futures (the readers' pool, run_in_executor)"),
    ("asyncio/", "asyncio / event loop"),
    ("uvloop/", "asyncio / event loop"),
    ("json/", "json"),
    ("logging/", "logging"),
)
# Standard-library modules that are one file each (matched on the file name alone).
STDLIB_FILES = {
    "threading.py": "threads: threading (locks, conditions, thread start)",
    "queue.py": "threads: queue (the writers' job queue)",
    "contextvars.py": "contextvars",
}
# SQLAlchemy's calls into the DBAPI cursor: a sample whose running frame is one of these is inside
# the driver's execute (sqlite3's is C code, so its work shows here and nowhere else).
DRIVER_CALLS = {"do_execute", "do_executemany", "do_execute_no_params"}
WRITERS = "points-writer-N (writer threads)"
THREAD_KINDS = (
    (re.compile(r"^points-writer-\d+$"), WRITERS),
    (re.compile(r"^points-reader[-_]\d+$"), "points-reader_N (reader threads)"),
    (re.compile(r"^MainThread$"), "MainThread (event loop)"),
)


def _parse(text: str) -> list[tuple[str, list[tuple[str, str]], int]]:
    stacks = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        body, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        parts = body.split(";")
        thread = THREAD.sub("", parts[0]).strip().strip('"')
        frames = []
        for part in parts[1:]:
            match = FRAME.match(part)
            frames.append((match.group("func"), match.group("file")) if match else (part, ""))
        stacks.append((thread, frames, int(count)))
    return stacks


def _module(file: str) -> str | None:
    index = file.rfind("points_service/")
    if index < 0:
        return None
    return file[index:].removesuffix(".py").replace("/", ".")


def component(file: str, func: str = "") -> str:
    module = _module(file)
    if module is not None:
        return module
    if "sqlalchemy/" in file and func.rsplit(".", 1)[-1] in DRIVER_CALLS:
        return "driver call (cursor.execute from SQLAlchemy; sqlite3's C code runs here)"
    name = file.rsplit("/", 1)[-1]
    if name in STDLIB_FILES and (file == name or re.search(r"/python3\.\d+/[^/]+$", file)):
        return STDLIB_FILES[name]
    for needle, label in COMPONENTS:
        if needle in file and label:
            return label
    return f"other: {name or '?'}"


def thread_kind(name: str) -> str:
    for pattern, kind in THREAD_KINDS:
        if pattern.match(name):
            return kind
    return re.sub(r"[-_]\d+$", "-N", name) or "?"


def _table(title: str, counts: Counter[str], total: int, limit: int) -> list[str]:
    lines = [f"### {title}", "", "| share | what |", "|---:|---|"]
    for name, n in counts.most_common(limit):
        lines.append(f"| {n / total * 100:.1f} % | `{name}` |")
    return [*lines, ""]


def summarise(text: str, title: str, limit: int = 25, possible: int | None = None) -> str:
    stacks = _parse(text)
    total = sum(n for _, _, n in stacks) or 1
    threads: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    modules: Counter[str] = Counter()
    doing: Counter[str] = Counter()
    writers: Counter[str] = Counter()
    for thread, frames, n in stacks:
        kind = thread_kind(thread)
        threads[kind] += n
        if frames:
            running = component(frames[-1][1], frames[-1][0])
            leaf[running] += n
            if kind == WRITERS:
                writers[running] += n
        seen_functions, seen_modules = set(), set()
        innermost = "(no service frame)"
        for func, file in frames:
            module = _module(file)
            if module is None:
                continue
            innermost = f"{module}.{func}"
            seen_functions.add(innermost)
            seen_modules.add(module)
        doing[f"{kind}: {innermost}"] += n
        for name in seen_functions:
            inclusive[name] += n
        for name in seen_modules:
            modules[name] += n
    lines = [
        f"## Profile: {title}",
        "",
        f"{total} samples of the thread holding the GIL in one service process (py-spy --gil)"
        + (f": the GIL was held {total / possible * 100:.0f} % of the time." if possible else "."),
        "",
        *_table("By thread", threads, total, limit),
        *_table("Self time, by component (the frame that was running)", leaf, total, limit),
        *_table(
            "Self time in the writer threads, by component (shares of the writers' samples)",
            writers,
            sum(writers.values()) or 1,
            limit,
        ),
        *_table("Inclusive time in the service's modules", modules, total, limit),
        *_table("Inclusive time in the service's functions", inclusive, total, limit),
        *_table(
            "By thread and innermost service function (what each thread was doing for the service)", doing, total, 15
        ),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        print(summarise(handle.read(), sys.argv[2] if len(sys.argv) > 2 else sys.argv[1]))
