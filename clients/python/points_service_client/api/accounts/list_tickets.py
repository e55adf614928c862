from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.list_tickets_status_type_0_item import ListTicketsStatusType0Item
from ...models.page_ticket import PageTicket
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    account_id: str,
    *,
    status: list[ListTicketsStatusType0Item] | None | Unset = UNSET,
    external_ref: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_status: list[str] | None | Unset
    if isinstance(status, Unset):
        json_status = UNSET
    elif isinstance(status, list):
        json_status = []
        for status_type_0_item_data in status:
            status_type_0_item = status_type_0_item_data.value
            json_status.append(status_type_0_item)

    else:
        json_status = status
    params["status"] = json_status

    json_external_ref: None | str | Unset
    if isinstance(external_ref, Unset):
        json_external_ref = UNSET
    else:
        json_external_ref = external_ref
    params["external_ref"] = json_external_ref

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/accounts/{account_id}/tickets".format(
            account_id=quote(str(account_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> PageTicket | Problem | None:
    if response.status_code == 200:
        response_200 = PageTicket.from_dict(response.json())

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

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[PageTicket | Problem]:
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
    status: list[ListTicketsStatusType0Item] | None | Unset = UNSET,
    external_ref: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> Response[PageTicket | Problem]:
    """Tickets, newest first

     Tickets newest first (by opening time), without history and allocations. Filter by
    `status` (repeatable) and `external_ref`.

    Args:
        account_id (str):
        status (list[ListTicketsStatusType0Item] | None | Unset): repeatable
        external_ref (None | str | Unset):
        limit (int | Unset): page size Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageTicket | Problem]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
        status=status,
        external_ref=external_ref,
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
    status: list[ListTicketsStatusType0Item] | None | Unset = UNSET,
    external_ref: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> PageTicket | Problem | None:
    """Tickets, newest first

     Tickets newest first (by opening time), without history and allocations. Filter by
    `status` (repeatable) and `external_ref`.

    Args:
        account_id (str):
        status (list[ListTicketsStatusType0Item] | None | Unset): repeatable
        external_ref (None | str | Unset):
        limit (int | Unset): page size Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageTicket | Problem
    """

    return sync_detailed(
        account_id=account_id,
        client=client,
        status=status,
        external_ref=external_ref,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    account_id: str,
    *,
    client: AuthenticatedClient,
    status: list[ListTicketsStatusType0Item] | None | Unset = UNSET,
    external_ref: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> Response[PageTicket | Problem]:
    """Tickets, newest first

     Tickets newest first (by opening time), without history and allocations. Filter by
    `status` (repeatable) and `external_ref`.

    Args:
        account_id (str):
        status (list[ListTicketsStatusType0Item] | None | Unset): repeatable
        external_ref (None | str | Unset):
        limit (int | Unset): page size Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageTicket | Problem]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
        status=status,
        external_ref=external_ref,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    account_id: str,
    *,
    client: AuthenticatedClient,
    status: list[ListTicketsStatusType0Item] | None | Unset = UNSET,
    external_ref: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> PageTicket | Problem | None:
    """Tickets, newest first

     Tickets newest first (by opening time), without history and allocations. Filter by
    `status` (repeatable) and `external_ref`.

    Args:
        account_id (str):
        status (list[ListTicketsStatusType0Item] | None | Unset): repeatable
        external_ref (None | str | Unset):
        limit (int | Unset): page size Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageTicket | Problem
    """

    return (
        await asyncio_detailed(
            account_id=account_id,
            client=client,
            status=status,
            external_ref=external_ref,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
