from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.expiry_forecast import ExpiryForecast
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    months: int | Unset = 12,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["months"] = months

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/reports/expiry-forecast",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ExpiryForecast | Problem | None:
    if response.status_code == 200:
        response_200 = ExpiryForecast.from_dict(response.json())

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
) -> Response[ExpiryForecast | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    months: int | Unset = 12,
) -> Response[ExpiryForecast | Problem]:
    """Points that will expire if unused, per month, in points and money

     Per currency and calendar month (UTC), from the current month (counted from now): the
    available points whose lot expires in that month, their value at cost basis (each point at its
    lot's `unit_price`, summed exactly, rounded once half to even to minor units) and how many
    accounts hold them. Held points belong to open tickets and are not forecast; revoked points are
    gone. Points already past their expiry but not yet swept are already lost and not forecast.
    Every currency with points to forecast has exactly `months` rows, months with nothing at zero.
    `Accept: text/csv` answers CSV. `months` outside 1..60 is a 422.

    Args:
        months (int | Unset): calendar months to forecast, the current one first Default: 12.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ExpiryForecast | Problem]
    """

    kwargs = _get_kwargs(
        months=months,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    months: int | Unset = 12,
) -> ExpiryForecast | Problem | None:
    """Points that will expire if unused, per month, in points and money

     Per currency and calendar month (UTC), from the current month (counted from now): the
    available points whose lot expires in that month, their value at cost basis (each point at its
    lot's `unit_price`, summed exactly, rounded once half to even to minor units) and how many
    accounts hold them. Held points belong to open tickets and are not forecast; revoked points are
    gone. Points already past their expiry but not yet swept are already lost and not forecast.
    Every currency with points to forecast has exactly `months` rows, months with nothing at zero.
    `Accept: text/csv` answers CSV. `months` outside 1..60 is a 422.

    Args:
        months (int | Unset): calendar months to forecast, the current one first Default: 12.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ExpiryForecast | Problem
    """

    return sync_detailed(
        client=client,
        months=months,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    months: int | Unset = 12,
) -> Response[ExpiryForecast | Problem]:
    """Points that will expire if unused, per month, in points and money

     Per currency and calendar month (UTC), from the current month (counted from now): the
    available points whose lot expires in that month, their value at cost basis (each point at its
    lot's `unit_price`, summed exactly, rounded once half to even to minor units) and how many
    accounts hold them. Held points belong to open tickets and are not forecast; revoked points are
    gone. Points already past their expiry but not yet swept are already lost and not forecast.
    Every currency with points to forecast has exactly `months` rows, months with nothing at zero.
    `Accept: text/csv` answers CSV. `months` outside 1..60 is a 422.

    Args:
        months (int | Unset): calendar months to forecast, the current one first Default: 12.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ExpiryForecast | Problem]
    """

    kwargs = _get_kwargs(
        months=months,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    months: int | Unset = 12,
) -> ExpiryForecast | Problem | None:
    """Points that will expire if unused, per month, in points and money

     Per currency and calendar month (UTC), from the current month (counted from now): the
    available points whose lot expires in that month, their value at cost basis (each point at its
    lot's `unit_price`, summed exactly, rounded once half to even to minor units) and how many
    accounts hold them. Held points belong to open tickets and are not forecast; revoked points are
    gone. Points already past their expiry but not yet swept are already lost and not forecast.
    Every currency with points to forecast has exactly `months` rows, months with nothing at zero.
    `Accept: text/csv` answers CSV. `months` outside 1..60 is a 422.

    Args:
        months (int | Unset): calendar months to forecast, the current one first Default: 12.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ExpiryForecast | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            months=months,
        )
    ).parsed
