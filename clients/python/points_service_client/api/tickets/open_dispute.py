from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.dispute import Dispute
from ...models.dispute_create import DisputeCreate
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    ticket_id: str,
    *,
    body: DisputeCreate,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/tickets/{ticket_id}/disputes".format(
            ticket_id=quote(str(ticket_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Dispute | Problem | None:
    if response.status_code == 201:
        response_201 = Dispute.from_dict(response.json())

        return response_201

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Dispute | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    ticket_id: str,
    *,
    client: AuthenticatedClient,
    body: DisputeCreate,
    idempotency_key: str | Unset = UNSET,
) -> Response[Dispute | Problem]:
    """Dispute a resolved ticket's charge

     Opens a dispute on a `resolved` ticket with points left to return (deducted − returned),
    else 409 `invalid-state`; a ticket has one open dispute at a time (409 `conflict` naming it in
    `dispute_id`). A viewer key may open one on its own account's tickets. The ticket's history
    records `disputed`.

    Args:
        ticket_id (str):
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response
        body (DisputeCreate): Dispute a resolved ticket's charge.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Dispute | Problem]
    """

    kwargs = _get_kwargs(
        ticket_id=ticket_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    ticket_id: str,
    *,
    client: AuthenticatedClient,
    body: DisputeCreate,
    idempotency_key: str | Unset = UNSET,
) -> Dispute | Problem | None:
    """Dispute a resolved ticket's charge

     Opens a dispute on a `resolved` ticket with points left to return (deducted − returned),
    else 409 `invalid-state`; a ticket has one open dispute at a time (409 `conflict` naming it in
    `dispute_id`). A viewer key may open one on its own account's tickets. The ticket's history
    records `disputed`.

    Args:
        ticket_id (str):
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response
        body (DisputeCreate): Dispute a resolved ticket's charge.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Dispute | Problem
    """

    return sync_detailed(
        ticket_id=ticket_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    ticket_id: str,
    *,
    client: AuthenticatedClient,
    body: DisputeCreate,
    idempotency_key: str | Unset = UNSET,
) -> Response[Dispute | Problem]:
    """Dispute a resolved ticket's charge

     Opens a dispute on a `resolved` ticket with points left to return (deducted − returned),
    else 409 `invalid-state`; a ticket has one open dispute at a time (409 `conflict` naming it in
    `dispute_id`). A viewer key may open one on its own account's tickets. The ticket's history
    records `disputed`.

    Args:
        ticket_id (str):
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response
        body (DisputeCreate): Dispute a resolved ticket's charge.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Dispute | Problem]
    """

    kwargs = _get_kwargs(
        ticket_id=ticket_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    ticket_id: str,
    *,
    client: AuthenticatedClient,
    body: DisputeCreate,
    idempotency_key: str | Unset = UNSET,
) -> Dispute | Problem | None:
    """Dispute a resolved ticket's charge

     Opens a dispute on a `resolved` ticket with points left to return (deducted − returned),
    else 409 `invalid-state`; a ticket has one open dispute at a time (409 `conflict` naming it in
    `dispute_id`). A viewer key may open one on its own account's tickets. The ticket's history
    records `disputed`.

    Args:
        ticket_id (str):
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response
        body (DisputeCreate): Dispute a resolved ticket's charge.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Dispute | Problem
    """

    return (
        await asyncio_detailed(
            ticket_id=ticket_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
