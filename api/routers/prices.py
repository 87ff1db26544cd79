"""Price lists and promotions: set by admins, read by everyone signed in (reps and managers
quote with them). Orders and quotes priced afterwards name the rule behind each price."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path

from api.access import require_role
from api.deps import CommandDep, PrincipalDep, ServicesDep
from api.errors import ERROR_RESPONSES
from api.inputs import Label
from api.schemas import Created
from api.schemas.prices import (
    ListedPrice,
    PriceListPublic,
    PriceListPut,
    PriceListSet,
    PromotionCreate,
    PromotionPublic,
    Promotions,
)
from domain.pricing import CENT, RegionalPrices

router = APIRouter(prefix="/v1", tags=["prices"], responses=ERROR_RESPONSES)
Region = Annotated[Label, Path(description="The region, as accounts name it")]
PRICE_SETTERS = ("admin",)


@router.put("/price-lists/{region}")
def set_price_list(region: Region, body: PriceListPut, call: CommandDep) -> PriceListSet:
    """Set the region's price list whole (admins): orders and quotes of the region's
    customers in its currency are priced from it, a SKU it does not list at its base price.
    Honours If-Match (the list's version)."""
    require_role(call.caller, *PRICE_SETTERS)
    result = call.services.sales.prices.set_price_list(
        call.ctx, region, currency=body.currency,
        prices=[(p.sku, p.unit_price) for p in body.prices],
        expected_version=call.expected_version)
    return PriceListSet(region=region.strip(), position=result.position, version=result.version)


@router.get("/price-lists/{region}")
def get_price_list(region: Region, caller: PrincipalDep, services: ServicesDep) -> PriceListPublic:
    """The region's price list now (every role); none set: 404."""
    loaded = services.sales.prices.price_list(region)
    listed: RegionalPrices = loaded.state
    return PriceListPublic(region=listed.region, currency=listed.currency, version=loaded.version,
                           prices=[ListedPrice(sku=sku, unit_price=price.quantize(CENT))
                                   for sku, price in sorted(listed.prices.items())])


@router.post("/promotions", status_code=201)
def add_promotion(body: PromotionCreate, call: CommandDep) -> Created:
    """Add a promotion (admins): from `valid_from` to `valid_to` (both included) it takes
    `percent` off the list price of the SKUs named (none: every SKU), when it is the best
    discount the customer gets (discounts do not stack). Its name is unique (409
    `already_exists`)."""
    require_role(call.caller, *PRICE_SETTERS)
    result = call.services.sales.prices.add_promotion(
        call.ctx, name=body.name, percent=body.percent, skus=body.skus,
        valid_from=body.valid_from, valid_to=body.valid_to)
    added = result.events[0]
    return Created(id=added.promotion_id, position=result.position)  # type: ignore[attr-defined]


@router.get("/promotions")
def list_promotions(caller: PrincipalDep, services: ServicesDep) -> Promotions:
    """Every promotion, in the order added, and whether it applies today (every role)."""
    today = datetime.now(UTC).date()
    return Promotions(items=[
        PromotionPublic(id=promotion_id, name=p.name, percent=p.percent, skus=list(p.skus),
                        valid_from=p.valid_from, valid_to=p.valid_to,
                        in_force=p.valid_from <= today <= p.valid_to)
        for promotion_id, p in services.sales.prices.calendar().with_ids()])
