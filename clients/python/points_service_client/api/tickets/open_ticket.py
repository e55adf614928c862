from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.ticket_create import TicketCreate
from ...models.ticket_detail import TicketDetail
from ...types import UNSET, Response, Unset


def _get_kwargs(
    account_id: str,
    *,
    body: TicketCreate,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/accounts/{account_id}/tickets".format(
            account_id=quote(str(account_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | TicketDetail | None:
    if response.status_code == 201:
        response_201 = TicketDetail.from_dict(response.json())

        return response_201

    if response.status_code == 202:
        response_202 = TicketDetail.from_dict(response.json())

        return response_202

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

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
) -> Response[Problem | TicketDetail]:
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
    body: TicketCreate,
    idempotency_key: str | Unset = UNSET,
) -> Response[Problem | TicketDetail]:
    """Open a ticket, capturing its estimated points

     Opens a ticket and captures its estimated points from the account's lots in consumption
    order. The category's pricing rule decides the points: `estimated_points` is required for
    `range` (within it) and `upon_request`, optional for `from` (at least its minimum), absent or
    equal for `fixed` and `formula`; `quantity` is required for `formula` only. 409
    `insufficient-points` carries `available` and `required`; with `when_insufficient: wait` the
    ticket is opened anyway, `awaiting_points` (202), and captured when points arrive.

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response
        body (TicketCreate): A ticket to open; it captures its estimated points.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TicketDetail]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    account_id: str,
    *,
    client: AuthenticatedClient,
    body: TicketCreate,
    idempotency_key: str | Unset = UNSET,
) -> Problem | TicketDetail | None:
    """Open a ticket, capturing its estimated points

     Opens a ticket and captures its estimated points from the account's lots in consumption
    order. The category's pricing rule decides the points: `estimated_points` is required for
    `range` (within it) and `upon_request`, optional for `from` (at least its minimum), absent or
    equal for `fixed` and `formula`; `quantity` is required for `formula` only. 409
    `insufficient-points` carries `available` and `required`; with `when_insufficient: wait` the
    ticket is opened anyway, `awaiting_points` (202), and captured when points arrive.

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response
        body (TicketCreate): A ticket to open; it captures its estimated points.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TicketDetail
    """

    return sync_detailed(
        account_id=account_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    account_id: str,
    *,
    client: AuthenticatedClient,
    body: TicketCreate,
    idempotency_key: str | Unset = UNSET,
) -> Response[Problem | TicketDetail]:
    """Open a ticket, capturing its estimated points

     Opens a ticket and captures its estimated points from the account's lots in consumption
    order. The category's pricing rule decides the points: `estimated_points` is required for
    `range` (within it) and `upon_request`, optional for `from` (at least its minimum), absent or
    equal for `fixed` and `formula`; `quantity` is required for `formula` only. 409
    `insufficient-points` carries `available` and `required`; with `when_insufficient: wait` the
    ticket is opened anyway, `awaiting_points` (202), and captured when points arrive.

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response
        body (TicketCreate): A ticket to open; it captures its estimated points.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TicketDetail]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    account_id: str,
    *,
    client: AuthenticatedClient,
    body: TicketCreate,
    idempotency_key: str | Unset = UNSET,
) -> Problem | TicketDetail | None:
    """Open a ticket, capturing its estimated points

     Opens a ticket and captures its estimated points from the account's lots in consumption
    order. The category's pricing rule decides the points: `estimated_points` is required for
    `range` (within it) and `upon_request`, optional for `from` (at least its minimum), absent or
    equal for `fixed` and `formula`; `quantity` is required for `formula` only. 409
    `insufficient-points` carries `available` and `required`; with `when_insufficient: wait` the
    ticket is opened anyway, `awaiting_points` (202), and captured when points arrive.

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response
        body (TicketCreate): A ticket to open; it captures its estimated points.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TicketDetail
    """

    return (
        await asyncio_detailed(
            account_id=account_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
