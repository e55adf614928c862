from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.quote import Quote
from ...types import UNSET, Response, Unset


def _get_kwargs(
    code: str,
    *,
    quantity: int | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["quantity"] = quantity

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/categories/{code}/quote".format(
            code=quote(str(code), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | Quote | None:
    if response.status_code == 200:
        response_200 = Quote.from_dict(response.json())

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | Quote]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    code: str,
    *,
    client: AuthenticatedClient,
    quantity: int | Unset = UNSET,
) -> Response[Problem | Quote]:
    """Price a ticket of a category

     What a ticket of this category costs: `points` when the rule fixes it, else `min`/`max`.
    `quantity` is required for formula rules and refused for the others.

    Args:
        code (str):
        quantity (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Quote]
    """

    kwargs = _get_kwargs(
        code=code,
        quantity=quantity,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    code: str,
    *,
    client: AuthenticatedClient,
    quantity: int | Unset = UNSET,
) -> Problem | Quote | None:
    """Price a ticket of a category

     What a ticket of this category costs: `points` when the rule fixes it, else `min`/`max`.
    `quantity` is required for formula rules and refused for the others.

    Args:
        code (str):
        quantity (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Quote
    """

    return sync_detailed(
        code=code,
        client=client,
        quantity=quantity,
    ).parsed


async def asyncio_detailed(
    code: str,
    *,
    client: AuthenticatedClient,
    quantity: int | Unset = UNSET,
) -> Response[Problem | Quote]:
    """Price a ticket of a category

     What a ticket of this category costs: `points` when the rule fixes it, else `min`/`max`.
    `quantity` is required for formula rules and refused for the others.

    Args:
        code (str):
        quantity (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Quote]
    """

    kwargs = _get_kwargs(
        code=code,
        quantity=quantity,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    code: str,
    *,
    client: AuthenticatedClient,
    quantity: int | Unset = UNSET,
) -> Problem | Quote | None:
    """Price a ticket of a category

     What a ticket of this category costs: `points` when the rule fixes it, else `min`/`max`.
    `quantity` is required for formula rules and refused for the others.

    Args:
        code (str):
        quantity (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Quote
    """

    return (
        await asyncio_detailed(
            code=code,
            client=client,
            quantity=quantity,
        )
    ).parsed
