"""The container set-up, checked without a Docker engine (none exists where the tests run).

* The Dockerfile is parsed: two stages, a non-root user, a health check, `points-service serve`.
* Its build stage is replayed on this machine: the files it COPYs (minus .dockerignore) go to a
  fresh folder, a fresh virtualenv gets `pip install --no-cache-dir .` from there, exactly as in
  the image, and the installed `points-service` then migrates and serves from a working
  directory outside the repository (so the migrations must ship inside the package), answering
  the image's own HEALTHCHECK command. This needs the package index (or the machine's local
  wheel folders) for the dependencies, and takes a while: one full `pip install`.
* compose.yaml is checked as text always, and structurally when PyYAML happens to be importable
  (it is not a dependency of the project; uvicorn[standard] usually brings it).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
PIP_TIMEOUT = 600  # seconds: a full install of the dependencies
SERVE_TIMEOUT = 30  # seconds for the served app to answer /healthz


# --- the Dockerfile ----------------------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str
    args: str


def parse_dockerfile(text: str) -> list[list[Instruction]]:
    """Instructions grouped by stage (a minimal parser: continuation lines, comments, no heredocs)."""
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue  # comments (and the `# syntax=` directive) between instructions
        if current and line.startswith("#"):
            continue  # comment lines inside a continued instruction are dropped, as Docker does
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    if current.strip():
        logical.append(current)
    stages: list[list[Instruction]] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        instruction = Instruction(keyword.upper(), " ".join(args.split()))
        if instruction.keyword == "FROM":
            stages.append([])
        assert stages, f"instruction before the first FROM: {line}"
        stages[-1].append(instruction)
    return stages


def _exec_form(args: str) -> list[str]:
    """`["a", "b"]` (exec form) or `a b` (shell form) as a list of words."""
    if args.startswith("["):
        return json.loads(args)
    return shlex.split(args)


def _one(stage: list[Instruction], keyword: str) -> Instruction:
    found = [i for i in stage if i.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword} in the stage, found {len(found)}"
    return found[0]


def _env(stage: list[Instruction]) -> dict[str, str]:
    values: dict[str, str] = {}
    for instruction in stage:
        if instruction.keyword == "ENV":
            for word in shlex.split(instruction.args):
                name, eq, value = word.partition("=")
                assert eq, f"ENV in key=value form only: {instruction.args}"
                values[name] = value
    return values


STAGES = parse_dockerfile(DOCKERFILE.read_text())
BUILD, RUNTIME = STAGES[0], STAGES[-1]


class TestDockerfile:
    def test_is_multi_stage(self):
        froms = [stage[0].args for stage in STAGES]
        assert len(froms) == 2, froms
        alias = froms[0].split()[-1]
        assert froms[0].split()[-2].upper() == "AS", "the build stage is named"
        # the runtime stage takes only the built virtualenv from the build stage
        copies = [i.args for i in RUNTIME if i.keyword == "COPY"]
        assert copies and all(c.startswith(f"--from={alias} ") for c in copies), copies
        assert not any(i.keyword == "RUN" and "pip install" in i.args for i in RUNTIME)

    def test_both_stages_use_the_same_python(self):
        assert STAGES[0][0].args.split()[0] == STAGES[1][0].args.split()[0]

    def test_runs_as_a_non_root_user_that_owns_its_data_directory(self):
        user = _one(RUNTIME, "USER").args.split(":")[0]
        assert user not in ("root", "0")
        # the user is created, and the directory of the default SQLite file is writable by it
        runs = " ".join(i.args for i in RUNTIME if i.keyword == "RUN")
        assert re.search(rf"useradd\b.*\b{re.escape(user)}\b", runs)
        url = _env(RUNTIME)["POINTS_DATABASE_URL"]
        data_dir = str(Path(url.removeprefix("sqlite:///")).parent)
        assert re.search(rf"chown\s+{re.escape(user)}\S*\s+{re.escape(data_dir)}\b", runs), (data_dir, runs)
        assert _one(RUNTIME, "WORKDIR").args == data_dir
        # USER comes after every RUN (nothing runs as root once it is set)
        keywords = [i.keyword for i in RUNTIME]
        assert "RUN" not in keywords[keywords.index("USER") :]

    def test_has_a_healthcheck_on_healthz(self):
        check = _one(RUNTIME, "HEALTHCHECK").args
        assert "CMD" in check and "/healthz" in check
        assert "--interval=" in check and "--timeout=" in check

    def test_its_command_serves_on_every_interface_at_the_exposed_port(self):
        cmd = _exec_form(_one(RUNTIME, "CMD").args)
        assert cmd[:2] == ["points-service", "serve"], cmd
        assert cmd[cmd.index("--host") + 1] == "0.0.0.0"
        assert cmd[cmd.index("--port") + 1] == _one(RUNTIME, "EXPOSE").args
        env = _env(RUNTIME)
        assert env["PATH"].startswith("/opt/venv/bin:")

    def test_is_configured_by_environment_without_secrets(self):
        env = _env(RUNTIME)
        assert env["POINTS_DATABASE_URL"].startswith("sqlite:////")
        assert not any("SECRET" in name or "PASSWORD" in name for name in env)
        assert "whsec_" not in DOCKERFILE.read_text()

    def test_dockerignore_keeps_local_state_out_of_the_build_context(self):
        ignored = (ROOT / ".dockerignore").read_text().split()
        assert {".venv", "var", ".git"} <= set(ignored)


# --- the build stage, replayed -----------------------------------------------------------------


def _dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [p.strip() for p in lines if p.strip() and not p.strip().startswith("#")]


def _ignored(relative: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(relative.split("/")[-1], bare):
            return True
        if relative == pattern or relative.startswith(pattern.rstrip("/") + "/"):
            return True
    return False


def _replay_copy(args: str, workdir: Path, patterns: list[str]) -> None:
    """`COPY src… dest` from the repository (the build context) into the replayed WORKDIR.

    As Docker does: a directory's contents (not the directory) go into `dest`; files go into
    `dest` when it ends with `/` (or there are several sources), else become `dest`.
    """
    *sources, dest = shlex.split(args)
    assert not any(s.startswith("--") for s in sources), f"COPY flags are not replayed: {args}"
    target = workdir / dest
    into = dest.endswith("/") or len(sources) > 1
    for source in sources:
        origin = ROOT / source
        assert origin.exists(), f"COPY of a missing path: {source}"
        if origin.is_dir():

            def ignore(folder: str, names: list[str]) -> set[str]:
                rel = Path(folder).relative_to(ROOT).as_posix()
                return {n for n in names if _ignored(n if rel == "." else f"{rel}/{n}", patterns)}

            shutil.copytree(origin, target, ignore=ignore, dirs_exist_ok=True)
        else:
            destination = target / origin.name if into else target
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, destination)


@dataclass
class Installed:
    venv: Path
    exe: Path
    elsewhere: Path  # a working directory outside the repository
    env: dict[str, str]
    data_dir: Path
    install_seconds: float


def _clean_env(venv: Path, database_url: str) -> dict[str, str]:
    """This process's environment minus anything that could point back into the repository."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("POINTS_") and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["POINTS_DATABASE_URL"] = database_url
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The build stage, replayed: COPY into a fresh WORKDIR, then the RUN's venv and pip install."""
    base = tmp_path_factory.mktemp("image")
    assert ROOT not in base.parents, "the replay must happen outside the repository"
    workdir = base / "build" / _one(BUILD, "WORKDIR").args.lstrip("/")
    workdir.mkdir(parents=True)
    patterns = _dockerignore()
    for instruction in BUILD:
        if instruction.keyword == "COPY":
            _replay_copy(instruction.args, workdir, patterns)
    (run,) = [i.args for i in BUILD if i.keyword == "RUN"]
    assert run == "python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir .", (
        "the build stage's RUN changed: update this replay to match it"
    )
    venv = base / "opt" / "venv"
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--no-cache-dir", "."],
        cwd=workdir,
        env=_clean_env(venv, ""),
        capture_output=True,
        text=True,
        timeout=PIP_TIMEOUT,
        check=False,
    )
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    install_seconds = time.monotonic() - started
    # the runtime stage's environment, with its data directory moved under tmp
    runtime_url = _env(RUNTIME)["POINTS_DATABASE_URL"]
    image_data_dir = str(Path(runtime_url.removeprefix("sqlite:///")).parent)
    data_dir = base / image_data_dir.lstrip("/")
    data_dir.mkdir(parents=True)
    url = runtime_url.replace(f"///{image_data_dir}/", f"///{data_dir}/")
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    return Installed(
        venv=venv,
        exe=venv / "bin" / "points-service",
        elsewhere=elsewhere,
        env=_clean_env(venv, url),
        data_dir=data_dir,
        install_seconds=install_seconds,
    )


