import datetime
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.entry_kind import EntryKind
from ...models.page_ledger_entry import PageLedgerEntry
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    account_id: str,
    *,
    kind: list[EntryKind] | Unset = UNSET,
    view: Literal["modifications"] | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    as_of: datetime.datetime | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_kind: list[str] | Unset = UNSET
    if not isinstance(kind, Unset):
        json_kind = []
        for kind_item_data in kind:
            kind_item = kind_item_data.value
            json_kind.append(kind_item)

    params["kind"] = json_kind

    params["view"] = view

    params["limit"] = limit

    params["cursor"] = cursor

    json_as_of: str | Unset = UNSET
    if not isinstance(as_of, Unset):
        json_as_of = as_of.isoformat()
    params["as_of"] = json_as_of

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/accounts/{account_id}/ledger".format(
            account_id=quote(str(account_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> PageLedgerEntry | Problem | None:
    if response.status_code == 200:
        response_200 = PageLedgerEntry.from_dict(response.json())

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[PageLedgerEntry | Problem]:
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
    kind: list[EntryKind] | Unset = UNSET,
    view: Literal["modifications"] | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    as_of: datetime.datetime | Unset = UNSET,
) -> Response[PageLedgerEntry | Problem]:
    """Ledger entries, newest first

     Ledger entries newest first, each with its deltas, the balances after it and its per-lot
    postings. Due expiries not yet written appear first with `pending: true`. `?kind=` filters
    (repeatable); `?view=modifications` keeps part 1 of the statement. `as_of`: the entries
    recorded up to that instant, with the expiries pending then; its cursors hold to that instant.

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        kind (list[EntryKind] | Unset): repeatable
        view (Literal['modifications'] | Unset): part 1 of the statement
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)
        as_of (datetime.datetime | Unset): answer as the service would have at this instant (not
            in the future): entries recorded up to it, inclusive, and the expiries due then shown as
            pending

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageLedgerEntry | Problem]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
        kind=kind,
        view=view,
        limit=limit,
        cursor=cursor,
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
    kind: list[EntryKind] | Unset = UNSET,
    view: Literal["modifications"] | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    as_of: datetime.datetime | Unset = UNSET,
) -> PageLedgerEntry | Problem | None:
    """Ledger entries, newest first

     Ledger entries newest first, each with its deltas, the balances after it and its per-lot
    postings. Due expiries not yet written appear first with `pending: true`. `?kind=` filters
    (repeatable); `?view=modifications` keeps part 1 of the statement. `as_of`: the entries
    recorded up to that instant, with the expiries pending then; its cursors hold to that instant.

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        kind (list[EntryKind] | Unset): repeatable
        view (Literal['modifications'] | Unset): part 1 of the statement
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)
        as_of (datetime.datetime | Unset): answer as the service would have at this instant (not
            in the future): entries recorded up to it, inclusive, and the expiries due then shown as
            pending

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageLedgerEntry | Problem
    """

    return sync_detailed(
        account_id=account_id,
        client=client,
        kind=kind,
        view=view,
        limit=limit,
        cursor=cursor,
        as_of=as_of,
    ).parsed


async def asyncio_detailed(
    account_id: str,
    *,
    client: AuthenticatedClient,
    kind: list[EntryKind] | Unset = UNSET,
    view: Literal["modifications"] | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    as_of: datetime.datetime | Unset = UNSET,
) -> Response[PageLedgerEntry | Problem]:
    """Ledger entries, newest first

     Ledger entries newest first, each with its deltas, the balances after it and its per-lot
    postings. Due expiries not yet written appear first with `pending: true`. `?kind=` filters
    (repeatable); `?view=modifications` keeps part 1 of the statement. `as_of`: the entries
    recorded up to that instant, with the expiries pending then; its cursors hold to that instant.

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        kind (list[EntryKind] | Unset): repeatable
        view (Literal['modifications'] | Unset): part 1 of the statement
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)
        as_of (datetime.datetime | Unset): answer as the service would have at this instant (not
            in the future): entries recorded up to it, inclusive, and the expiries due then shown as
            pending

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageLedgerEntry | Problem]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
        kind=kind,
        view=view,
        limit=limit,
        cursor=cursor,
        as_of=as_of,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    account_id: str,
    *,
    client: AuthenticatedClient,
    kind: list[EntryKind] | Unset = UNSET,
    view: Literal["modifications"] | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    as_of: datetime.datetime | Unset = UNSET,
) -> PageLedgerEntry | Problem | None:
    """Ledger entries, newest first

     Ledger entries newest first, each with its deltas, the balances after it and its per-lot
    postings. Due expiries not yet written appear first with `pending: true`. `?kind=` filters
    (repeatable); `?view=modifications` keeps part 1 of the statement. `as_of`: the entries
    recorded up to that instant, with the expiries pending then; its cursors hold to that instant.

    Args:
        account_id (str): the helpdesk's customer id (case-sensitive)
        kind (list[EntryKind] | Unset): repeatable
        view (Literal['modifications'] | Unset): part 1 of the statement
        limit (int | Unset): page size Default: 50.
        cursor (str | Unset): `next_cursor` of the previous page (opaque; valid only with the same
            endpoint and filters)
        as_of (datetime.datetime | Unset): answer as the service would have at this instant (not
            in the future): entries recorded up to it, inclusive, and the expiries due then shown as
            pending

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageLedgerEntry | Problem
    """

    return (
        await asyncio_detailed(
            account_id=account_id,
            client=client,
            kind=kind,
            view=view,
            limit=limit,
            cursor=cursor,
            as_of=as_of,
        )
    ).parsed
