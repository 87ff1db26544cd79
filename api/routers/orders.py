"""Orders: placement (priced, stock reserved), confirmation, shipments, invoices, payments,
cancellation. An order is visible to whoever may see its account (reps: their accounts)."""

from decimal import Decimal
from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from api.access import (
    check_may_act,
    check_visible,
    record_check,
    require_writer,
    visibility_reads_store,
)
from api.deps import CommandDep, PrincipalDep, ServicesDep
from api.errors import ERROR_RESPONSES, not_found
from api.inputs import RecordId
from api.schemas import Versioned
from api.schemas.orders import (
    Cancellation,
    Invoice,
    OrderCreate,
    OrderPlaced,
    OrderPublic,
    Payment,
    PricedLineOut,
    Shipment,
    ShippedQuantity,
)
from domain.order import Order
from domain.pricing import CENT
from infra.access.tokens import Principal
from infra.eventstore.ids import parse_id
from infra.eventstore.store import Loaded
from infra.service.flows.orders import ORDER

router = APIRouter(prefix="/v1/orders", tags=["orders"], responses=ERROR_RESPONSES)
OrderId = Annotated[RecordId, Path(description="Order id")]


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def _lines(order: Order) -> list[PricedLineOut]:
    return [PricedLineOut(sku=x.sku, quantity=x.quantity, list_price=_money(x.list_price),
                          unit_price=_money(x.unit_price), price_rule=x.price_rule,
                          line_total=_money(x.line_total)) for x in order.lines]


def _shipped(order: Order) -> list[ShippedQuantity]:
    totals: dict[str, int] = {}
    for sku, quantity in order.shipped:
        totals[sku] = totals.get(sku, 0) + quantity
    return [ShippedQuantity(sku=sku, quantity=quantity) for sku, quantity in totals.items()]


def _visible_order(caller: Principal, services: ServicesDep, order_id: str,
                   act: bool = False) -> Loaded:
    """The order, if the caller may see its account (and, with ``act``, write); else 404/403."""
    loaded = services.sales.bus.load(ORDER, parse_id(order_id, "order_id"))
    if loaded.state is None:
        raise not_found(f"order {order_id}")
    owner = services.sales.accounts.get(loaded.state.account_id).owner_id
    check = check_may_act if act else check_visible
    check(caller, services.sales.directory, owner, f"order {order_id}")
    return loaded


def _after_flow(services: ServicesDep, version: int) -> Versioned:
    """Shipping and cancelling end with steps on stock items after the order's own event, and
    the flow answers the order's result: the store's head covers those later events too."""
    return Versioned(position=services.sales.store.max_position(), version=version)


@router.post("", status_code=201)
async def place(body: OrderCreate, call: CommandDep) -> OrderPlaced:
    """Place an order for an account the caller may see: each line is priced (base or regional
    price, the best of grade discount, volume break and promotion) and its stock reserved.
    The order, its reservations and its status are stored in one transaction. Stock that
    cannot be reserved: 409 `insufficient_stock` (unless back-ordering is allowed), and
    nothing is written, also when a parallel order took the stock first."""
    require_writer(call.caller)
    sales = call.services.sales
    result = await sales.orders.place_async(
        call.ctx, account_id=body.account_id, lines=[(x.sku, x.quantity) for x in body.lines],
        opportunity_id=body.opportunity_id, allow_back_order=body.allow_back_order,
        may_see=record_check(call.caller, sales.directory),
        in_loop=not visibility_reads_store(call.caller))
    loaded = sales.store.cached(ORDER, result.stream_id)  # as just stored
    if loaded.version != result.version:  # a replayed answer: the order may have moved on
        loaded = await run_in_threadpool(sales.bus.load, ORDER, result.stream_id)
    order: Order = loaded.state
    return OrderPlaced(id=order.id, lines=_lines(order), total=_money(order.total),
                       status=order.status, version=loaded.version, position=result.position)


@router.get("/{order_id}")
def get_order(order_id: OrderId, caller: PrincipalDep, services: ServicesDep) -> OrderPublic:
    """The order as the command side knows it now."""
    loaded = _visible_order(caller, services, order_id)
    order: Order = loaded.state
    return OrderPublic(id=order.id, account_id=order.account_id, lines=_lines(order),
                       total=_money(order.total), status=order.status,
                       allow_back_order=order.allow_back_order, shipped=_shipped(order),
                       invoiced=_money(order.invoiced), paid=_money(order.paid),
                       version=loaded.version)


@router.post("/{order_id}/confirm")
def confirm(order_id: OrderId, call: CommandDep) -> Versioned:
    """Confirm a reserved order (otherwise 409 `invalid_transition`)."""
    _visible_order(call.caller, call.services, order_id, act=True)
    result = call.services.sales.orders.confirm(call.ctx, order_id)
    return Versioned.of(result)


@router.post("/{order_id}/shipments")
def ship(order_id: OrderId, body: Shipment, call: CommandDep) -> Versioned:
    """Ship some or all of a confirmed order; the stock leaves on hand and its reservation.
    A repeated `shipment_id` records nothing new (it completes an interrupted shipment)."""
    _visible_order(call.caller, call.services, order_id, act=True)
    shipment_id = body.shipment_id or str(uuid4())
    result = call.services.sales.orders.ship(call.ctx, order_id, shipment_id=shipment_id,
                                             lines=[(x.sku, x.quantity) for x in body.lines])
    return _after_flow(call.services, result.version)


@router.post("/{order_id}/invoices")
def invoice(order_id: OrderId, body: Invoice, call: CommandDep) -> Versioned:
    """Invoice a shipped order; invoices together may not exceed its total."""
    _visible_order(call.caller, call.services, order_id, act=True)
    result = call.services.sales.orders.invoice(call.ctx, order_id, invoice_id=body.invoice_id,
                                                amount=body.amount)
    return Versioned.of(result)


@router.post("/{order_id}/payments")
def record_payment(order_id: OrderId, body: Payment, call: CommandDep) -> Versioned:
    """Record a payment on an invoiced order; paid in full, the order is `paid`."""
    _visible_order(call.caller, call.services, order_id, act=True)
    result = call.services.sales.orders.record_payment(call.ctx, order_id, amount=body.amount,
                                                       reference=body.reference)
    return Versioned.of(result)


@router.post("/{order_id}/cancel")
def cancel(order_id: OrderId, body: Cancellation, call: CommandDep) -> Versioned:
    """Cancel an order not yet shipped; its reservations are released."""
    _visible_order(call.caller, call.services, order_id, act=True)
    result = call.services.sales.orders.cancel(call.ctx, order_id, reason=body.reason)
    return _after_flow(call.services, result.version)
