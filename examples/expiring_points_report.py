"""Accounts whose points expire in the next N days: the "use them or lose them" list.

An example of the generated Python client (`pip install clients/python`):

    export POINTS_API_KEY=pts_…          # an admin, billing or helpdesk key
    python examples/expiring_points_report.py --days 30
    python examples/expiring_points_report.py --days 7 --csv > expiring.csv

It calls `GET /v1/accounts?expiring_before=<now + N days>` and follows `next_cursor` to the last
page. Errors (a bad key, an unreachable server…) are reported on stderr with exit status 1.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx

from points_service_client import AuthenticatedClient
from points_service_client.api.accounts import list_accounts
from points_service_client.errors import UnexpectedStatus
from points_service_client.models import ExpiringAccount, PageExpiringAccount, Problem
from points_service_client.types import UNSET

COLUMNS = ("account_id", "display_name", "expiring_points", "earliest_expiry")


class ApiError(Exception):
    pass


def expiring_accounts(client: AuthenticatedClient, before: datetime, page_size: int) -> Iterator[ExpiringAccount]:
    """Every account with available points expiring before `before`, soonest first."""
    cursor = UNSET
    while True:
        page = list_accounts.sync(client=client, expiring_before=before, limit=page_size, cursor=cursor)
        if isinstance(page, Problem):  # the documented errors: 401, 403, 422
            raise ApiError(f"{page.status} {page.title}: {page.detail}")
        if not isinstance(page, PageExpiringAccount):
            raise ApiError(f"unexpected response: {page!r}")
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def row(account: ExpiringAccount) -> tuple[str, str, int, str]:
    earliest = min(lot.expires_at for lot in account.expiring)
    return (
        account.account_id,
        account.display_name or "",
        account.expiring_points,
        earliest.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def print_table(rows: list[tuple[str, str, int, str]], days: int) -> None:
    if not rows:
        print(f"No points expire in the next {days} days.")
        return
    cells = [(account_id, name, str(points), expiry) for account_id, name, points, expiry in rows]
    w = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(COLUMNS)]
    line = f"{{:<{w[0]}}}  {{:<{w[1]}}}  {{:>{w[2]}}}  {{:<{w[3]}}}"
    for values in [COLUMNS, ["-" * n for n in w], *cells]:
        print(line.format(*values).rstrip())
    print(f"\n{len(rows)} accounts, {sum(r[2] for r in rows)} points expiring in the next {days} days.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="the service (default: %(default)s)")
    parser.add_argument("--token", default=os.environ.get("POINTS_API_KEY"), help="API key (default: $POINTS_API_KEY)")
    parser.add_argument("--days", type=int, default=30, help="look this many days ahead (default: %(default)s)")
    parser.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    parser.add_argument("--page-size", type=int, default=100, help="accounts per request, 1-500 (default: %(default)s)")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("an API key is needed: --token or POINTS_API_KEY")
    if args.days < 1:
        parser.error("--days must be at least 1")

    before = datetime.now(UTC) + timedelta(days=args.days)
    client = AuthenticatedClient(
        base_url=args.base_url, token=args.token, timeout=httpx.Timeout(30.0), raise_on_unexpected_status=True
    )
    try:
        with client:
            rows = [row(account) for account in expiring_accounts(client, before, args.page_size)]
    except ApiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except UnexpectedStatus as exc:  # an undocumented status, e.g. 503 database-busy
        print(f"error: HTTP {exc.status_code}: {exc.content.decode(errors='replace')}", file=sys.stderr)
        return 1
    except httpx.HTTPError as exc:  # connection refused, timeout…
        print(f"error: {args.base_url}: {exc}", file=sys.stderr)
        return 1

    if args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    else:
        print_table(rows, args.days)
    return 0


if __name__ == "__main__":
    sys.exit(main())
