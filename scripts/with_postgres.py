#!/usr/bin/env python3
"""Run a command with a throwaway PostgreSQL cluster: `with_postgres.py -- CMD [ARGS…]`.

The cluster listens on 127.0.0.1 at a free port, runs as a non-root user (initdb refuses root),
and is stopped and deleted when the command ends, whatever its outcome. The command sees
POINTS_TEST_DATABASE_URL, POINTS_TEST_PG_RESTART: the command that restarts the cluster as a
crash would (`pg_ctl restart -m immediate`, as a JSON list of arguments), for the test that
restarts the database under load, and POINTS_TEST_PG_DATA: the cluster's data directory (its
postmaster.pid names the server process, for the test that freezes the server). If
POINTS_TEST_DATABASE_URL is already set, the command runs against that server instead, no cluster
is started, and that test is skipped.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path


def bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    sys.exit("with_postgres: initdb not found; install Debian's postgresql package (make test does)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def as_user(user: str | None, args: list[str]) -> list[str]:
    return ["runuser", "-u", user, "--", *args] if user else args


def main() -> int:
    argv = sys.argv[1:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        sys.exit(__doc__)
    if os.environ.get("POINTS_TEST_DATABASE_URL"):
        return subprocess.call(argv)

    bin_ = bindir()
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        try:
            pwd.getpwnam(user)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", user], check=True)
    root = Path(tempfile.mkdtemp(prefix="points-pg-"))
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    if user:
        shutil.chown(root, user)
        shutil.chown(sockets, user)
    port = free_port()
    quiet = {"stdout": subprocess.DEVNULL}
    try:
        subprocess.run(
            as_user(
                user,
                [str(bin_ / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
            ),
            check=True,
            **quiet,
        )
        options = (
            f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c max_connections=300 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        subprocess.run(
            as_user(
                user,
                [str(bin_ / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "server.log"), "-w", "start"],
            ),
            check=True,
            **quiet,
        )
        # Immediate mode: the server stops as if it crashed, and recovers from its WAL on start.
        # pg_ctl restarts it with the options it was started with (postmaster.opts).
        restart = [
            str(bin_ / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(root / "server.log"),
            "-m",
            "immediate",
            "-w",
            "restart",
        ]
        env = {
            **os.environ,
            "POINTS_TEST_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
            "POINTS_TEST_PG_RESTART": json.dumps(as_user(user, restart)),
            "POINTS_TEST_PG_DATA": str(data),
        }
        print(f"with_postgres: PostgreSQL {bin_.parts[-2]} on 127.0.0.1:{port}", file=sys.stderr, flush=True)
        return subprocess.call(argv, env=env)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                as_user(user, [str(bin_ / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]), **quiet
            )
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
