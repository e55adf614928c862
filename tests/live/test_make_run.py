"""`make run` as the README has it: `HOST` and `PORT` choose where it serves, and the admin key it
prints works there."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from support.servers import READY_TIMEOUT, free_port, server_env, stop_process, tail

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_serves_on_the_port_asked_for(tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "make-run.log"
    env = server_env(f"sqlite:///{tmp_path / 'points.db'}")
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["make", "-s", "-C", str(ROOT), "run", "HOST=127.0.0.1", f"PORT={port}"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=2.0) as http:
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    if http.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
            else:
                pytest.fail(f"make run did not serve on port {port}:\n{tail(log)}")
            printed = log.read_text()
            match = re.search(rf"Bearer (pts_[A-Za-z0-9_-]+)' http://127\.0\.0\.1:{port}/v1/plans", printed)
            assert match, printed
            r = http.get("/v1/plans", headers={"Authorization": f"Bearer {match.group(1)}"})
            assert r.status_code == 200, r.text
    finally:
        stop_process(process)
