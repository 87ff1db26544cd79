"""Inventory queries: a SKU's stock level, the SKUs to reorder, and a SKU's movements.

Stock belongs to no customer, so every authenticated role may read it; but a movement made
by an order names the order and who placed it: a rep or manager sees those only for the
orders they may see (and the actors they may see), else null.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.access import Sight
from api.deps import PageDep, PrincipalDep, ServicesDep, reads
from api.errors import QUERY_RESPONSES, not_found
from api.inputs import Sku
from api.reading import paged
from infra.readside.readstore import SqlReader
from projections.inventory.answers import Movement, Movements, StockLevel, StockLevels
from projections.inventory.queries import InventoryQueries

router = APIRouter(prefix="/v1/inventory", tags=["inventory"], responses=QUERY_RESPONSES)
ReadsInventory = Annotated[None, reads("inventory")]
SkuPath = Annotated[Sku, Path(description="The stock item's SKU")]


def _as_seen(row: dict[str, Any], sight: Sight) -> dict[str, Any]:
    """The movement with the order (and its shipment and actor) the caller may not see,
    and any actor they may not see, left out."""
    if row["order_id"] is not None and not sight.record(row["order_id"]):
        return {**row, "order_id": None, "shipment_id": None, "actor": None}
    return row if sight.actor(row["actor"]) else {**row, "actor": None}


def _level(row: dict[str, Any]) -> StockLevel:
    return StockLevel(**{k: row[k] for k in StockLevel.model_fields})


@router.get("")
def list_levels(caller: PrincipalDep, services: ServicesDep, _: ReadsInventory, page: PageDep,
                below_reorder: Annotated[bool, Query(
                    description="Only the SKUs whose available stock is below reorder level")
                ] = False) -> StockLevels:
    """Every SKU's stock level (or only those to reorder), by SKU."""
    with services.read_db.reader() as conn:
        queries = InventoryQueries(SqlReader(services.read_db, conn))
        found = queries.below_reorder() if below_reorder else queries.levels()
    return StockLevels(items=[_level(r) for r in paged(found, page)], total=len(found), **page)


@router.get("/{sku}")
def level(sku: SkuPath, caller: PrincipalDep, services: ServicesDep, _: ReadsInventory) -> StockLevel:
    """On hand, reserved (held by orders) and available stock of one SKU."""
    with services.read_db.reader() as conn:
        found = InventoryQueries(SqlReader(services.read_db, conn)).level(sku)
    if found is None:
        raise not_found(f"stock item {sku}")
    return _level(found)


@router.get("/{sku}/movements")
def movements(sku: SkuPath, caller: PrincipalDep, services: ServicesDep, _: ReadsInventory,
              page: PageDep) -> Movements:
    """The SKU's stock events (receipts, reservations, releases, shipments, adjustments,
    price changes), newest first. Reps and managers get `order_id`, `shipment_id` and
    `actor` only where they may see the order and the actor (else null)."""
    with services.read_db.reader() as conn:
        queries = InventoryQueries(SqlReader(services.read_db, conn))
        if queries.level(sku) is None:
            raise not_found(f"stock item {sku}")
        found = queries.movements(sku, limit=page["limit"] + page["offset"])
    sight = Sight(caller, services.sales.directory)
    items = [Movement(**{k: r[k] for k in Movement.model_fields})
             for r in (_as_seen(r, sight) for r in paged(found, page))]
    return Movements(sku=sku, items=items, **page)
