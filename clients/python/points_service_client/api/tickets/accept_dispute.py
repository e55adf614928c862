from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.dispute import Dispute
from ...models.dispute_accept import DisputeAccept
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    dispute_id: str,
    *,
    body: DisputeAccept,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/disputes/{dispute_id}/accept".format(
            dispute_id=quote(str(dispute_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Dispute | Problem | None:
    if response.status_code == 200:
        response_200 = Dispute.from_dict(response.json())

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
    dispute_id: str,
    *,
    client: AuthenticatedClient,
    body: DisputeAccept,
    idempotency_key: str | Unset = UNSET,
) -> Response[Dispute | Problem]:
    """Accept a dispute, crediting its points back

     Credits the points back exactly as `POST /v1/tickets/{id}/credit` does (the same return
    policy: a lot expired since comes back as a new `returned` lot), as a `return` entry whose
    reason is `dispute <id>`; the ticket's history records `credited` and `dispute_accepted`. A
    dispute already decided, or a ticket with nothing left to return, is 409 `invalid-state`.

    Args:
        dispute_id (str):
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response
        body (DisputeAccept): Accept a dispute: its points are credited back as `POST
            /v1/tickets/{id}/credit` would.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Dispute | Problem]
    """

    kwargs = _get_kwargs(
        dispute_id=dispute_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    dispute_id: str,
    *,
    client: AuthenticatedClient,
    body: DisputeAccept,
    idempotency_key: str | Unset = UNSET,
) -> Dispute | Problem | None:
    """Accept a dispute, crediting its points back

     Credits the points back exactly as `POST /v1/tickets/{id}/credit` does (the same return
    policy: a lot expired since comes back as a new `returned` lot), as a `return` entry whose
    reason is `dispute <id>`; the ticket's history records `credited` and `dispute_accepted`. A
    dispute already decided, or a ticket with nothing left to return, is 409 `invalid-state`.

    Args:
        dispute_id (str):
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response
        body (DisputeAccept): Accept a dispute: its points are credited back as `POST
            /v1/tickets/{id}/credit` would.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Dispute | Problem
    """

    return sync_detailed(
        dispute_id=dispute_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    dispute_id: str,
    *,
    client: AuthenticatedClient,
    body: DisputeAccept,
    idempotency_key: str | Unset = UNSET,
) -> Response[Dispute | Problem]:
    """Accept a dispute, crediting its points back

     Credits the points back exactly as `POST /v1/tickets/{id}/credit` does (the same return
    policy: a lot expired since comes back as a new `returned` lot), as a `return` entry whose
    reason is `dispute <id>`; the ticket's history records `credited` and `dispute_accepted`. A
    dispute already decided, or a ticket with nothing left to return, is 409 `invalid-state`.

    Args:
        dispute_id (str):
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response
        body (DisputeAccept): Accept a dispute: its points are credited back as `POST
            /v1/tickets/{id}/credit` would.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Dispute | Problem]
    """

    kwargs = _get_kwargs(
        dispute_id=dispute_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    dispute_id: str,
    *,
    client: AuthenticatedClient,
    body: DisputeAccept,
    idempotency_key: str | Unset = UNSET,
) -> Dispute | Problem | None:
    """Accept a dispute, crediting its points back

     Credits the points back exactly as `POST /v1/tickets/{id}/credit` does (the same return
    policy: a lot expired since comes back as a new `returned` lot), as a `return` entry whose
    reason is `dispute <id>`; the ticket's history records `credited` and `dispute_accepted`. A
    dispute already decided, or a ticket with nothing left to return, is 409 `invalid-state`.

    Args:
        dispute_id (str):
        idempotency_key (str | Unset): 1–255 printable ASCII characters; a retry with the same key
            replays the first response
        body (DisputeAccept): Accept a dispute: its points are credited back as `POST
            /v1/tickets/{id}/credit` would.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Dispute | Problem
    """

    return (
        await asyncio_detailed(
            dispute_id=dispute_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
