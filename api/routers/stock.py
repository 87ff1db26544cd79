"""Stock items: registration, receipts, count corrections, price changes and the item's state.

Reservations and shipments are not commands of their own: orders make them (api/routers/orders).
"""

from typing import Annotated

from fastapi import APIRouter, Path

from api.access import known, require_role
from api.deps import CommandDep, PrincipalDep, ServicesDep, VersionedCommandDep
from api.errors import ERROR_RESPONSES
from api.inputs import Sku
from api.schemas import Versioned
from api.schemas.stock import (
    Adjustment,
    PriceChange,
    Receipt,
    StockItemCreate,
    StockItemCreated,
    StockItemPublic,
)
from domain.pricing import CENT
from infra.service.commands import Guard

router = APIRouter(prefix="/v1/stock-items", tags=["stock"], responses=ERROR_RESPONSES)
SkuPath = Annotated[Sku, Path(description="The item's SKU")]
STOCK_KEEPERS = ("manager", "admin")  # who runs the stock; everyone signed in may read it


def _known(sku: str) -> Guard:
    return known(f"stock item {sku}")


@router.post("", status_code=201)
def register(body: StockItemCreate, call: CommandDep) -> StockItemCreated:
    """Register a stock item (managers and admins). Its SKU names it: a second item with the
    same SKU is refused with 409 `already_exists`."""
    require_role(call.caller, *STOCK_KEEPERS)
    result = call.services.sales.stock.register(
        call.ctx, sku=body.sku, name=body.name, base_price=body.base_price,
        reorder_level=body.reorder_level, specification=body.specification)
    registered = result.events[0]
    return StockItemCreated(sku=registered.sku, position=result.position)  # type: ignore[attr-defined]


@router.get("/{sku}")
def get_stock_item(sku: SkuPath, caller: PrincipalDep, services: ServicesDep) -> StockItemPublic:
    """The item as the command side knows it now (every role may read stock)."""
    loaded = services.sales.stock.find(sku)
    item = loaded.state
    return StockItemPublic(sku=item.sku, name=item.name, base_price=item.base_price.quantize(CENT),
                           reorder_level=item.reorder_level, on_hand=item.on_hand,
                           reserved=item.reserved, available=item.available,
                           version=loaded.version)


@router.post("/{sku}/receipts")
def receive(sku: SkuPath, body: Receipt, call: CommandDep) -> Versioned:
    """Goods arrived: on hand (and available) grow by `quantity`."""
    require_role(call.caller, *STOCK_KEEPERS)
    result = call.services.sales.stock.receive(call.ctx, sku, quantity=body.quantity,
                                               guard=_known(sku))
    return Versioned.of(result)


@router.post("/{sku}/adjustments")
def adjust(sku: SkuPath, body: Adjustment, call: CommandDep) -> Versioned:
    """Correct the count (stocktaking, damage). On hand may not fall below what is reserved:
    409 `insufficient_stock`."""
    require_role(call.caller, *STOCK_KEEPERS)
    result = call.services.sales.stock.adjust(call.ctx, sku, delta=body.delta,
                                              reason=body.reason, guard=_known(sku))
    return Versioned.of(result)


@router.post("/{sku}/price")
def change_price(sku: SkuPath, body: PriceChange, call: VersionedCommandDep) -> Versioned:
    """Change the base price of later orders (placed orders keep theirs). Honours If-Match."""
    require_role(call.caller, *STOCK_KEEPERS)
    result = call.services.sales.stock.change_price(call.ctx, sku, base_price=body.base_price,
                                                    expected_version=call.expected_version,
                                                    guard=_known(sku))
    return Versioned.of(result)
