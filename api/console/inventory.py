"""The Inventory page: every SKU's stock (on hand, reserved, available, reorder level), those
below their reorder level flagged and to be shown alone, and a SKU's page with its movements.

Levels are ``GET /v1/inventory``'s answer, a SKU's level and movements ``GET /v1/inventory/
{sku}`` and ``/movements`` (their route functions: a rep or manager sees an order, and who
made a movement, only where the API shows them). Base prices are in the base currency.
"""

from typing import Annotated

from fastapi.responses import HTMLResponse
from pydantic import Field

from api.console.lookups import visible_reps
from api.console.views import Page, View, console_router, optional, render
from api.inputs import Sku
from api.routers.inventory import level, list_levels, movements
from domain.pricing import BASE_CURRENCY
from projections.inventory.answers import Movement, StockLevel

PAGE = Page(title="Inventory", path="/inventory", template="inventory.html", reads=("inventory", "lists"))
SKU_TEMPLATE = "stock_item.html"
router = console_router()
InventoryView = Annotated[View, PAGE.viewer()]
BATCH = 500  # the largest page GET /v1/inventory gives
MOVEMENTS = 50  # a SKU's page shows this many, newest first, then "Older"
Offset = Annotated[int, Field(ge=0, le=1_000_000_000)]


def all_levels(view: View, below_reorder: bool) -> list[StockLevel]:
    """Every page of ``GET /v1/inventory`` (``?below_reorder=true``: those to reorder)."""
    found: list[StockLevel] = []
    while True:
        page = list_levels(view.caller, view.services, None, {"limit": BATCH, "offset": len(found)},
                           below_reorder=below_reorder)
        found.extend(page.items)
        if not page.items or len(found) >= page.total:
            return found


@router.get(PAGE.path)
def inventory_page(view: InventoryView, below_reorder: str = "") -> HTMLResponse:
    only_low = optional(bool, below_reorder, "below_reorder") or False
    levels = all_levels(view, only_low)
    low = levels if only_low else [item for item in levels if item.below_reorder]
    return view.render(levels=levels, only_low=only_low, low=len(low),
                       base_currency=BASE_CURRENCY)


def actor_name(actor: str | None, names: dict[str, str]) -> str:
    """A rep by name; the system's flows and tokens as what they are; hidden: a dash."""
    if actor is None:
        return "—"
    if actor in names:
        return names[actor]
    kind, _, rest = actor.partition(":")
    return {"system": f"System ({rest})", "token": "A token"}.get(kind, actor) if rest else actor


@router.get(PAGE.path + "/{sku}")
def stock_item_page(view: InventoryView, sku: str, offset: str = "") -> HTMLResponse:
    sku = optional(Sku, sku, "sku")
    start = optional(Offset, offset, "offset") or 0
    stock = level(sku, view.caller, view.services, None)
    moves: list[Movement] = movements(sku, view.caller, view.services, None,
                                      {"limit": MOVEMENTS, "offset": start}).items
    names = {rep.id: rep.name for rep in visible_reps(view.caller, view.services)}
    shown = [(move, actor_name(move.actor, names)) for move in moves]
    context = {"person": view.person, "stock": stock, "movements": shown, "offset": start,
               "older": start + MOVEMENTS if len(moves) == MOVEMENTS else None,
               "newer": max(start - MOVEMENTS, 0) if start else None,
               "base_currency": BASE_CURRENCY}
    return render(view.request, SKU_TEMPLATE, context, view.session, PAGE)


__all__ = ["PAGE", "router"]