def _run(installed: Installed, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=installed.elsewhere, env=installed.env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class TestInstalledPackage:
    def test_installs_outside_the_repository_with_its_migrations(self, installed):
        print(f"\nreplayed build stage (venv + pip install): {installed.install_seconds:.1f} s")
        probe = _run(
            installed,
            str(installed.venv / "bin" / "python"),
            "-c",
            "import pathlib, points_service.migrations as m; print(pathlib.Path(m.__file__).parent)",
        )
        assert probe.returncode == 0, probe.stderr
        migrations = Path(probe.stdout.strip())
        # imported from the new virtualenv, not from the repository (no editable install)
        assert installed.venv in migrations.parents and ROOT not in migrations.parents
        assert (migrations / "env.py").is_file() and (migrations / "script.py.mako").is_file()
        assert list((migrations / "versions").glob("*.py"))

    def test_ships_the_docs_pages_assets_with_their_licences(self, installed):
        probe = _run(
            installed,
            str(installed.venv / "bin" / "python"),
            "-c",
            "from points_service.api.docs_ui import ASSETS_DIR; print(ASSETS_DIR)",
        )
        assert probe.returncode == 0, probe.stderr
        assets = Path(probe.stdout.strip())
        assert installed.venv in assets.parents and ROOT not in assets.parents

        def files(folder: Path) -> set[str]:
            return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}

        assert files(assets) == files(ROOT / "src" / "points_service" / "api" / "docs_assets")

    def test_migrates_a_sqlite_file_from_elsewhere(self, installed, template_db):
        result = _run(installed, str(installed.exe), "migrate")
        assert result.returncode == 0, result.stderr
        assert "latest schema" in result.stdout
        db_file = installed.data_dir / "points.db"
        assert db_file.is_file()
        assert not (installed.elsewhere / "var").exists()  # the configured URL was used, not the default
        with sqlite3.connect(db_file) as conn:
            version = conn.execute("SELECT version_num FROM alembic_version").fetchall()
            plans = {row[0] for row in conn.execute("SELECT code FROM plans")}
        with sqlite3.connect(template_db) as conn:  # migrated by the repository's own code
            expected = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        assert version == expected
        assert {"points-60", "points-120", "points-300", "points-1200"} <= plans
        again = _run(installed, str(installed.exe), "migrate")
        assert again.returncode == 0, again.stderr

    def test_serves_and_answers_its_healthcheck(self, installed):
        created = _run(installed, str(installed.exe), "keys", "create", "--role", "admin", "--name", "smoke")
        assert created.returncode == 0, created.stderr
        secret = created.stdout.strip()

        port = free_port()
        cmd = _exec_form(_one(RUNTIME, "CMD").args)  # the image's command, on loopback and a free port
        cmd[cmd.index("--host") + 1] = "127.0.0.1"
        cmd[cmd.index("--port") + 1] = str(port)
        cmd[0] = str(installed.venv / "bin" / cmd[0])
        log = installed.elsewhere / "serve.log"
        with log.open("w") as out:
            server = subprocess.Popen(
                cmd, cwd=installed.elsewhere, env=installed.env, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + SERVE_TIMEOUT
            status = None
            while time.monotonic() < deadline:
                assert server.poll() is None, f"serve exited with {server.returncode}:\n{log.read_text()[-3000:]}"
                try:
                    status, body = _get(f"{base}/healthz")
                    break
                except OSError:
                    time.sleep(0.2)
            assert status == 200, f"no answer on /healthz within {SERVE_TIMEOUT} s:\n{log.read_text()[-3000:]}"
            assert json.loads(body) == {"status": "ok"}

            assert _get(f"{base}/readyz")[0] == 200
            status, body = _get(f"{base}/v1/plans", {"Authorization": f"Bearer {secret}"})
            assert status == 200, body
            assert "points-60" in {p["code"] for p in json.loads(body)["items"]}

            # the image's HEALTHCHECK command, run by the installed interpreter
            check = _one(RUNTIME, "HEALTHCHECK").args
            words = _exec_form(check[check.index("CMD") + len("CMD") :].strip())
            assert words[0] == "python"
            words[0] = str(installed.venv / "bin" / "python")
            words = [w.replace(":8000/", f":{port}/") for w in words]
            healthcheck = _run(installed, *words, timeout=10)
            assert healthcheck.returncode == 0, healthcheck.stderr
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)
        # a graceful stop: uvicorn shuts the app down, then re-raises SIGTERM (as a container stop expects)
        assert server.returncode in (0, -signal.SIGTERM), log.read_text()[-3000:]
        assert "Application shutdown complete" in log.read_text()


