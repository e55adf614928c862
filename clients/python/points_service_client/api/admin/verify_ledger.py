from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.verify_report import VerifyReport
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    account_id: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["account_id"] = account_id

    params["limit"] = limit

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/admin/verify",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | VerifyReport | None:
    if response.status_code == 200:
        response_200 = VerifyReport.from_dict(response.json())

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | VerifyReport]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    account_id: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> Response[Problem | VerifyReport]:
    """Recompute every balance and compare

     Recomputes every balance from the ledger's postings and the lots and compares with the
    stored counters; `ok` is false and `disagreements` lists each mismatch otherwise. Without
    `account_id` or `limit`, the whole database in one snapshot (on a large database this may take
    longer than `POINTS_DB_STATEMENT_TIMEOUT`: 503; use `limit`, or `points-service verify`). With
    `limit`, a page of accounts, each page its own snapshot, continued by `next_cursor` (which
    keeps the page size unless `limit` is given again). With `account_id`, that account alone.

    Args:
        account_id (str | Unset): only this account
        limit (int | Unset): check a page of this many accounts (by id), continued with
            `next_cursor`: a large database checked page by page, each page within the request's time
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | VerifyReport]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
        limit=limit,
        cursor=cursor,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    account_id: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> Problem | VerifyReport | None:
    """Recompute every balance and compare

     Recomputes every balance from the ledger's postings and the lots and compares with the
    stored counters; `ok` is false and `disagreements` lists each mismatch otherwise. Without
    `account_id` or `limit`, the whole database in one snapshot (on a large database this may take
    longer than `POINTS_DB_STATEMENT_TIMEOUT`: 503; use `limit`, or `points-service verify`). With
    `limit`, a page of accounts, each page its own snapshot, continued by `next_cursor` (which
    keeps the page size unless `limit` is given again). With `account_id`, that account alone.

    Args:
        account_id (str | Unset): only this account
        limit (int | Unset): check a page of this many accounts (by id), continued with
            `next_cursor`: a large database checked page by page, each page within the request's time
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | VerifyReport
    """

    return sync_detailed(
        client=client,
        account_id=account_id,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    account_id: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> Response[Problem | VerifyReport]:
    """Recompute every balance and compare

     Recomputes every balance from the ledger's postings and the lots and compares with the
    stored counters; `ok` is false and `disagreements` lists each mismatch otherwise. Without
    `account_id` or `limit`, the whole database in one snapshot (on a large database this may take
    longer than `POINTS_DB_STATEMENT_TIMEOUT`: 503; use `limit`, or `points-service verify`). With
    `limit`, a page of accounts, each page its own snapshot, continued by `next_cursor` (which
    keeps the page size unless `limit` is given again). With `account_id`, that account alone.

    Args:
        account_id (str | Unset): only this account
        limit (int | Unset): check a page of this many accounts (by id), continued with
            `next_cursor`: a large database checked page by page, each page within the request's time
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | VerifyReport]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    account_id: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> Problem | VerifyReport | None:
    """Recompute every balance and compare

     Recomputes every balance from the ledger's postings and the lots and compares with the
    stored counters; `ok` is false and `disagreements` lists each mismatch otherwise. Without
    `account_id` or `limit`, the whole database in one snapshot (on a large database this may take
    longer than `POINTS_DB_STATEMENT_TIMEOUT`: 503; use `limit`, or `points-service verify`). With
    `limit`, a page of accounts, each page its own snapshot, continued by `next_cursor` (which
    keeps the page size unless `limit` is given again). With `account_id`, that account alone.

    Args:
        account_id (str | Unset): only this account
        limit (int | Unset): check a page of this many accounts (by id), continued with
            `next_cursor`: a large database checked page by page, each page within the request's time
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | VerifyReport
    """

    return (
        await asyncio_detailed(
            client=client,
            account_id=account_id,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
