"""Regenerate the Python client `points_service_client` from openapi/openapi.json.

    python scripts/generate_client.py [OUTPUT]     # default: clients/python (what `make client` does)

The staleness test (tests/test_client.py) runs the same into a temporary directory and compares.
openapi-python-client formats its output with the `ruff` it finds on PATH; the interpreter's own
bin directory goes first, so the output depends only on the versions pinned in pyproject.toml.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "openapi" / "openapi.json"
CONFIG = ROOT / "clients" / "openapi-python-client.yaml"
OUTPUT = ROOT / "clients" / "python"


def main(output: Path) -> int:
    # --overwrite only replaces api/ and models/: start from nothing, so no stale file survives
    if (output / "points_service_client").is_dir():
        shutil.rmtree(output)
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]),
        "RUFF_NO_CACHE": "true",  # no .ruff_cache/ inside the generated tree
    }
    argv = [
        sys.executable, "-m", "openapi_python_client", "generate",
        "--path", str(DOCUMENT),
        "--config", str(CONFIG),
        "--meta", "setup",  # setup.py: `pip install clients/python` needs nothing but setuptools
        "--output-path", str(output),
        "--overwrite",
        "--fail-on-warning",  # e.g. ruff missing from PATH: unformatted output would look stale
    ]  # fmt: skip
    return subprocess.run(argv, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else OUTPUT))
