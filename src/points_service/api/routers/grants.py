"""Points in: purchases, licenses, imports, adjustments; and revocation of a lot."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from ...services import grants
from ...services.revocation import revoke_lot as revoke_lot_command
from .. import present, schemas
from ..deps import ADMIN, BILLING, Principal, command_context, database, on_account, on_lot
from ..problems import validation_problem
from .accounts import AccountId

router = APIRouter(prefix="/v1", tags=["points"])

Billing = Annotated[Principal, Depends(on_account(*BILLING))]
Admin = Annotated[Principal, Depends(on_account(*ADMIN))]


def _lot(lot: Any, balance: Any) -> dict[str, Any] | None:
    return present.lot(lot, balance.as_of) if lot is not None else None


@router.post(
    "/accounts/{account_id}/purchases",
    operation_id="create_purchase",
    summary="Record a point pack bought with a payment",
    status_code=201,
    response_model=schemas.LotWithBalance,
    responses={200: {"description": "this payment was recorded before: the lot as it is now"}},
)
async def create_purchase(
    request: Request, response: Response, principal: Billing, account_id: AccountId, body: schemas.PurchaseCreate
) -> dict[str, Any]:
    granted = await database(request).write(
        grants.purchase,
        command_context(request, principal),
        account_id=account_id,
        plan=body.plan,
        payment_id=body.payment_id,
        purchased_at=body.purchased_at,
        paid=grants.Paid(body.paid.amount, body.paid.currency) if body.paid else None,
    )
    response.status_code = 201 if granted.created else 200
    return {"lot": _lot(granted.lot, granted.balance), "balance": present.balance(granted.balance)}


@router.post(
    "/accounts/{account_id}/licenses",
    operation_id="create_license",
    summary="Record a license sold, with its bonus points",
    status_code=201,
    response_model=schemas.LicenseResult,
    responses={200: {"description": "this license was recorded before: the original result"}},
)
async def create_license(
    request: Request, response: Response, principal: Billing, account_id: AccountId, body: schemas.LicenseCreate
) -> dict[str, Any]:
    granted = await database(request).write(
        grants.register_license,
        command_context(request, principal),
        account_id=account_id,
        license_key=body.license_key,
        product=body.product,
        purchased_at=body.purchased_at,
    )
    response.status_code = 201 if granted.created else 200
    assert granted.license is not None
    return {
        "license": present.license(granted.license),
        "lot": _lot(granted.lot, granted.balance),
        "balance": present.balance(granted.balance),
    }


@router.post(
    "/accounts/{account_id}/imports",
    operation_id="create_import",
    summary="Import a balance from a previous system",
    status_code=201,
    response_model=schemas.LotWithBalance,
    responses={200: {"description": "this external_ref was imported before: the lot as it is now"}},
)
async def create_import(
    request: Request, response: Response, principal: Admin, account_id: AccountId, body: schemas.ImportCreate
) -> dict[str, Any]:
    granted = await database(request).write(
        grants.import_points,
        command_context(request, principal),
        account_id=account_id,
        points=body.points,
        granted_at=body.granted_at,
        external_ref=body.external_ref,
        reason=body.reason,
        expires_at=body.expires_at if "expires_at" in body.model_fields_set else grants.UNSET,
        payment_id=body.payment_id,
    )
    response.status_code = 201 if granted.created else 200
    return {"lot": _lot(granted.lot, granted.balance), "balance": present.balance(granted.balance)}


@router.post(
    "/accounts/{account_id}/adjustments",
    operation_id="create_adjustment",
    summary="Grant (+N) or write off (−N) points by hand",
    status_code=201,
    response_model=schemas.AdjustmentResult,
    responses={200: {"description": "a write-off: `lot` is null and `postings` say what was written off"}},
)
async def create_adjustment(
    request: Request, response: Response, principal: Admin, account_id: AccountId, body: schemas.AdjustmentCreate
) -> dict[str, Any]:
    if body.points == 0:
        raise validation_problem("#/points", "points must not be 0")
    adjusted = await database(request).write(
        grants.adjust_points,
        command_context(request, principal),
        account_id=account_id,
        points=body.points,
        reason=body.reason,
        expires_at=body.expires_at if "expires_at" in body.model_fields_set else grants.UNSET,
    )
    response.status_code = 201 if adjusted.lot is not None else 200
    return {
        "lot": _lot(adjusted.lot, adjusted.balance),
        "postings": [
            {"lot_id": m.lot.id, "from_state": m.from_state, "to_state": m.to_state, "points": m.points}
            for m in adjusted.moves
        ],
        "balance": present.balance(adjusted.balance),
    }


@router.post(
    "/lots/{lot_id}/revoke",
    operation_id="revoke_lot",
    summary="Revoke a lot whose payment was refunded or charged back",
    response_model=schemas.Revocation,
)
async def revoke_lot(
    request: Request,
    principal: Annotated[Principal, Depends(on_lot(*BILLING))],
    lot_id: str,
    body: schemas.RevokeRequest,
) -> dict[str, Any]:
    """Available points are revoked at once; points held by open tickets are revoked when they
    come back; deducted points are unrecoverable. Revoking again changes nothing."""
    result = await database(request).write(
        revoke_lot_command, command_context(request, principal), lot_id=lot_id, reason=body.reason
    )
    return {
        "lot": present.lot(result.lot, result.as_of),
        "revoked": result.revoked,
        "held_by_open_tickets": result.held_by_open_tickets,
        "unrecoverable": result.unrecoverable,
        "already_expired": result.already_expired,
        "written_off": result.written_off,
        "reissued": result.reissued,
        "revoked_from_reissued_lots": result.revoked_from_reissued_lots,
    }
