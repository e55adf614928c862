from http import HTTPStatus
from typing import Any, Literal

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.page_ticket import PageTicket
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    idle_for: str,
    status: Literal["open"] | Unset = "open",
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["idle_for"] = idle_for

    params["status"] = status

    params["limit"] = limit

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/tickets",
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
) -> Response[PageTicket | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    idle_for: str,
    status: Literal["open"] | Unset = "open",
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> Response[PageTicket | Problem]:
    """Idle tickets, the longest idle first

     Open tickets of every account with no change (no history entry) for at least `idle_for`,
    the longest idle first: what holds a customer's points while nobody works on it. The sweep
    also sends `ticket.idle` once per idle period of `POINTS_IDLE_TICKET_DAYS`.

    Args:
        idle_for (str): ISO 8601 duration, from `PT1H` to `P3Y` (1,096 days): no change for at
            least this long
        status (Literal['open'] | Unset): open tickets (the only ones that can be idle) Default:
            'open'.
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageTicket | Problem]
    """

    kwargs = _get_kwargs(
        idle_for=idle_for,
        status=status,
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
    idle_for: str,
    status: Literal["open"] | Unset = "open",
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> PageTicket | Problem | None:
    """Idle tickets, the longest idle first

     Open tickets of every account with no change (no history entry) for at least `idle_for`,
    the longest idle first: what holds a customer's points while nobody works on it. The sweep
    also sends `ticket.idle` once per idle period of `POINTS_IDLE_TICKET_DAYS`.

    Args:
        idle_for (str): ISO 8601 duration, from `PT1H` to `P3Y` (1,096 days): no change for at
            least this long
        status (Literal['open'] | Unset): open tickets (the only ones that can be idle) Default:
            'open'.
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageTicket | Problem
    """

    return sync_detailed(
        client=client,
        idle_for=idle_for,
        status=status,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    idle_for: str,
    status: Literal["open"] | Unset = "open",
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> Response[PageTicket | Problem]:
    """Idle tickets, the longest idle first

     Open tickets of every account with no change (no history entry) for at least `idle_for`,
    the longest idle first: what holds a customer's points while nobody works on it. The sweep
    also sends `ticket.idle` once per idle period of `POINTS_IDLE_TICKET_DAYS`.

    Args:
        idle_for (str): ISO 8601 duration, from `PT1H` to `P3Y` (1,096 days): no change for at
            least this long
        status (Literal['open'] | Unset): open tickets (the only ones that can be idle) Default:
            'open'.
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageTicket | Problem]
    """

    kwargs = _get_kwargs(
        idle_for=idle_for,
        status=status,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    idle_for: str,
    status: Literal["open"] | Unset = "open",
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> PageTicket | Problem | None:
    """Idle tickets, the longest idle first

     Open tickets of every account with no change (no history entry) for at least `idle_for`,
    the longest idle first: what holds a customer's points while nobody works on it. The sweep
    also sends `ticket.idle` once per idle period of `POINTS_IDLE_TICKET_DAYS`.

    Args:
        idle_for (str): ISO 8601 duration, from `PT1H` to `P3Y` (1,096 days): no change for at
            least this long
        status (Literal['open'] | Unset): open tickets (the only ones that can be idle) Default:
            'open'.
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageTicket | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            idle_for=idle_for,
            status=status,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
