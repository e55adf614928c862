import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.event_type import EventType
from ...models.page_event import PageEvent
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    type_: list[EventType] | Unset = UNSET,
    account_id: str | Unset = UNSET,
    created_after: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_type_: list[str] | Unset = UNSET
    if not isinstance(type_, Unset):
        json_type_ = []
        for type_item_data in type_:
            type_item = type_item_data.value
            json_type_.append(type_item)

    params["type"] = json_type_

    params["account_id"] = account_id

    json_created_after: str | Unset = UNSET
    if not isinstance(created_after, Unset):
        json_created_after = created_after.isoformat()
    params["created_after"] = json_created_after

    params["limit"] = limit

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/events",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> PageEvent | Problem | None:
    if response.status_code == 200:
        response_200 = PageEvent.from_dict(response.json())

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[PageEvent | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    type_: list[EventType] | Unset = UNSET,
    account_id: str | Unset = UNSET,
    created_after: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> Response[PageEvent | Problem]:
    """Events, newest first

     Events newest first, kept at least 30 days. A viewer sees its own account's events only
    (another `account_id` is answered 404, as any of another account's data).

    Args:
        type_ (list[EventType] | Unset): repeatable
        account_id (str | Unset): only this account's events
        created_after (datetime.datetime | Unset): only events created after then
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageEvent | Problem]
    """

    kwargs = _get_kwargs(
        type_=type_,
        account_id=account_id,
        created_after=created_after,
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
    type_: list[EventType] | Unset = UNSET,
    account_id: str | Unset = UNSET,
    created_after: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> PageEvent | Problem | None:
    """Events, newest first

     Events newest first, kept at least 30 days. A viewer sees its own account's events only
    (another `account_id` is answered 404, as any of another account's data).

    Args:
        type_ (list[EventType] | Unset): repeatable
        account_id (str | Unset): only this account's events
        created_after (datetime.datetime | Unset): only events created after then
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageEvent | Problem
    """

    return sync_detailed(
        client=client,
        type_=type_,
        account_id=account_id,
        created_after=created_after,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    type_: list[EventType] | Unset = UNSET,
    account_id: str | Unset = UNSET,
    created_after: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> Response[PageEvent | Problem]:
    """Events, newest first

     Events newest first, kept at least 30 days. A viewer sees its own account's events only
    (another `account_id` is answered 404, as any of another account's data).

    Args:
        type_ (list[EventType] | Unset): repeatable
        account_id (str | Unset): only this account's events
        created_after (datetime.datetime | Unset): only events created after then
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageEvent | Problem]
    """

    kwargs = _get_kwargs(
        type_=type_,
        account_id=account_id,
        created_after=created_after,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    type_: list[EventType] | Unset = UNSET,
    account_id: str | Unset = UNSET,
    created_after: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> PageEvent | Problem | None:
    """Events, newest first

     Events newest first, kept at least 30 days. A viewer sees its own account's events only
    (another `account_id` is answered 404, as any of another account's data).

    Args:
        type_ (list[EventType] | Unset): repeatable
        account_id (str | Unset): only this account's events
        created_after (datetime.datetime | Unset): only events created after then
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageEvent | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            type_=type_,
            account_id=account_id,
            created_after=created_after,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
