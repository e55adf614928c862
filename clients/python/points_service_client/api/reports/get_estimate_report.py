import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.estimate_report import EstimateReport
from ...models.problem import Problem
from ...types import UNSET, Response


def _get_kwargs(
    *,
    from_: datetime.datetime,
    to: datetime.datetime,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_from_ = from_.isoformat()
    params["from"] = json_from_

    json_to = to.isoformat()
    params["to"] = json_to

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/reports/estimates",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> EstimateReport | Problem | None:
    if response.status_code == 200:
        response_200 = EstimateReport.from_dict(response.json())

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
) -> Response[EstimateReport | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    from_: datetime.datetime,
    to: datetime.datetime,
) -> Response[EstimateReport | Problem]:
    """How closed tickets' charges compare with their categories' estimates

     Per category, the tickets closed (`closed_at`: resolved, or refunded while open or
    waiting) in [`from`, `to`): how many, Σ estimated, Σ charged, Σ returned, how many were
    refunded for a software bug, and the mean and population standard deviation of
    `charged_points ÷ estimated_points`, so the catalogue's prices can be tuned.

    Ratios are exact decimal strings rounded half to even to `decimal_places` (6). Tickets that
    estimated 0 points, and tickets refunded before anything was charged, have no ratio. A ticket
    counts under the category it had when it closed, with the estimate it was opened with; its
    points are as they stand now (a later credit or refund still counts).

    Args:
        from_ (datetime.datetime): the period's start, included
        to (datetime.datetime): the period's end, excluded; at most 10 years after `from`

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EstimateReport | Problem]
    """

    kwargs = _get_kwargs(
        from_=from_,
        to=to,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    from_: datetime.datetime,
    to: datetime.datetime,
) -> EstimateReport | Problem | None:
    """How closed tickets' charges compare with their categories' estimates

     Per category, the tickets closed (`closed_at`: resolved, or refunded while open or
    waiting) in [`from`, `to`): how many, Σ estimated, Σ charged, Σ returned, how many were
    refunded for a software bug, and the mean and population standard deviation of
    `charged_points ÷ estimated_points`, so the catalogue's prices can be tuned.

    Ratios are exact decimal strings rounded half to even to `decimal_places` (6). Tickets that
    estimated 0 points, and tickets refunded before anything was charged, have no ratio. A ticket
    counts under the category it had when it closed, with the estimate it was opened with; its
    points are as they stand now (a later credit or refund still counts).

    Args:
        from_ (datetime.datetime): the period's start, included
        to (datetime.datetime): the period's end, excluded; at most 10 years after `from`

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EstimateReport | Problem
    """

    return sync_detailed(
        client=client,
        from_=from_,
        to=to,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    from_: datetime.datetime,
    to: datetime.datetime,
) -> Response[EstimateReport | Problem]:
    """How closed tickets' charges compare with their categories' estimates

     Per category, the tickets closed (`closed_at`: resolved, or refunded while open or
    waiting) in [`from`, `to`): how many, Σ estimated, Σ charged, Σ returned, how many were
    refunded for a software bug, and the mean and population standard deviation of
    `charged_points ÷ estimated_points`, so the catalogue's prices can be tuned.

    Ratios are exact decimal strings rounded half to even to `decimal_places` (6). Tickets that
    estimated 0 points, and tickets refunded before anything was charged, have no ratio. A ticket
    counts under the category it had when it closed, with the estimate it was opened with; its
    points are as they stand now (a later credit or refund still counts).

    Args:
        from_ (datetime.datetime): the period's start, included
        to (datetime.datetime): the period's end, excluded; at most 10 years after `from`

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EstimateReport | Problem]
    """

    kwargs = _get_kwargs(
        from_=from_,
        to=to,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    from_: datetime.datetime,
    to: datetime.datetime,
) -> EstimateReport | Problem | None:
    """How closed tickets' charges compare with their categories' estimates

     Per category, the tickets closed (`closed_at`: resolved, or refunded while open or
    waiting) in [`from`, `to`): how many, Σ estimated, Σ charged, Σ returned, how many were
    refunded for a software bug, and the mean and population standard deviation of
    `charged_points ÷ estimated_points`, so the catalogue's prices can be tuned.

    Ratios are exact decimal strings rounded half to even to `decimal_places` (6). Tickets that
    estimated 0 points, and tickets refunded before anything was charged, have no ratio. A ticket
    counts under the category it had when it closed, with the estimate it was opened with; its
    points are as they stand now (a later credit or refund still counts).

    Args:
        from_ (datetime.datetime): the period's start, included
        to (datetime.datetime): the period's end, excluded; at most 10 years after `from`

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EstimateReport | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            from_=from_,
            to=to,
        )
    ).parsed
