import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.finance_report import FinanceReport
from ...models.finance_report_group_by import FinanceReportGroupBy
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    from_: datetime.datetime,
    to: datetime.datetime,
    group_by: FinanceReportGroupBy | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_from_ = from_.isoformat()
    params["from"] = json_from_

    json_to = to.isoformat()
    params["to"] = json_to

    json_group_by: str | Unset = UNSET
    if not isinstance(group_by, Unset):
        json_group_by = group_by.value

    params["group_by"] = json_group_by

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/reports/finance",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> FinanceReport | Problem | None:
    if response.status_code == 200:
        response_200 = FinanceReport.from_dict(response.json())

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
) -> Response[FinanceReport | Problem]:
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
    group_by: FinanceReportGroupBy | Unset = UNSET,
) -> Response[FinanceReport | Problem]:
    """Points liability and its movements over a period, in points and money

     Per currency: `opening` liability (points available or held just before `from`), `granted`,
    `recognized` (deducted by resolutions: revenue), `returned` (given back after resolution),
    `breakage` (expired), `revoked`, `written_off`, and `closing` liability just before `to`, with
    `closing = opening + granted − recognized + returned − breakage − revoked − written_off`
    exactly, in points and in money (points valued at their lot's `unit_price`). Entries count in
    the period in which they were recorded (`created_at`), so a closed period's report never
    changes; a backdated purchase counts when it was recorded. `Accept: text/csv` answers CSV.
    `from` after `to`, `to` in the future or a period over 10 years is a 422.

    Args:
        from_ (datetime.datetime): start of the period, included
        to (datetime.datetime): end of the period, excluded; not in the future
        group_by (FinanceReportGroupBy | Unset): split the rows by account, plan or ticket
            category

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[FinanceReport | Problem]
    """

    kwargs = _get_kwargs(
        from_=from_,
        to=to,
        group_by=group_by,
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
    group_by: FinanceReportGroupBy | Unset = UNSET,
) -> FinanceReport | Problem | None:
    """Points liability and its movements over a period, in points and money

     Per currency: `opening` liability (points available or held just before `from`), `granted`,
    `recognized` (deducted by resolutions: revenue), `returned` (given back after resolution),
    `breakage` (expired), `revoked`, `written_off`, and `closing` liability just before `to`, with
    `closing = opening + granted − recognized + returned − breakage − revoked − written_off`
    exactly, in points and in money (points valued at their lot's `unit_price`). Entries count in
    the period in which they were recorded (`created_at`), so a closed period's report never
    changes; a backdated purchase counts when it was recorded. `Accept: text/csv` answers CSV.
    `from` after `to`, `to` in the future or a period over 10 years is a 422.

    Args:
        from_ (datetime.datetime): start of the period, included
        to (datetime.datetime): end of the period, excluded; not in the future
        group_by (FinanceReportGroupBy | Unset): split the rows by account, plan or ticket
            category

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        FinanceReport | Problem
    """

    return sync_detailed(
        client=client,
        from_=from_,
        to=to,
        group_by=group_by,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    from_: datetime.datetime,
    to: datetime.datetime,
    group_by: FinanceReportGroupBy | Unset = UNSET,
) -> Response[FinanceReport | Problem]:
    """Points liability and its movements over a period, in points and money

     Per currency: `opening` liability (points available or held just before `from`), `granted`,
    `recognized` (deducted by resolutions: revenue), `returned` (given back after resolution),
    `breakage` (expired), `revoked`, `written_off`, and `closing` liability just before `to`, with
    `closing = opening + granted − recognized + returned − breakage − revoked − written_off`
    exactly, in points and in money (points valued at their lot's `unit_price`). Entries count in
    the period in which they were recorded (`created_at`), so a closed period's report never
    changes; a backdated purchase counts when it was recorded. `Accept: text/csv` answers CSV.
    `from` after `to`, `to` in the future or a period over 10 years is a 422.

    Args:
        from_ (datetime.datetime): start of the period, included
        to (datetime.datetime): end of the period, excluded; not in the future
        group_by (FinanceReportGroupBy | Unset): split the rows by account, plan or ticket
            category

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[FinanceReport | Problem]
    """

    kwargs = _get_kwargs(
        from_=from_,
        to=to,
        group_by=group_by,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    from_: datetime.datetime,
    to: datetime.datetime,
    group_by: FinanceReportGroupBy | Unset = UNSET,
) -> FinanceReport | Problem | None:
    """Points liability and its movements over a period, in points and money

     Per currency: `opening` liability (points available or held just before `from`), `granted`,
    `recognized` (deducted by resolutions: revenue), `returned` (given back after resolution),
    `breakage` (expired), `revoked`, `written_off`, and `closing` liability just before `to`, with
    `closing = opening + granted − recognized + returned − breakage − revoked − written_off`
    exactly, in points and in money (points valued at their lot's `unit_price`). Entries count in
    the period in which they were recorded (`created_at`), so a closed period's report never
    changes; a backdated purchase counts when it was recorded. `Accept: text/csv` answers CSV.
    `from` after `to`, `to` in the future or a period over 10 years is a 422.

    Args:
        from_ (datetime.datetime): start of the period, included
        to (datetime.datetime): end of the period, excluded; not in the future
        group_by (FinanceReportGroupBy | Unset): split the rows by account, plan or ticket
            category

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        FinanceReport | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            from_=from_,
            to=to,
            group_by=group_by,
        )
    ).parsed
