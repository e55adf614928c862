"""Points in: purchases, licenses, imports, adjustments; and revocation of a lot."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from ...services import grants, present
from ...services.revocation import RevocationTally, RevokeLot
from .. import schemas
from ..deps import ADMIN, BILLING, Principal, command_context, lot_account, on_account, on_lot
from ..problems import validation_problem
from ..routing import DeferredJsonRoute
from ..writes import KeyOrReplay, execute
from .accounts import AccountId

router = APIRouter(prefix="/v1", tags=["points"], route_class=DeferredJsonRoute)

# The commands find the account under its lock (404 when it is absent): no separate look-up.
Billing = Annotated[Principal, Depends(on_account(*BILLING, found_later=True))]
Admin = Annotated[Principal, Depends(on_account(*ADMIN, found_later=True))]


def _lot(lot: Any, balance: Any) -> dict[str, Any] | None:
    return present.lot(lot, balance.as_of) if lot is not None else None


def _granted(granted: grants.Granted) -> tuple[int, dict[str, Any], dict[str, str]]:
    body = {"lot": _lot(granted.lot, granted.balance), "balance": present.balance(granted.balance)}
    return (201 if granted.created else 200), body, {}


@router.post(
    "/accounts/{account_id}/purchases",
    operation_id="create_purchase",
    summary="Record a point pack bought with a payment",
    status_code=201,
    response_model=schemas.LotWithBalance,
    responses={
        200: {"description": "this payment was recorded before: the lot as it is now", "model": schemas.LotWithBalance}
    },
)
async def create_purchase(
    request: Request, principal: Billing, key: KeyOrReplay, account_id: AccountId, body: schemas.PurchaseCreate
) -> Response:
    """A point pack bought with `payment_id`. `purchased_at` defaults to now, may be up to 5 minutes
    ahead and 7 days back (admins: any past time); `paid` defaults to the plan's price. The same
    payment again with the same fields answers 200 with the lot as it is now; other content, or
    the payment on another account, 409."""
    command = grants.Purchase(
        ctx=command_context(request, principal),
        account_id=account_id,
        plan=body.plan,
        payment_id=body.payment_id,
        purchased_at=body.purchased_at,
        paid=grants.Paid(body.paid.amount, body.paid.currency) if body.paid else None,
    )
    return await execute(request, key, command, present=_granted, model=schemas.LotWithBalance)


def _licensed(granted: grants.Granted) -> tuple[int, dict[str, Any], dict[str, str]]:
    assert granted.license is not None
    body = {
        "license": present.license(granted.license),
        "lot": _lot(granted.lot, granted.balance),
        "balance": present.balance(granted.balance),
    }
    return (201 if granted.created else 200), body, {}


@router.post(
    "/accounts/{account_id}/licenses",
    operation_id="create_license",
    summary="Record a license sold, with its bonus points",
    status_code=201,
    response_model=schemas.LicenseResult,
    responses={
        200: {"description": "this license was recorded before: the original result", "model": schemas.LicenseResult}
    },
)
async def create_license(
    request: Request, principal: Billing, key: KeyOrReplay, account_id: AccountId, body: schemas.LicenseCreate
) -> Response:
    """A license sold to the account. Its product's bonus policy decides the bonus lot
    (`first_license`: only the account's first license; `every_license`). A license key belongs to
    one account forever: the same content again answers 200 with the original result, other
    content 409."""
    command = grants.RegisterLicense(
        ctx=command_context(request, principal),
        account_id=account_id,
        license_key=body.license_key,
        product=body.product,
        purchased_at=body.purchased_at,
    )
    return await execute(request, key, command, present=_licensed, model=schemas.LicenseResult)


@router.post(
    "/accounts/{account_id}/imports",
    operation_id="create_import",
    summary="Import a balance from a previous system",
    status_code=201,
    response_model=schemas.LotWithBalance,
    responses={
        200: {
            "description": "this external_ref was imported before: the lot as it is now",
            "model": schemas.LotWithBalance,
        }
    },
)
async def create_import(
    request: Request, principal: Admin, key: KeyOrReplay, account_id: AccountId, body: schemas.ImportCreate
) -> Response:
    """Admin only: a balance moved from a previous system, once per `external_ref` (an identical
    repeat answers 200). `expires_at` omitted: two years from `granted_at`; `null`: never; in the
    past: the lot is created expired. A `payment_id` shares the purchases' namespace."""
    command = grants.ImportPoints(
        ctx=command_context(request, principal),
        account_id=account_id,
        points=body.points,
        granted_at=body.granted_at,
        external_ref=body.external_ref,
        reason=body.reason,
        expires_at=body.expires_at if "expires_at" in body.model_fields_set else grants.UNSET,
        payment_id=body.payment_id,
    )
    return await execute(request, key, command, present=_granted, model=schemas.LotWithBalance)


def _adjusted(adjusted: grants.Adjusted) -> tuple[int, dict[str, Any], dict[str, str]]:
    body = {
        "lot": _lot(adjusted.lot, adjusted.balance),
        "postings": [
            {"lot_id": m.lot_id, "from_state": m.from_state, "to_state": m.to_state, "points": m.points}
            for m in adjusted.moves
        ],
        "balance": present.balance(adjusted.balance),
    }
    return (201 if adjusted.lot is not None else 200), body, {}


@router.post(
    "/accounts/{account_id}/adjustments",
    operation_id="create_adjustment",
    summary="Grant (+N) or write off (−N) points by hand",
    status_code=201,
    response_model=schemas.AdjustmentResult,
    responses={
        200: {
            "description": "a write-off: `lot` is null and `postings` say what was written off",
            "model": schemas.AdjustmentResult,
        }
    },
)
async def create_adjustment(
    request: Request, principal: Admin, key: KeyOrReplay, account_id: AccountId, body: schemas.AdjustmentCreate
) -> Response:
    """Admin only. `+N` grants a new lot (`source: adjustment`, expiring two years from now unless
    `expires_at` says otherwise; `null` never) → 201. `−N` writes off available points in
    consumption order → 200 with `lot: null` and the postings; 422 if fewer are available."""
    if body.points == 0:
        raise validation_problem("#/points", "points must not be 0")
    command = grants.AdjustPoints(
        ctx=command_context(request, principal),
        account_id=account_id,
        points=body.points,
        reason=body.reason,
        expires_at=body.expires_at if "expires_at" in body.model_fields_set else grants.UNSET,
    )
    return await execute(request, key, command, present=_adjusted, model=schemas.AdjustmentResult)


def _revoked(result: RevocationTally) -> tuple[int, dict[str, Any], dict[str, str]]:
    body = {
        "lot": present.lot(result.lot, result.as_of),
        "revoked": result.revoked,
        "held_by_open_tickets": result.held_by_open_tickets,
        "unrecoverable": result.unrecoverable,
        "already_expired": result.already_expired,
        "written_off": result.written_off,
        "reissued": result.reissued,
        "revoked_from_reissued_lots": result.revoked_from_reissued_lots,
    }
    return 200, body, {}


@router.post(
    "/lots/{lot_id}/revoke",
    operation_id="revoke_lot",
    summary="Revoke a lot whose payment was refunded or charged back",
    response_model=schemas.Revocation,
)
async def revoke_lot(
    request: Request,
    principal: Annotated[Principal, Depends(on_lot(*BILLING))],
    key: KeyOrReplay,
    lot_id: str,
    body: schemas.RevokeRequest,
) -> Response:
    """Available points are revoked at once; points held by open tickets are revoked when they
    come back; deducted points are unrecoverable. Revoking again changes nothing."""
    command = RevokeLot(
        ctx=command_context(request, principal), account_id=lot_account(request), lot_id=lot_id, reason=body.reason
    )
    return await execute(request, key, command, present=_revoked, model=schemas.Revocation)
