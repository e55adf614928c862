"""The sweep the service runs by itself (`housekeeping.periodic_sweep`, started by the app's
lifespan every POINTS_SWEEP_INTERVAL), driven with the test's clock and a sleep that only
advances it: replicas share it through the `sweep` lease, one sweeps at a time."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest

from points_service import app as app_module
from points_service.app import create_app
from points_service.services.housekeeping import Housekept, periodic_sweep, policy_of, sweep_if_holder, system_context
from points_service.settings import Settings

from conftest import Api

INTERVAL = timedelta(minutes=5)


async def expiring_lot(api: Api, after: timedelta) -> None:
    """An adjustment of 7 points on acme that expires `after` from now."""
    body = {"points": 7, "reason": "trial", "expires_at": (api.clock.now() + after).isoformat()}
    r = await api.post("/v1/accounts/acme/adjustments", body)
    assert r.status_code == 201, r.text


async def test_two_replicas_sweeping_at_once_do_the_work_once(api: Api, settings: Settings) -> None:
    await api.account("acme")
    await expiring_lot(api, timedelta(hours=1))
    api.clock.advance(timedelta(hours=2))
    system, policy = system_context(settings, api.clock), policy_of(settings)

    async def replica(name: str) -> Housekept | None:
        return await sweep_if_holder(api.db, system, policy, INTERVAL, holder=name)

    first = dict(zip("ab", await asyncio.gather(replica("a"), replica("b")), strict=True))
    [holder] = [name for name, done in first.items() if done is not None]
    other = "b" if holder == "a" else "a"
    swept = first[holder]
    assert swept is not None and swept.sweep.expired_lots == 1  # once, by the holder alone
    assert first[other] is None
    # The holder keeps the lease while it sweeps every interval; the other is refused until the
    # holder has missed its turns for two intervals (it died, say), then takes over.
    api.clock.advance(INTERVAL)
    assert await replica(other) is None
    kept = await replica(holder)
    assert kept is not None and kept.sweep.expired_lots == 0  # nothing left to do: done once
    api.clock.advance(2 * INTERVAL - timedelta(microseconds=1))
    assert await replica(other) is None
    api.clock.advance(timedelta(microseconds=1))
    assert await replica(other) is not None
    assert await replica(holder) is None


async def test_the_sweep_runs_every_interval(api: Api, settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    """A sleep that advances the clock: a sweep after each interval, the lot expiring between the
    first and the second found by the second."""
    await api.account("acme")
    await expiring_lot(api, timedelta(minutes=7))
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 4:
            raise asyncio.CancelledError  # the lifespan cancels the task at shutdown
        api.clock.advance(timedelta(seconds=seconds))

    system, policy = system_context(settings, api.clock), policy_of(settings)
    with caplog.at_level(logging.INFO, logger="points_service.sweep"), pytest.raises(asyncio.CancelledError):
        await periodic_sweep(api.db, system, policy, INTERVAL, holder="solo", sleep=sleep)
    assert slept == [300.0] * 4
    runs = [r for r in caplog.records if r.name == "points_service.sweep" and r.getMessage() == "sweep"]
    assert [getattr(r, "expired_lots") for r in runs] == [0, 1, 0]  # noqa: B009 (an extra field: not typed)
    assert (await api.balance())["available"] == 0


@pytest.mark.parametrize("interval", [INTERVAL, timedelta(0)])
async def test_the_service_starts_it_with_its_interval(
    database_url: str, monkeypatch: pytest.MonkeyPatch, interval: timedelta
) -> None:
    started: list[timedelta] = []

    async def recorded(_db: Any, _system: Any, _policy: Any, every: timedelta) -> None:
        started.append(every)
        await asyncio.Event().wait()  # until cancelled

    monkeypatch.setattr(app_module, "periodic_sweep", recorded)
    app = create_app(Settings(database_url=database_url, dispatch=False, sweep_interval=interval))
    async with app.router.lifespan_context(app):
        await asyncio.sleep(0)  # the task starts
    assert started == ([interval] if interval else [])


@pytest.mark.parametrize(
    ("text", "interval"),
    [
        ("0", timedelta(0)),  # off, as the README says
        ("300", timedelta(minutes=5)),
        ("1.5", timedelta(seconds=1, microseconds=500_000)),
        ("PT5M", timedelta(minutes=5)),
        ("PT0S", timedelta(0)),
    ],
)
def test_the_interval_is_read_from_seconds_or_iso_8601(
    monkeypatch: pytest.MonkeyPatch, text: str, interval: timedelta
) -> None:
    monkeypatch.setenv("POINTS_SWEEP_INTERVAL", text)
    monkeypatch.setenv("POINTS_RETURN_GRACE", text)
    assert (Settings().sweep_interval, Settings().return_grace) == (interval, interval)


@pytest.mark.parametrize("text", ["-5", "5 minutes", "1e3"])
def test_an_interval_that_is_neither_is_refused(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv("POINTS_SWEEP_INTERVAL", text)
    with pytest.raises(ValueError, match="sweep_interval"):
        Settings()
