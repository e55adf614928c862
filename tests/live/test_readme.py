"""The README's walkthrough, run as written, twice, against a live service.

The blocks of README.md that a line `<!-- walkthrough -->` precedes (```sh, or ```python for the
venv's Python) are, in order, one bash script under `set -Eeuo pipefail`, run the way a reader
pastes them after `make run`: from a directory where `.venv/bin/points-service` is this test
run's command (a symlink to its virtualenv), against `points-service serve` on a new SQLite
database with the webhook secret the README starts `make run` with. The server's URL reaches the
blocks as `POINTS_URL` (they default to port 8000), and the database as `POINTS_DATABASE_URL` for
both the server and the blocks' `points-service` commands.

A run fails when the script exits non-zero, stops before its end, or prints an error although
it went on: a traceback, a problem document, a curl error, a bash error. The walkthrough runs
twice on the same database (the first time with the `ADMIN` key a reader exports, the second
without: the blocks create one) and what it did is checked through the API. The negative tests
show that the runner fails on what a broken README would do.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from support.servers import EXE, Server, run_cli, serve_argv, server_env

README = Path(__file__).resolve().parents[2] / "README.md"
MARK = "<!-- walkthrough -->"
ACCOUNT = "cust-42"  # the walkthrough's customer
RUN_TIMEOUT = 300.0
DONE = "walkthrough: every block ran"
ERRORS = re.compile(
    r"Traceback \(most recent call last\)"
    r"|/problems/[a-z-]+|[\"']status[\"']: ?[45]\d\d\b"  # a problem document, shown whole
    r"|curl: \(\d+\)"
    r"|walkthrough\.sh: line \d+: "  # bash's own errors, and the ERR trap's line
)
SAMPLE_MARK = "<!-- walkthrough output -->"  # precedes the statement the README shows
TIME = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\b")
# The blocks name the service only as POINTS_URL, with port 8000 as its default.
URL_DEFAULTS = ("${POINTS_URL:-http://127.0.0.1:8000}", 'os.environ.get("POINTS_URL", "http://127.0.0.1:8000")')


@dataclass(frozen=True)
class Block:
    line: int  # of its opening fence in the Markdown
    lang: str  # sh or python
    code: str


def walkthrough_blocks(markdown: str) -> list[Block]:
    """The fenced blocks that a `<!-- walkthrough -->` line precedes (blank lines between allowed)."""
    lines = markdown.splitlines()
    blocks = []
    for n, line in enumerate(lines):
        if line.strip() != MARK:
            continue
        start = n + 1
        while start < len(lines) and not lines[start].strip():
            start += 1
        opening = re.fullmatch(r"```(sh|python)", lines[start]) if start < len(lines) else None
        if opening is None:
            raise ValueError(f"line {n + 1}: {MARK} is not followed by a ```sh or ```python block")
        end = next((i for i in range(start + 1, len(lines)) if lines[i] == "```"), None)
        if end is None:
            raise ValueError(f"line {start + 1}: the block is never closed")
        blocks.append(Block(start + 1, opening.group(1), "\n".join(lines[start + 1 : end]) + "\n"))
    if not blocks:
        raise ValueError(f"no {MARK} block")
    return blocks


def sample_statement(markdown: str) -> str:
    """The output of `points-service statement` that the README shows."""
    found = re.search(rf"^{SAMPLE_MARK}\n```text\n(.*?)^```$", markdown, re.M | re.S)
    assert found, f"no {SAMPLE_MARK} block"
    return found.group(1)


def statement_in(output: str) -> str:
    """The first text statement of the account in a run's output."""
    found = re.search(rf"^Account {ACCOUNT}, as of .*?^  total taken \d+$", output, re.M | re.S)
    assert found, output
    return found.group(0)


def generic(statement: str) -> str:
    """A statement without what differs from run to run: times, ticket references, column widths."""
    text = re.sub(r"\bHD-\S+", "HD-…", TIME.sub("…", statement))
    return "\n".join(" ".join(line.split()) for line in text.strip().splitlines())


@dataclass(frozen=True)
class Script:
    text: str
    origin: dict[int, int]  # script line → Markdown line

    @classmethod
    def of(cls, blocks: list[Block]) -> Script:
        lines = [
            "set -Eeuo pipefail",
            """trap 'echo "walkthrough.sh: line $LINENO: exit status $? from: $BASH_COMMAND" >&2' ERR""",
        ]
        origin = {}
        for block in blocks:
            lines.append(f"# Markdown line {block.line}: ```{block.lang}")
            if block.lang == "python":
                lines.append(".venv/bin/python - <<'PYTHON'")
                origin[len(lines)] = block.line
            for offset, code in enumerate(block.code.splitlines(), start=1):
                lines.append(code)
                origin[len(lines)] = block.line + offset
            if block.lang == "python":
                lines.append("PYTHON")
        lines.append(f"echo '{DONE}'")
        return cls("\n".join(lines) + "\n", origin)


