import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.balance import Balance
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    account_id: str,
    *,
    as_of: datetime.datetime | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_as_of: str | Unset = UNSET
    if not isinstance(as_of, Unset):
        json_as_of = as_of.isoformat()
    params["as_of"] = json_as_of

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/accounts/{account_id}/balance".format(
            account_id=quote(str(account_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Balance | Problem | None:
    if response.status_code == 200:
        response_200 = Balance.from_dict(response.json())

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Balance | Problem]:
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
    as_of: datetime.datetime | Unset = UNSET,
) -> Response[Balance | Problem]:
    """Get an account's balance

     Available, held and deducted points at this instant (expired points never count, whether
    or not the sweep ran), and the lots expiring within the expiring window. `as_of`: the balance
    as it was at that instant (404 before the account existed).

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        as_of (datetime.datetime | Unset): answer as the service would have at this instant (not
            in the future): entries recorded up to it, inclusive, and the expiries due then shown as
            pending

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Balance | Problem]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
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
    as_of: datetime.datetime | Unset = UNSET,
) -> Balance | Problem | None:
    """Get an account's balance

     Available, held and deducted points at this instant (expired points never count, whether
    or not the sweep ran), and the lots expiring within the expiring window. `as_of`: the balance
    as it was at that instant (404 before the account existed).

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        as_of (datetime.datetime | Unset): answer as the service would have at this instant (not
            in the future): entries recorded up to it, inclusive, and the expiries due then shown as
            pending

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Balance | Problem
    """

    return sync_detailed(
        account_id=account_id,
        client=client,
        as_of=as_of,
    ).parsed


async def asyncio_detailed(
    account_id: str,
    *,
    client: AuthenticatedClient,
    as_of: datetime.datetime | Unset = UNSET,
) -> Response[Balance | Problem]:
    """Get an account's balance

     Available, held and deducted points at this instant (expired points never count, whether
    or not the sweep ran), and the lots expiring within the expiring window. `as_of`: the balance
    as it was at that instant (404 before the account existed).

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        as_of (datetime.datetime | Unset): answer as the service would have at this instant (not
            in the future): entries recorded up to it, inclusive, and the expiries due then shown as
            pending

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Balance | Problem]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
        as_of=as_of,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    account_id: str,
    *,
    client: AuthenticatedClient,
    as_of: datetime.datetime | Unset = UNSET,
) -> Balance | Problem | None:
    """Get an account's balance

     Available, held and deducted points at this instant (expired points never count, whether
    or not the sweep ran), and the lots expiring within the expiring window. `as_of`: the balance
    as it was at that instant (404 before the account existed).

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        as_of (datetime.datetime | Unset): answer as the service would have at this instant (not
            in the future): entries recorded up to it, inclusive, and the expiries due then shown as
            pending

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Balance | Problem
    """

    return (
        await asyncio_detailed(
            account_id=account_id,
            client=client,
            as_of=as_of,
        )
    ).parsed
