import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.page_account import PageAccount
from ...models.page_expiring_account import PageExpiringAccount
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    expiring_before: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_expiring_before: str | Unset = UNSET
    if not isinstance(expiring_before, Unset):
        json_expiring_before = expiring_before.isoformat()
    params["expiring_before"] = json_expiring_before

    params["limit"] = limit

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/accounts",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> PageAccount | PageExpiringAccount | Problem | None:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> PageAccount | PageExpiringAccount:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_0 = PageExpiringAccount.from_dict(data)

                return response_200_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_200_type_1 = PageAccount.from_dict(data)

            return response_200_type_1

        response_200 = _parse_response_200(response.json())

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
) -> Response[PageAccount | PageExpiringAccount | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    expiring_before: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> Response[PageAccount | PageExpiringAccount | Problem]:
    """List accounts, or those with points expiring soon

     Accounts by id. With `expiring_before`, only accounts with available points expiring
    between now and then, each with `expiring_points` and the lots, soonest expiry first: the
    daily "use them or lose them" list.

    Args:
        expiring_before (datetime.datetime | Unset): only accounts with available points expiring
            before then
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageAccount | PageExpiringAccount | Problem]
    """

    kwargs = _get_kwargs(
        expiring_before=expiring_before,
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
    expiring_before: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> PageAccount | PageExpiringAccount | Problem | None:
    """List accounts, or those with points expiring soon

     Accounts by id. With `expiring_before`, only accounts with available points expiring
    between now and then, each with `expiring_points` and the lots, soonest expiry first: the
    daily "use them or lose them" list.

    Args:
        expiring_before (datetime.datetime | Unset): only accounts with available points expiring
            before then
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageAccount | PageExpiringAccount | Problem
    """

    return sync_detailed(
        client=client,
        expiring_before=expiring_before,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    expiring_before: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> Response[PageAccount | PageExpiringAccount | Problem]:
    """List accounts, or those with points expiring soon

     Accounts by id. With `expiring_before`, only accounts with available points expiring
    between now and then, each with `expiring_points` and the lots, soonest expiry first: the
    daily "use them or lose them" list.

    Args:
        expiring_before (datetime.datetime | Unset): only accounts with available points expiring
            before then
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageAccount | PageExpiringAccount | Problem]
    """

    kwargs = _get_kwargs(
        expiring_before=expiring_before,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    expiring_before: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> PageAccount | PageExpiringAccount | Problem | None:
    """List accounts, or those with points expiring soon

     Accounts by id. With `expiring_before`, only accounts with available points expiring
    between now and then, each with `expiring_points` and the lots, soonest expiry first: the
    daily "use them or lose them" list.

    Args:
        expiring_before (datetime.datetime | Unset): only accounts with available points expiring
            before then
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageAccount | PageExpiringAccount | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            expiring_before=expiring_before,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
