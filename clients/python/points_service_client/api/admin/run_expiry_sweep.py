from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.sweep_result import SweepResult
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    account_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    params: dict[str, Any] = {}

    params["account_id"] = account_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/admin/expire",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | SweepResult | None:
    if response.status_code == 200:
        response_200 = SweepResult.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

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
) -> Response[Problem | SweepResult]:
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
    idempotency_key: str | Unset = UNSET,
) -> Response[Problem | SweepResult]:
    """Persist due expiries now

     Safe to run concurrently and repeatedly: each lot's expiry is written exactly once, and each
    `lot.expiring_soon` notice (`POINTS_EXPIRY_NOTICE_DAYS`) sent once. Without `account_id`, also
    purges events older than `POINTS_EVENT_RETENTION_DAYS` and Idempotency-Key responses older than
    `POINTS_IDEMPOTENCY_TTL_HOURS`. The service also runs it by itself every `POINTS_SWEEP_INTERVAL`.

    Args:
        account_id (str | Unset): only this account
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SweepResult]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    account_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Problem | SweepResult | None:
    """Persist due expiries now

     Safe to run concurrently and repeatedly: each lot's expiry is written exactly once, and each
    `lot.expiring_soon` notice (`POINTS_EXPIRY_NOTICE_DAYS`) sent once. Without `account_id`, also
    purges events older than `POINTS_EVENT_RETENTION_DAYS` and Idempotency-Key responses older than
    `POINTS_IDEMPOTENCY_TTL_HOURS`. The service also runs it by itself every `POINTS_SWEEP_INTERVAL`.

    Args:
        account_id (str | Unset): only this account
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SweepResult
    """

    return sync_detailed(
        client=client,
        account_id=account_id,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    account_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[Problem | SweepResult]:
    """Persist due expiries now

     Safe to run concurrently and repeatedly: each lot's expiry is written exactly once, and each
    `lot.expiring_soon` notice (`POINTS_EXPIRY_NOTICE_DAYS`) sent once. Without `account_id`, also
    purges events older than `POINTS_EVENT_RETENTION_DAYS` and Idempotency-Key responses older than
    `POINTS_IDEMPOTENCY_TTL_HOURS`. The service also runs it by itself every `POINTS_SWEEP_INTERVAL`.

    Args:
        account_id (str | Unset): only this account
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SweepResult]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    account_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Problem | SweepResult | None:
    """Persist due expiries now

     Safe to run concurrently and repeatedly: each lot's expiry is written exactly once, and each
    `lot.expiring_soon` notice (`POINTS_EXPIRY_NOTICE_DAYS`) sent once. Without `account_id`, also
    purges events older than `POINTS_EVENT_RETENTION_DAYS` and Idempotency-Key responses older than
    `POINTS_IDEMPOTENCY_TTL_HOURS`. The service also runs it by itself every `POINTS_SWEEP_INTERVAL`.

    Args:
        account_id (str | Unset): only this account
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SweepResult
    """

    return (
        await asyncio_detailed(
            client=client,
            account_id=account_id,
            idempotency_key=idempotency_key,
        )
    ).parsed
