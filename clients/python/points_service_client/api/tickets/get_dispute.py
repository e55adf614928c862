from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.dispute import Dispute
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    dispute_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/disputes/{dispute_id}".format(
            dispute_id=quote(str(dispute_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Dispute | Problem | None:
    if response.status_code == 200:
        response_200 = Dispute.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

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
) -> Response[Dispute | Problem]:
    """Get a dispute

    Args:
        dispute_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Dispute | Problem]
    """

    kwargs = _get_kwargs(
        dispute_id=dispute_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    dispute_id: str,
    *,
    client: AuthenticatedClient,
) -> Dispute | Problem | None:
    """Get a dispute

    Args:
        dispute_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Dispute | Problem
    """

    return sync_detailed(
        dispute_id=dispute_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    dispute_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[Dispute | Problem]:
    """Get a dispute

    Args:
        dispute_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Dispute | Problem]
    """

    kwargs = _get_kwargs(
        dispute_id=dispute_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    dispute_id: str,
    *,
    client: AuthenticatedClient,
) -> Dispute | Problem | None:
    """Get a dispute

    Args:
        dispute_id (str):

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
        )
    ).parsed