# --- compose.yaml ------------------------------------------------------------------------------

PG_URL = "postgresql+psycopg://points:points@db:5432/points"


class TestComposeText:
    """Line checks that need no YAML parser."""

    text = COMPOSE.read_text()

    def test_names_the_environment_variables(self):
        assert re.search(rf"^\s+POINTS_DATABASE_URL:\s*{re.escape(PG_URL)}(\s+#.*)?$", self.text, re.MULTILINE)
        assert re.search(r"^\s+POINTS_WEBHOOK_SECRETS:\s*\$\{POINTS_WEBHOOK_SECRETS:-\}\s*$", self.text, re.MULTILINE)

    def test_commits_no_secret(self):
        assert "whsec_" not in re.sub(r"(?m)^\s*#.*$", "", self.text)  # only the usage comment mentions the prefix
        # every ${VAR:-default} whose name looks secret has an empty default
        for name, default in re.findall(r"\$\{(\w+):-([^}]*)\}", self.text):
            if re.search(r"SECRET|PASSWORD|TOKEN|KEY", name):
                assert default == "", name
        # the one literal password is the local database's, and says it is dev-only
        for line in self.text.splitlines():
            if "PASSWORD" in line or ":points@" in line:
                assert "dev-only" in line, line

    def test_has_the_database_its_health_and_the_port(self):
        assert re.search(r"^\s+image:\s*postgres:16\s*$", self.text, re.MULTILINE)
        assert "healthcheck:" in self.text and "pg_isready" in self.text
        assert re.search(r"^\s+condition:\s*service_healthy\s*$", self.text, re.MULTILINE)
        assert re.search(r"""^\s+-\s*["']?(?:[\d.]+:)?8000:8000["']?\s*$""", self.text, re.MULTILINE)


