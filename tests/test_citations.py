"""Every citation in the code can be followed from a clone: code, tests, migrations, benchmarks and
scripts cite sections of docs/design.md, never the specification (not in the repository)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NEEDLE = "SPEC" + " §"  # split, so this file does not cite it


def test_no_citation_of_the_specification_outside_the_docs():
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("src", "tests", "migrations", "bench", "scripts")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if NEEDLE in line
    ]
    assert found == [], "cite docs/design.md sections instead"