@dataclass(frozen=True)
class Run:
    script: Script
    returncode: int
    output: str  # stdout and stderr, interleaved

    def problems(self) -> list[str]:
        found = [f"exit status {self.returncode}"] if self.returncode else []
        if not self.output.rstrip().endswith(DONE):
            found.append("the script stopped before its end")
        for line in self.output.splitlines():
            if ERRORS.search(line):
                script_line = re.search(r"walkthrough\.sh: line (\d+):", line)
                where = script_line and self.script.origin.get(int(script_line.group(1)))
                found.append(f"{line}  [Markdown line {where}]" if where else line)
        return found

    def report(self) -> str:
        return "\n".join(["problems:", *self.problems(), "", "output:", self.output])


def run_walkthrough(blocks: list[Block], workdir: Path, env: dict[str, str]) -> Run:
    script = Script.of(blocks)
    path = workdir / "walkthrough.sh"
    path.write_text(script.text)
    done = subprocess.run(
        ["bash", path.name],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    return Run(script, done.returncode, done.stdout)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text()


@pytest.fixture(scope="module")
def webhook_secret(readme: str) -> str:
    """The secret the README starts `make run` with (the blocks sign with it)."""
    found = re.search(r"^POINTS_WEBHOOK_SECRETS=(whsec_[A-Za-z0-9+/=]+) make run$", readme, re.M)
    assert found, "the README no longer says how to start make run with a webhook secret"
    return found.group(1)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """Like the repository after `make install`, for the blocks: `.venv` is this test run's virtualenv."""
    assert shutil.which("curl"), "the README's walkthrough needs curl (make test installs it)"
    work = tmp_path / "work"
    work.mkdir()
    (work / ".venv").symlink_to(EXE.parent.parent, target_is_directory=True)
    assert (work / ".venv" / "bin" / "python").exists() and (work / ".venv" / "bin" / "points-service").exists()
    return work


@pytest.fixture
def service(
    template_db: Path,
    tmp_path: Path,
    webhook_secret: str,
    monkeypatch: pytest.MonkeyPatch,
    start_server: Callable[..., Server],
) -> Iterator[Server]:
    """`points-service serve` on a new SQLite database, with the README's webhook secret and one
    admin key (made as the README says to replace a lost one); the ledger verifies afterwards."""
    path = tmp_path / "points.db"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    created = run_cli(url, "keys", "create", "--role", "admin", "--name", "readme-admin")
    assert created.returncode == 0, created.stderr
    monkeypatch.setenv("POINTS_WEBHOOK_SECRETS", webhook_secret)  # read by the server at start
    server = start_server(url, serve_argv(url), {"admin": created.stdout.strip()})
    yield server
    server.stop()
    checked = run_cli(url, "verify")
    assert checked.returncode == 0, f"points-service verify failed:\n{checked.stdout}\n{checked.stderr}"


def blocks_env(server: Server, **extra: str) -> dict[str, str]:
    """The environment of a reader's shell beside `make run`: no ADMIN unless given."""
    env = server_env(server.url, POINTS_URL=server.base_url, **extra)
    for name in ("ADMIN", "POINTS_PROBLEM_BASE_URI"):
        if name not in extra:
            env.pop(name, None)
    return env


# --------------------------------------------------------------------------- the walkthrough


def test_the_walkthrough_blocks_are_the_ones_to_run(readme: str, webhook_secret: str) -> None:
    blocks = walkthrough_blocks(readme)
    code = "".join(b.code for b in blocks)
    assert [b.lang for b in blocks].count("python") == 1
    for step in ("keys create", "/tickets", "/resolve", "/webhooks/billing", "points-service statement"):
        assert step in code, f"no walkthrough block does {step!r}"
    # Never `make run`/`make test` (the Quick start's block), nor a fixed port, nor another secret.
    assert not re.search(r"^\s*make\b", code, re.M)
    for default in URL_DEFAULTS:
        code = code.replace(default, "")
    assert ":8000" not in code, "a block names the service other than through POINTS_URL"
    assert set(re.findall(r"whsec_[A-Za-z0-9+/=]+", code)) == {webhook_secret}


def test_the_walkthrough_runs_twice_on_one_database(readme: str, workdir: Path, service: Server) -> None:
    blocks = walkthrough_blocks(readme)
    refs: list[str] = []
    for run_number, env in enumerate(
        [blocks_env(service, ADMIN=service.keys["admin"]), blocks_env(service)],  # then without ADMIN
        start=1,
    ):
        run = run_walkthrough(blocks, workdir, env)
        print(f"--- run {run_number}\n{run.output}")
        assert run.problems() == [], run.report()

        # The ticket it opened, resolved: 25 points taken (part 3 of the CLI statement).
        resolved = re.findall(r"^\s+(HD-\S+)\s+store-problem\s+resolved\s+25\s+0\s+25\s", run.output, re.M)
        assert len(resolved) == run_number and resolved[1:] == refs, run.output
        refs = resolved
        if run_number == 1:  # on a new database: the statement the README shows
            assert generic(statement_in(run.output)) == generic(sample_statement(readme))
        # The payment event applied, then its retry replayed; the license event applied.
        assert re.search(r'"type":"payment.succeeded","outcome":"applied",[^\n]*"replayed":false', run.output)
        assert re.search(r'"type":"payment.succeeded","outcome":"applied",[^\n]*"replayed":true', run.output)
        assert re.search(r"^200 \{'id': 'evt_\w+', 'type': 'license.purchased', 'outcome': 'applied'", run.output, re.M)
        assert '{"ok": true' in run.output and re.search(r"^revoked viewer-", run.output, re.M)
        # The ticket that waited for points: awaiting, then captured by the purchase.
        waited = re.findall(r'"status": "(\w+)",\s*"captured_points": (\d+)', run.output)
        assert ("awaiting_points", "0") in waited and waited.index(("awaiting_points", "0")) < len(waited) - 1
        assert waited[waited.index(("awaiting_points", "0")) + 1][0] == "open", waited
        # The dispute on it, accepted: 50 points credited back.
        assert re.search(r'"status": "accepted",\s*"points_credited": 50', run.output), run.output

        # Through the API: each run bought three times (through the API, through a webhook event,
        # and before the as-of read) and sent a license event; none was a no-op the second time.
        admin = {"Authorization": f"Bearer {service.keys['admin']}"}
        with httpx.Client(base_url=service.base_url, headers=admin, timeout=30) as http:
            ledger = http.get(f"/v1/accounts/{ACCOUNT}/ledger", params={"kind": "purchase", "limit": 500}).json()
            events = http.get("/v1/admin/webhook-events", params={"limit": 500}).json()
        assert len(ledger["items"]) == 3 * run_number, ledger
        settled = sorted((e["type"], e["outcome"], e["attempts"]) for e in events["items"])
        assert settled == sorted(
            [("license.purchased", "applied", 1), ("payment.succeeded", "applied", 1)] * run_number
        )


# --------------------------------------------------------------------------- the runner's own failures


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param(
            "curl -sS --fail-with-body $POINTS_URL/v1/tickets/<id>/resolve -d '{}'\n", "No such file", id="placeholder"
        ),
        pytest.param('curl -sS --fail-with-body "http://127.0.0.1:9/v1/plans"\n', "curl: (7)", id="unreachable"),
        pytest.param("false | cat\necho went on\n", "exit status 1", id="pipeline"),
        pytest.param("exit 0\n", "stopped before its end", id="early-exit"),
        pytest.param("no-such-command || true\n", "command not found", id="error-ignored"),
    ],
)
def test_the_runner_fails_on(code: str, expected: str, workdir: Path, tmp_path: Path) -> None:
    env = {**server_env(f"sqlite:///{tmp_path}/none.db"), "POINTS_URL": "http://127.0.0.1:9"}
    run = run_walkthrough([Block(1, "sh", "echo before\n"), Block(5, "sh", code)], workdir, env)
    assert run.problems(), run.output
    assert expected in "\n".join(run.problems()), run.report()