@pytest.fixture(scope="module")
def compose() -> dict:
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed; the text checks still ran")
    return yaml.safe_load(COMPOSE.read_text())


class TestComposeStructure:
    """The same file as a YAML document (skipped where PyYAML cannot be imported)."""

    def test_the_service_is_built_from_the_dockerfile_and_configured_by_environment(self, compose):
        (service,) = [s for s in compose["services"].values() if "build" in s]
        build = service["build"]
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        assert (ROOT / context / dockerfile).resolve() == DOCKERFILE
        env = service["environment"]
        assert isinstance(env, dict)
        assert env["POINTS_DATABASE_URL"] == PG_URL
        assert env["POINTS_WEBHOOK_SECRETS"] == "${POINTS_WEBHOOK_SECRETS:-}"
        assert "command" not in service and "entrypoint" not in service  # the image's CMD is used
        assert any(str(p).endswith("8000:8000") for p in service["ports"])

    def test_postgres_is_healthy_before_the_service_starts(self, compose):
        services = compose["services"]
        (service,) = [s for s in services.values() if "build" in s]
        host = PG_URL.split("@")[1].split(":")[0]
        db = services[host]
        assert db["image"] == "postgres:16"
        assert service["depends_on"] == {host: {"condition": "service_healthy"}}
        test = db["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL") and "pg_isready" in " ".join(test)
        # the URL's user, password and database are the ones the database is created with
        user, password = PG_URL.split("//")[1].split("@")[0].split(":")
        assert db["environment"]["POSTGRES_USER"] == user
        assert db["environment"]["POSTGRES_PASSWORD"] == password
        assert db["environment"]["POSTGRES_DB"] == PG_URL.rsplit("/", 1)[1]
        assert "ports" not in db  # the dev-only password never faces the network

    def test_the_database_lives_in_a_named_volume(self, compose):
        db = compose["services"]["db"]
        volumes = [str(v) for v in db["volumes"]]
        named = [v.split(":")[0] for v in volumes if v.endswith(":/var/lib/postgresql/data")]
        assert named and named[0] in compose["volumes"] and not named[0].startswith((".", "/"))
