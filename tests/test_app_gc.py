"""The app's lifespan hides what start-up made from the garbage collector while it serves.

A full collection walked every object of the process (some 140,000 after start-up, about 100 ms
here), and every request waited for it: the p99 of most `make bench` scenarios was that pause
(docs/performance.md, "The garbage collector's pauses"). `gc.freeze()` at the end of start-up moves
those objects out of its sight; shutdown gives them back.
"""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from points_service.app import create_app
from points_service.settings import Settings

from conftest import FrozenClock


def test_start_up_freezes_what_it_made_and_shutdown_thaws_it(settings: Settings) -> None:
    app = create_app(settings, clock=FrozenClock())
    gc.unfreeze()  # whatever an earlier test left frozen
    with TestClient(app) as client:
        frozen = gc.get_freeze_count()
        assert frozen > 10_000, frozen  # the app, its routes and models, the modules
        assert client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() == 0
