"""`expire`, `purge` and `verify`: the expiry sweep, the idempotency purge, the ledger check."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta
from typing import Annotated

import typer

from ..domain.clock import SystemClock
from ..settings import get_settings
from .common import run, system_context


def expire(account: Annotated[str | None, typer.Option(help="only this account")] = None) -> None:
    """Run the sweep now (expiries, expiry notices; without --account also the purges) and print
    what it did."""
    from ..services.housekeeping import housekeep, policy_of

    settings = get_settings()
    done = run(settings, lambda db: housekeep(db, system_context(), policy_of(settings), account_id=account))
    typer.echo(
        json.dumps(
            {
                **asdict(done.sweep),
                "purged_events": done.purged_events,
                "purged_idempotency_keys": done.purged_responses,
                "purged_sessions": done.purged_sessions,
            }
        )
    )


def purge() -> None:
    """Delete stored Idempotency-Key responses older than POINTS_IDEMPOTENCY_TTL_HOURS."""
    from ..services.idempotency import PurgeResponses

    settings = get_settings()
    before = SystemClock().now() - timedelta(hours=settings.idempotency_ttl_hours)
    purged = run(settings, lambda db: db.write(PurgeResponses(before=before)))
    typer.echo(json.dumps({"purged_idempotency_keys": purged.responses}))


def verify(account: Annotated[str | None, typer.Option(help="only this account")] = None) -> None:
    """Check the ledger; exit status 1 on any disagreement."""
    from ..services.verify import verify as run_verify

    report = run(get_settings(), lambda db: db.read_long(run_verify, account_id=account))
    typer.echo(
        json.dumps(
            {
                "ok": report.ok,
                "checked_accounts": report.checked_accounts,
                "checked_lots": report.checked_lots,
                "disagreements": [asdict(d) for d in report.disagreements],
            },
            default=str,
        )
    )
    if not report.ok:
        raise typer.Exit(1)
