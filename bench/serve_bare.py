"""Serve bench/bare_app.py (`ceiling_bare`) the way `points-service serve` serves the service.

    .venv/bin/python bench/serve_bare.py --host 127.0.0.1 --port 8001 --workers 1

The same `uvicorn.run` settings as `points_service.cli.serve` — an app factory, the same number of
workers, the same HTTP protocol (httptools with the service's bound on a request's head), no
access log, no logging configuration (`log_config=None`), log level warning (the service's under
POINTS_LOG_LEVEL=WARNING, as `bench/run.py` runs it) — so that the only difference from the
`ceiling_post` run is the app.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from points_service.api.protocol import BoundedHttpToolsProtocol

BENCH = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        "bare_app:create_bare_app",
        app_dir=str(BENCH),
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        http=BoundedHttpToolsProtocol,
        log_level="warning",
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
