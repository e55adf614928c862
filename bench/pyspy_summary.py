"""Summarise a py-spy `record --format raw --threads` profile: where a worker's CPU goes.

Used by `bench/run.py --profile SCENARIO`; also runnable on a saved file:
`python bench/pyspy_summary.py profile.txt "title"`.

The profile is taken with `--gil`: a sample is the stack of the thread holding the GIL, so it
shows where the interpreter's time goes (one process runs Python on one core at most); work done
with the GIL released (SQLite's engine inside sqlite3 calls, waiting for sockets or fsync) is not
in it. (Without `--gil`, py-spy could not tell idle threads from running ones on this kernel:
aiosqlite's threads waiting on their queue were counted as busy.) Three views, in shares of the
samples:
- by thread (the event loop, aiosqlite's connection threads…);
- by component, for the frame that was executing (self time): the library or the service module;
- inclusive, for the service's own functions: how much of the time is spent inside each;
- by stack root: SQLAlchemy's asyncio layer runs the ORM's synchronous code in greenlets, whose
  stacks do not reach back to the request that awaited them, so samples rooted in
  `Session.execute`, `Session.flush`… are ORM and driver work for some request, missing from the
  inclusive views.
"""

from __future__ import annotations

import re
import sys
from collections import Counter

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")

COMPONENTS = (
    ("points_service/", None),  # named by module below
    ("sqlalchemy/", "SQLAlchemy"),
    ("asyncpg/", "asyncpg"),
    ("aiosqlite/", "aiosqlite (+ sqlite3)"),
    ("sqlite3/", "aiosqlite (+ sqlite3)"),
    ("pydantic_core/", "pydantic"),
    ("pydantic/", "pydantic"),
    ("fastapi/", "FastAPI"),
    ("starlette/", "Starlette"),
    ("uvicorn/", "uvicorn"),
    ("prometheus_client/", "prometheus_client"),
    ("greenlet/", "greenlet"),
    ("asyncio/", "asyncio / event loop"),
    ("uvloop/", "asyncio / event loop"),
    ("json/", "json"),
    ("logging/", "logging"),
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
        thread = re.sub(r"^thread \(\d+\): ", "", parts[0])
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


def component(file: str) -> str:
    module = _module(file)
    if module is not None:
        return module
    for needle, name in COMPONENTS:
        if needle in file and name:
            return name
    return f"other: {file.rsplit('/', 1)[-1] or '?'}"


def _thread_kind(name: str) -> str:
    return re.sub(r"-\d+", "-N", name)


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
    roots: Counter[str] = Counter()
    for thread, frames, n in stacks:
        threads[_thread_kind(thread)] += n
        if frames:
            leaf[component(frames[-1][1])] += n
            root = frames[0][0] if frames[0][0] != "<module>" else "<module> (the request path, from the event loop)"
            roots[f"{_thread_kind(thread)}: {root}"] += n
        seen_functions, seen_modules = set(), set()
        for func, file in frames:
            module = _module(file)
            if module is None:
                continue
            seen_functions.add(f"{module}.{func}")
            seen_modules.add(module)
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
        *_table("Inclusive time in the service's modules", modules, total, limit),
        *_table("Inclusive time in the service's functions", inclusive, total, limit),
        *_table("By stack root (greenlet roots: SQLAlchemy ORM work awaited by a request)", roots, total, 12),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        print(summarise(handle.read(), sys.argv[2] if len(sys.argv) > 2 else sys.argv[1]))
