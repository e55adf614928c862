import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.statement import Statement
from ...types import UNSET, Response, Unset


def _get_kwargs(
    account_id: str,
    *,
    limit: int | Unset = 50,
    as_of: datetime.datetime | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    json_as_of: str | Unset = UNSET
    if not isinstance(as_of, Unset):
        json_as_of = as_of.isoformat()
    params["as_of"] = json_as_of

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/accounts/{account_id}/statement".format(
            account_id=quote(str(account_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | Statement | None:
    if response.status_code == 200:
        response_200 = Statement.from_dict(response.json())

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | Statement]:
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
    limit: int | Unset = 50,
    as_of: datetime.datetime | Unset = UNSET,
) -> Response[Problem | Statement]:
    """The three-part view: balance modifications, tickets in progress, closed tickets

     One consistent snapshot. Continue each part with `/ledger?view=modifications`,
    `/tickets?status=awaiting_points&status=open` and `/tickets?status=resolved&status=refunded`
    (with the same `as_of`: the statement as it was at that instant, its cursors holding to it).

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        limit (int | Unset): page size Default: 50.
        as_of (datetime.datetime | Unset): answer as the service would have at this instant (not
            in the future): entries recorded up to it, inclusive, and the expiries due then shown as
            pending

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Statement]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
        limit=limit,
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
    limit: int | Unset = 50,
    as_of: datetime.datetime | Unset = UNSET,
) -> Problem | Statement | None:
    """The three-part view: balance modifications, tickets in progress, closed tickets

     One consistent snapshot. Continue each part with `/ledger?view=modifications`,
    `/tickets?status=awaiting_points&status=open` and `/tickets?status=resolved&status=refunded`
    (with the same `as_of`: the statement as it was at that instant, its cursors holding to it).

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        limit (int | Unset): page size Default: 50.
        as_of (datetime.datetime | Unset): answer as the service would have at this instant (not
            in the future): entries recorded up to it, inclusive, and the expiries due then shown as
            pending

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Statement
    """

    return sync_detailed(
        account_id=account_id,
        client=client,
        limit=limit,
        as_of=as_of,
    ).parsed


async def asyncio_detailed(
    account_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    as_of: datetime.datetime | Unset = UNSET,
) -> Response[Problem | Statement]:
    """The three-part view: balance modifications, tickets in progress, closed tickets

     One consistent snapshot. Continue each part with `/ledger?view=modifications`,
    `/tickets?status=awaiting_points&status=open` and `/tickets?status=resolved&status=refunded`
    (with the same `as_of`: the statement as it was at that instant, its cursors holding to it).

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        limit (int | Unset): page size Default: 50.
        as_of (datetime.datetime | Unset): answer as the service would have at this instant (not
            in the future): entries recorded up to it, inclusive, and the expiries due then shown as
            pending

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Statement]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
        limit=limit,
        as_of=as_of,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    account_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    as_of: datetime.datetime | Unset = UNSET,
) -> Problem | Statement | None:
    """The three-part view: balance modifications, tickets in progress, closed tickets

     One consistent snapshot. Continue each part with `/ledger?view=modifications`,
    `/tickets?status=awaiting_points&status=open` and `/tickets?status=resolved&status=refunded`
    (with the same `as_of`: the statement as it was at that instant, its cursors holding to it).

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        limit (int | Unset): page size Default: 50.
        as_of (datetime.datetime | Unset): answer as the service would have at this instant (not
            in the future): entries recorded up to it, inclusive, and the expiries due then shown as
            pending

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Statement
    """

    return (
        await asyncio_detailed(
            account_id=account_id,
            client=client,
            limit=limit,
            as_of=as_of,
        )
    ).parsed
