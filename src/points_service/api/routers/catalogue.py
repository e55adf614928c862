"""Catalogue: plans, categories, license products, and quotes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from ...db.records import Category, LicenseProduct, Plan
from ...domain.errors import NotFoundError
from ...domain.pricing import quote, rule_from_dict
from ...services import catalogue, present, queries
from .. import schemas
from ..deps import ADMIN, ALL, Caller, Principal, allow, command_context, database
from ..pagination import DEFAULT_LIMIT, Cursor, Limit, decode_cursor, encode_cursor, scope_of, text
from ..problems import ProblemError
from ..routing import DeferredJsonRoute

router = APIRouter(prefix="/v1", tags=["catalogue"], route_class=DeferredJsonRoute)

CodePath = Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
IncludeInactive = Annotated[bool, Query(description="admin only: include retired entries")]


async def _list(
    request: Request,
    principal: Principal,
    model: Any,
    render: Callable[[Any], dict[str, Any]],
    include_inactive: bool,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """Entries by code, a page at a time."""
    if include_inactive and principal.role != "admin":
        raise ProblemError("forbidden", "only admins may list inactive catalogue entries")
    scope = scope_of(model.TABLE.name, include_inactive=include_inactive)
    after = decode_cursor(cursor, scope, text)
    page = await database(request).read_single(
        queries.catalogue_page, model, include_inactive=include_inactive, after=after, limit=limit
    )
    return {"items": [render(r) for r in page.items], "next_cursor": encode_cursor(scope, page.next_key)}


@router.get("/plans", operation_id="list_plans", summary="List point packs", response_model=schemas.Page[schemas.Plan])
async def list_plans(
    request: Request,
    principal: Caller,
    include_inactive: IncludeInactive = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Active point packs by code, with their price."""
    return await _list(request, principal, Plan, present.plan, include_inactive, limit, cursor)


@router.get(
    "/categories",
    operation_id="list_categories",
    summary="List ticket categories",
    response_model=schemas.Page[schemas.Category],
)
async def list_categories(
    request: Request,
    principal: Caller,
    include_inactive: IncludeInactive = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Active ticket categories by code, with their pricing rules (`include_inactive=true`: admin only)."""
    return await _list(request, principal, Category, present.category, include_inactive, limit, cursor)


@router.get(
    "/license-products",
    operation_id="list_license_products",
    summary="List license products",
    response_model=schemas.Page[schemas.LicenseProduct],
)
async def list_license_products(
    request: Request,
    principal: Caller,
    include_inactive: IncludeInactive = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Active license products by code, with their bonus points and policy."""
    return await _list(request, principal, LicenseProduct, present.license_product, include_inactive, limit, cursor)


@router.get(
    "/categories/{code}/quote",
    operation_id="quote_category",
    summary="Price a ticket of a category",
    response_model=schemas.Quote,
)
async def quote_category(
    request: Request,
    principal: Annotated[Principal, Depends(allow(*ALL))],
    code: CodePath,
    quantity: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
) -> dict[str, Any]:
    """What a ticket of this category costs: `points` when the rule fixes it, else `min`/`max`.
    `quantity` is required for formula rules and refused for the others."""
    row = await database(request).read_single(queries.category, code)
    if row is None:
        raise NotFoundError("category", code)
    result = quote(rule_from_dict(row.pricing), quantity)
    return {
        "category": row.code,
        "pricing": row.pricing,
        "quantity": quantity,
        "points": result.points,
        "min": result.min,
        "max": result.max,
    }


def _status(response: Response, created: bool) -> None:
    response.status_code = 201 if created else 200


@router.put(
    "/plans/{code}",
    operation_id="put_plan",
    summary="Create or change a point pack",
    responses={201: {"description": "created", "model": schemas.Plan}},
    response_model=schemas.Plan,
)
async def put_plan(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(allow(*ADMIN))],
    code: CodePath,
    body: schemas.PlanPut,
) -> dict[str, Any]:
    """Admin only: create (201) or change (200) a point pack. Lots keep the plan and price they
    were bought with."""
    put = await database(request).write(
        catalogue.PutPlan(
            ctx=command_context(request, principal),
            code=code,
            points=body.points,
            amount=body.price.amount,
            currency=body.price.currency,
            active=body.active,
        )
    )
    _status(response, put.created)
    return present.plan(put.entry)


@router.put(
    "/categories/{code}",
    operation_id="put_category",
    summary="Create or change a ticket category",
    responses={201: {"description": "created", "model": schemas.Category}},
    response_model=schemas.Category,
)
async def put_category(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(allow(*ADMIN))],
    code: CodePath,
    body: schemas.CategoryPut,
) -> dict[str, Any]:
    """Admin only: create (201) or change (200) a category; `active: false` retires it. Open
    tickets keep the pricing they were opened with."""
    put = await database(request).write(
        catalogue.PutCategory(
            ctx=command_context(request, principal),
            code=code,
            group=body.group,
            name=body.name,
            pricing=body.pricing.model_dump(),
            active=body.active,
        )
    )
    _status(response, put.created)
    return present.category(put.entry)


@router.put(
    "/license-products/{code}",
    operation_id="put_license_product",
    summary="Create or change a license product",
    responses={201: {"description": "created", "model": schemas.LicenseProduct}},
    response_model=schemas.LicenseProduct,
)
async def put_license_product(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(allow(*ADMIN))],
    code: CodePath,
    body: schemas.LicenseProductPut,
) -> dict[str, Any]:
    """Admin only: create (201) or change (200) a license product."""
    put = await database(request).write(
        catalogue.PutLicenseProduct(
            ctx=command_context(request, principal),
            code=code,
            name=body.name,
            bonus_points=body.bonus_points,
            bonus_policy=body.bonus_policy,
            active=body.active,
        )
    )
    _status(response, put.created)
    return present.license_product(put.entry)
