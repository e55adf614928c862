"""Write the OpenAPI document of the app: `python -m points_service.openapi [PATH]`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .app import create_app
from .settings import Settings


def document() -> dict[str, Any]:
    # An in-memory database: generating the document touches no file and no server.
    return create_app(Settings(database_url="sqlite://")).openapi()


def render() -> str:
    return json.dumps(document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    text = render()
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
