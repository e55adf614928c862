import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.page_lot import PageLot
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    account_id: str,
    *,
    include_empty: bool | Unset = False,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    as_of: datetime.datetime | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["include_empty"] = include_empty

    params["limit"] = limit

    params["cursor"] = cursor

    json_as_of: str | Unset = UNSET
    if not isinstance(as_of, Unset):
        json_as_of = as_of.isoformat()
    params["as_of"] = json_as_of

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/accounts/{account_id}/lots".format(
            account_id=quote(str(account_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> PageLot | Problem | None:
    if response.status_code == 200:
        response_200 = PageLot.from_dict(response.json())

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[PageLot | Problem]:
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
    include_empty: bool | Unset = False,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    as_of: datetime.datetime | Unset = UNSET,
) -> Response[PageLot | Problem]:
    """Lots in consumption order

     The account's lots in consumption order (soonest expiry first, never-expiring last), each
    with its points in every state. `include_empty=true` adds lots with nothing available or held.
    `as_of`: the lots and their states as they were at that instant; its cursors hold to it.

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        include_empty (bool | Unset): also lots with nothing available or held Default: False.
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)
        as_of (datetime.datetime | Unset): answer as the service would have at this instant (not
            in the future): entries recorded up to it, inclusive, and the expiries due then shown as
            pending

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageLot | Problem]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
        include_empty=include_empty,
        limit=limit,
        cursor=cursor,
        as_of=as_of,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    account_id: str,
    *,
    client: AuthenticatedClient,
    include_empty: bool | Unset = False,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    as_of: datetime.datetime | Unset = UNSET,
) -> PageLot | Problem | None:
    """Lots in consumption order

     The account's lots in consumption order (soonest expiry first, never-expiring last), each
    with its points in every state. `include_empty=true` adds lots with nothing available or held.
    `as_of`: the lots and their states as they were at that instant; its cursors hold to it.

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        include_empty (bool | Unset): also lots with nothing available or held Default: False.
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)
        as_of (datetime.datetime | Unset): answer as the service would have at this instant (not
            in the future): entries recorded up to it, inclusive, and the expiries due then shown as
            pending

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageLot | Problem
    """

    return sync_detailed(
        account_id=account_id,
        client=client,
        include_empty=include_empty,
        limit=limit,
        cursor=cursor,
        as_of=as_of,
    ).parsed


async def asyncio_detailed(
    account_id: str,
    *,
    client: AuthenticatedClient,
    include_empty: bool | Unset = False,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    as_of: datetime.datetime | Unset = UNSET,
) -> Response[PageLot | Problem]:
    """Lots in consumption order

     The account's lots in consumption order (soonest expiry first, never-expiring last), each
    with its points in every state. `include_empty=true` adds lots with nothing available or held.
    `as_of`: the lots and their states as they were at that instant; its cursors hold to it.

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        include_empty (bool | Unset): also lots with nothing available or held Default: False.
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)
        as_of (datetime.datetime | Unset): answer as the service would have at this instant (not
            in the future): entries recorded up to it, inclusive, and the expiries due then shown as
            pending

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageLot | Problem]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
        include_empty=include_empty,
        limit=limit,
        cursor=cursor,
        as_of=as_of,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    account_id: str,
    *,
    client: AuthenticatedClient,
    include_empty: bool | Unset = False,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    as_of: datetime.datetime | Unset = UNSET,
) -> PageLot | Problem | None:
    """Lots in consumption order

     The account's lots in consumption order (soonest expiry first, never-expiring last), each
    with its points in every state. `include_empty=true` adds lots with nothing available or held.
    `as_of`: the lots and their states as they were at that instant; its cursors hold to it.

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        include_empty (bool | Unset): also lots with nothing available or held Default: False.
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)
        as_of (datetime.datetime | Unset): answer as the service would have at this instant (not
            in the future): entries recorded up to it, inclusive, and the expiries due then shown as
            pending

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageLot | Problem
    """

    return (
        await asyncio_detailed(
            account_id=account_id,
            client=client,
            include_empty=include_empty,
            limit=limit,
            cursor=cursor,
            as_of=as_of,
        )
    ).parsed
