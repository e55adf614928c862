import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...types import UNSET, Response


def _get_kwargs(
    *,
    from_: datetime.datetime,
    to: datetime.datetime,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_from_ = from_.isoformat()
    params["from"] = json_from_

    json_to = to.isoformat()
    params["to"] = json_to

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/ledger/export",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | str | None:
    if response.status_code == 200:
        response_200 = response.text
        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | str]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    from_: datetime.datetime,
    to: datetime.datetime,
) -> Response[Problem | str]:
    """Export every ledger entry recorded in a period (NDJSON or CSV)

     Every account's ledger entries recorded (`created_at`) in [`from`, `to`), with their
    postings, oldest first (by `created_at`, then `id`), streamed in constant memory whatever the
    period holds.

    * **NDJSON** (`application/x-ndjson`, the default): one entry per line, exactly as
      `GET /v1/accounts/{account_id}/ledger` shows it (`pending` always false).
    * **CSV** (`Accept: text/csv`): a header row, then one row per posting: the entry's columns
      (`id`, `seq`, `account_id`, `kind`, the deltas, the balances after, `lot_id`, `ticket_id`,
      `reason`, `actor`, `created_at`, `effective_at`) repeated on each of its postings' rows, then
      the posting's `posting_idx` (from 0), `lot_id_posted`, `from_state`, `to_state`, `points`. An
      empty cell is null; timestamps are RFC 3339 in UTC.

    Errors found before the first byte (the key, the period, the database) are problem documents;
    a failure after the stream began cuts it short (the response never ends properly), so a client
    can tell a complete export from a truncated one. A period that has ended exports the same
    entries every time; entries are never changed or deleted.

    Args:
        from_ (datetime.datetime): the period's start, included
        to (datetime.datetime): the period's end, excluded; at most 10 years after `from`

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
    """

    kwargs = _get_kwargs(
        from_=from_,
        to=to,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    from_: datetime.datetime,
    to: datetime.datetime,
) -> Problem | str | None:
    """Export every ledger entry recorded in a period (NDJSON or CSV)

     Every account's ledger entries recorded (`created_at`) in [`from`, `to`), with their
    postings, oldest first (by `created_at`, then `id`), streamed in constant memory whatever the
    period holds.

    * **NDJSON** (`application/x-ndjson`, the default): one entry per line, exactly as
      `GET /v1/accounts/{account_id}/ledger` shows it (`pending` always false).
    * **CSV** (`Accept: text/csv`): a header row, then one row per posting: the entry's columns
      (`id`, `seq`, `account_id`, `kind`, the deltas, the balances after, `lot_id`, `ticket_id`,
      `reason`, `actor`, `created_at`, `effective_at`) repeated on each of its postings' rows, then
      the posting's `posting_idx` (from 0), `lot_id_posted`, `from_state`, `to_state`, `points`. An
      empty cell is null; timestamps are RFC 3339 in UTC.

    Errors found before the first byte (the key, the period, the database) are problem documents;
    a failure after the stream began cuts it short (the response never ends properly), so a client
    can tell a complete export from a truncated one. A period that has ended exports the same
    entries every time; entries are never changed or deleted.

    Args:
        from_ (datetime.datetime): the period's start, included
        to (datetime.datetime): the period's end, excluded; at most 10 years after `from`

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
    """

    return sync_detailed(
        client=client,
        from_=from_,
        to=to,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    from_: datetime.datetime,
    to: datetime.datetime,
) -> Response[Problem | str]:
    """Export every ledger entry recorded in a period (NDJSON or CSV)

     Every account's ledger entries recorded (`created_at`) in [`from`, `to`), with their
    postings, oldest first (by `created_at`, then `id`), streamed in constant memory whatever the
    period holds.

    * **NDJSON** (`application/x-ndjson`, the default): one entry per line, exactly as
      `GET /v1/accounts/{account_id}/ledger` shows it (`pending` always false).
    * **CSV** (`Accept: text/csv`): a header row, then one row per posting: the entry's columns
      (`id`, `seq`, `account_id`, `kind`, the deltas, the balances after, `lot_id`, `ticket_id`,
      `reason`, `actor`, `created_at`, `effective_at`) repeated on each of its postings' rows, then
      the posting's `posting_idx` (from 0), `lot_id_posted`, `from_state`, `to_state`, `points`. An
      empty cell is null; timestamps are RFC 3339 in UTC.

    Errors found before the first byte (the key, the period, the database) are problem documents;
    a failure after the stream began cuts it short (the response never ends properly), so a client
    can tell a complete export from a truncated one. A period that has ended exports the same
    entries every time; entries are never changed or deleted.

    Args:
        from_ (datetime.datetime): the period's start, included
        to (datetime.datetime): the period's end, excluded; at most 10 years after `from`

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
    """

    kwargs = _get_kwargs(
        from_=from_,
        to=to,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    from_: datetime.datetime,
    to: datetime.datetime,
) -> Problem | str | None:
    """Export every ledger entry recorded in a period (NDJSON or CSV)

     Every account's ledger entries recorded (`created_at`) in [`from`, `to`), with their
    postings, oldest first (by `created_at`, then `id`), streamed in constant memory whatever the
    period holds.

    * **NDJSON** (`application/x-ndjson`, the default): one entry per line, exactly as
      `GET /v1/accounts/{account_id}/ledger` shows it (`pending` always false).
    * **CSV** (`Accept: text/csv`): a header row, then one row per posting: the entry's columns
      (`id`, `seq`, `account_id`, `kind`, the deltas, the balances after, `lot_id`, `ticket_id`,
      `reason`, `actor`, `created_at`, `effective_at`) repeated on each of its postings' rows, then
      the posting's `posting_idx` (from 0), `lot_id_posted`, `from_state`, `to_state`, `points`. An
      empty cell is null; timestamps are RFC 3339 in UTC.

    Errors found before the first byte (the key, the period, the database) are problem documents;
    a failure after the stream began cuts it short (the response never ends properly), so a client
    can tell a complete export from a truncated one. A period that has ended exports the same
    entries every time; entries are never changed or deleted.

    Args:
        from_ (datetime.datetime): the period's start, included
        to (datetime.datetime): the period's end, excluded; at most 10 years after `from`

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
    """

    return (
        await asyncio_detailed(
            client=client,
            from_=from_,
            to=to,
        )
    ).parsed
