"""Orders: placement (priced, stock reserved), confirmation, shipments, invoices, payments,
cancellation. An order is visible to whoever may see its account (reps: their accounts)."""

from decimal import Decimal
from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from api.access import (
    check_visible,
    may_act,
    record_check,
    require_writer,
    visibility_reads_store,
)
from api.deps import Command, CommandDep, PrincipalDep, ServicesDep
from api.errors import ERROR_RESPONSES
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
from infra.service.commands import Guard

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


def _acting(call: Command, order_id: str) -> Guard:
    """The caller may act on the order as decided on: an order is seen through its account."""
    accounts = call.services.sales.accounts
    return may_act(call.caller, call.services.sales, f"order {order_id}",
                   owner=lambda order: accounts.get(order.account_id).owner_id)


@router.post("", status_code=201)
async def place(body: OrderCreate, call: CommandDep) -> OrderPlaced:
    """Place an order for an account the caller may see: each line is priced (the price list
    of the account's region in the order's currency, else the base price; then the best of
    grade discount, volume break and promotion valid today) and its stock reserved.
    The order, its reservations and its status are stored in one transaction. Stock that
    cannot be reserved: 409 `insufficient_stock` (unless back-ordering is allowed), and
    nothing is written, also when a parallel order took the stock first."""
    require_writer(call.caller)
    sales = call.services.sales
    result = await sales.orders.place_async(
        call.ctx, account_id=body.account_id, lines=[(x.sku, x.quantity) for x in body.lines],
        opportunity_id=body.opportunity_id, allow_back_order=body.allow_back_order,
        currency=body.currency, may_see=record_check(call.caller, sales.directory),
        in_loop=not visibility_reads_store(call.caller))
    loaded = sales.orders.as_stored(result)
    if loaded is None:  # a replayed answer: the order may have moved on
        loaded = await run_in_threadpool(sales.orders.find, result.stream_id)
    order: Order = loaded.state
    return OrderPlaced(id=order.id, lines=_lines(order), total=_money(order.total),
                       currency=order.currency, status=order.status, version=loaded.version,
                       position=result.position)


@router.get("/{order_id}")
def get_order(order_id: OrderId, caller: PrincipalDep, services: ServicesDep) -> OrderPublic:
    """The order as the command side knows it now."""
    loaded = services.sales.orders.find(order_id)
    order: Order = loaded.state
    owner = services.sales.accounts.get(order.account_id).owner_id
    check_visible(caller, services.sales.directory, owner, f"order {order_id}")
    return OrderPublic(id=order.id, account_id=order.account_id, lines=_lines(order),
                       total=_money(order.total), currency=order.currency, status=order.status,
                       allow_back_order=order.allow_back_order, shipped=_shipped(order),
                       invoiced=_money(order.invoiced), paid=_money(order.paid),
                       version=loaded.version)


@router.post("/{order_id}/confirm")
def confirm(order_id: OrderId, call: CommandDep) -> Versioned:
    """Confirm a reserved order (otherwise 409 `invalid_transition`)."""
    result = call.services.sales.orders.confirm(call.ctx, order_id, _acting(call, order_id))
    return Versioned.of(result)


@router.post("/{order_id}/shipments")
def ship(order_id: OrderId, body: Shipment, call: CommandDep) -> Versioned:
    """Ship some or all of a confirmed order; the stock leaves on hand and its reservation.
    A repeated `shipment_id` records nothing new (it completes an interrupted shipment)."""
    shipment_id = body.shipment_id or str(uuid4())
    result = call.services.sales.orders.ship(call.ctx, order_id, shipment_id=shipment_id,
                                             lines=[(x.sku, x.quantity) for x in body.lines],
                                             guard=_acting(call, order_id))
    return Versioned.of(result)


@router.post("/{order_id}/invoices")
def invoice(order_id: OrderId, body: Invoice, call: CommandDep) -> Versioned:
    """Invoice a shipped order; invoices together may not exceed its total."""
    result = call.services.sales.orders.invoice(call.ctx, order_id, invoice_id=body.invoice_id,
                                                amount=body.amount, guard=_acting(call, order_id))
    return Versioned.of(result)


@router.post("/{order_id}/payments")
def record_payment(order_id: OrderId, body: Payment, call: CommandDep) -> Versioned:
    """Record a payment on an invoiced order; paid in full, the order is `paid`."""
    result = call.services.sales.orders.record_payment(
        call.ctx, order_id, amount=body.amount, reference=body.reference,
        guard=_acting(call, order_id))
    return Versioned.of(result)


@router.post("/{order_id}/cancel")
def cancel(order_id: OrderId, body: Cancellation, call: CommandDep) -> Versioned:
    """Cancel an order not yet shipped; its reservations are released."""
    result = call.services.sales.orders.cancel(call.ctx, order_id, reason=body.reason,
                                               guard=_acting(call, order_id))
    return Versioned.of(result)
