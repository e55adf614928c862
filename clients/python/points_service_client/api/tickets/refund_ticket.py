from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.ticket_detail import TicketDetail
from ...models.ticket_refund import TicketRefund
from ...types import UNSET, Response, Unset


def _get_kwargs(
    ticket_id: str,
    *,
    body: TicketRefund,
    idempotency_key: str | Unset = UNSET,
    if_match: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    if not isinstance(if_match, Unset):
        headers["if-match"] = if_match

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/tickets/{ticket_id}/refund".format(
            ticket_id=quote(str(ticket_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | TicketDetail | None:
    if response.status_code == 200:
        response_200 = TicketDetail.from_dict(response.json())

        return response_200

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

    if response.status_code == 412:
        response_412 = Problem.from_dict(response.json())

        return response_412

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
    ticket_id: str,
    *,
    client: AuthenticatedClient,
    body: TicketRefund,
    idempotency_key: str | Unset = UNSET,
    if_match: str | Unset = UNSET,
) -> Response[Problem | TicketDetail]:
    """Refund a ticket: every point not yet returned goes back

     Returns every point not yet returned and closes the ticket as refunded (from open or
    resolved). `software_bug` and `other` are the vendor's doing: points of lots expired or
    expiring within RETURN_GRACE come back in a new `returned` lot. `withdrawn` and `duplicate`
    return them to their lots, where expired points expire again at once.

    Args:
        ticket_id (str):
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response
        if_match (str | Unset): `"<version>"` or `*`
        body (TicketRefund): Refund a ticket: every point not yet returned goes back.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TicketDetail]
    """

    kwargs = _get_kwargs(
        ticket_id=ticket_id,
        body=body,
        idempotency_key=idempotency_key,
        if_match=if_match,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    ticket_id: str,
    *,
    client: AuthenticatedClient,
    body: TicketRefund,
    idempotency_key: str | Unset = UNSET,
    if_match: str | Unset = UNSET,
) -> Problem | TicketDetail | None:
    """Refund a ticket: every point not yet returned goes back

     Returns every point not yet returned and closes the ticket as refunded (from open or
    resolved). `software_bug` and `other` are the vendor's doing: points of lots expired or
    expiring within RETURN_GRACE come back in a new `returned` lot. `withdrawn` and `duplicate`
    return them to their lots, where expired points expire again at once.

    Args:
        ticket_id (str):
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response
        if_match (str | Unset): `"<version>"` or `*`
        body (TicketRefund): Refund a ticket: every point not yet returned goes back.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TicketDetail
    """

    return sync_detailed(
        ticket_id=ticket_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
        if_match=if_match,
    ).parsed


async def asyncio_detailed(
    ticket_id: str,
    *,
    client: AuthenticatedClient,
    body: TicketRefund,
    idempotency_key: str | Unset = UNSET,
    if_match: str | Unset = UNSET,
) -> Response[Problem | TicketDetail]:
    """Refund a ticket: every point not yet returned goes back

     Returns every point not yet returned and closes the ticket as refunded (from open or
    resolved). `software_bug` and `other` are the vendor's doing: points of lots expired or
    expiring within RETURN_GRACE come back in a new `returned` lot. `withdrawn` and `duplicate`
    return them to their lots, where expired points expire again at once.

    Args:
        ticket_id (str):
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response
        if_match (str | Unset): `"<version>"` or `*`
        body (TicketRefund): Refund a ticket: every point not yet returned goes back.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TicketDetail]
    """

    kwargs = _get_kwargs(
        ticket_id=ticket_id,
        body=body,
        idempotency_key=idempotency_key,
        if_match=if_match,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    ticket_id: str,
    *,
    client: AuthenticatedClient,
    body: TicketRefund,
    idempotency_key: str | Unset = UNSET,
    if_match: str | Unset = UNSET,
) -> Problem | TicketDetail | None:
    """Refund a ticket: every point not yet returned goes back

     Returns every point not yet returned and closes the ticket as refunded (from open or
    resolved). `software_bug` and `other` are the vendor's doing: points of lots expired or
    expiring within RETURN_GRACE come back in a new `returned` lot. `withdrawn` and `duplicate`
    return them to their lots, where expired points expire again at once.

    Args:
        ticket_id (str):
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response
        if_match (str | Unset): `"<version>"` or `*`
        body (TicketRefund): Refund a ticket: every point not yet returned goes back.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TicketDetail
    """

    return (
        await asyncio_detailed(
            ticket_id=ticket_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
            if_match=if_match,
        )
    ).parsed