def test_the_runner_fails_on_a_python_traceback(workdir: Path) -> None:
    run = run_walkthrough([Block(1, "python", "print('before')\n1 / 0\n")], workdir, server_env("sqlite://"))
    assert any("Traceback" in p for p in run.problems()), run.output


def test_the_runner_fails_on_an_error_answer(workdir: Path, service: Server) -> None:
    request = 'curl -sS --fail-with-body "$POINTS_URL/v1/accounts/nobody" -H "Authorization: Bearer $ADMIN"\n'
    env = blocks_env(service, ADMIN=service.keys["admin"])
    failing = run_walkthrough([Block(1, "sh", request)], workdir, env)
    assert "exit status 22" in failing.problems() and any("/problems/not-found" in p for p in failing.problems())
    # without --fail-with-body curl exits 0, but the problem document it prints is caught
    quiet = run_walkthrough([Block(1, "sh", request.replace(" --fail-with-body", ""))], workdir, env)
    assert quiet.returncode == 0 and any("/problems/not-found" in p for p in quiet.problems()), quiet.report()


def test_a_mark_must_precede_a_block() -> None:
    with pytest.raises(ValueError, match="not followed"):
        walkthrough_blocks(f"{MARK}\n\nSome prose.\n\n```sh\necho hi\n```\n")
    with pytest.raises(ValueError, match="no "):
        walkthrough_blocks("```sh\nmake run\n```\n")  # an unmarked block is never run
    assert walkthrough_blocks(f"```sh\nmake run\n```\n{MARK}\n```sh\necho hi\n```\n") == [Block(5, "sh", "echo hi\n")]
