from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.page_dispute import PageDispute
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    account_id: str,
    *,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/accounts/{account_id}/disputes".format(
            account_id=quote(str(account_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> PageDispute | Problem | None:
    if response.status_code == 200:
        response_200 = PageDispute.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

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
) -> Response[PageDispute | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    account_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> Response[PageDispute | Problem]:
    """An account's disputes, newest first

     The account's disputes newest first (by opening time).

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageDispute | Problem]
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
    account_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> PageDispute | Problem | None:
    """An account's disputes, newest first

     The account's disputes newest first (by opening time).

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageDispute | Problem
    """

    return sync_detailed(
        account_id=account_id,
        client=client,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    account_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> Response[PageDispute | Problem]:
    """An account's disputes, newest first

     The account's disputes newest first (by opening time).

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageDispute | Problem]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    account_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> PageDispute | Problem | None:
    """An account's disputes, newest first

     The account's disputes newest first (by opening time).

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageDispute | Problem
    """

    return (
        await asyncio_detailed(
            account_id=account_id,
            client=client,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
