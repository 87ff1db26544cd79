"""Order: goods sold to an account, priced by the price rules and backed by stock reservations.

Life cycle: placed -> reserved -> confirmed -> (partially_)shipped -> invoiced -> paid;
a placed order whose stock cannot be reserved is rejected (or back-ordered by choice);
a placed, reserved or confirmed order can be cancelled, which releases its reservations.
"""

from dataclasses import dataclass, replace
from decimal import Decimal

from domain.errors import (
    AlreadyExistsError,
    InvalidTransitionError,
    NotFoundError,
    RuleViolationError,
    ValidationError,
)
from domain.events import Command, Event
from domain.pricing import PricedLine, PriceRequest, PriceRules, price_lines
from domain.values import REASON_LENGTH, require_currency, require_positive, require_text

STREAM = "Order"
CANCELLABLE = ("placed", "back_ordered", "reserved", "confirmed")


@dataclass(frozen=True)
class OrderEvent(Event):
    stream_type = STREAM


@dataclass(frozen=True)
class OrderPlaced(OrderEvent):
    order_id: str
    account_id: str
    opportunity_id: str | None
    lines: tuple[PricedLine, ...]
    total: Decimal
    currency: str
    allow_back_order: bool


@dataclass(frozen=True)
class OrderReserved(OrderEvent):
    pass


@dataclass(frozen=True)
class OrderBackOrdered(OrderEvent):
    skus: tuple[str, ...]


@dataclass(frozen=True)
class OrderRejected(OrderEvent):
    reason: str
    sku: str | None


@dataclass(frozen=True)
class OrderConfirmed(OrderEvent):
    pass


@dataclass(frozen=True)
class ShipmentLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class OrderShipped(OrderEvent):
    shipment_id: str
    lines: tuple[ShipmentLine, ...]
    complete: bool


@dataclass(frozen=True)
class OrderInvoiced(OrderEvent):
    invoice_id: str
    amount: Decimal


@dataclass(frozen=True)
class OrderPaid(OrderEvent):
    amount: Decimal
    reference: str


@dataclass(frozen=True)
class OrderCancelled(OrderEvent):
    reason: str


@dataclass(frozen=True)
class Order:
    id: str
    account_id: str
    lines: tuple[PricedLine, ...]
    total: Decimal
    allow_back_order: bool = False
    status: str = "placed"
    shipped: tuple[tuple[str, int], ...] = ()
    shipment_ids: frozenset[str] = frozenset()
    invoiced: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)
    currency: str = "EUR"

    def shipped_quantity(self, sku: str) -> int:
        return sum(q for s, q in self.shipped if s == sku)

    def ordered_quantity(self, sku: str) -> int:
        return sum(line.quantity for line in self.lines if line.sku == sku)


@dataclass(frozen=True)
class PlaceOrder(Command):
    order_id: str
    account_id: str
    requests: tuple[PriceRequest, ...]
    rules: PriceRules
    opportunity_id: str | None = None
    currency: str = "EUR"
    allow_back_order: bool = False


@dataclass(frozen=True)
class MarkReserved(Command):
    pass


@dataclass(frozen=True)
class MarkBackOrdered(Command):
    skus: tuple[str, ...]


@dataclass(frozen=True)
class RejectOrder(Command):
    reason: str
    sku: str | None = None


@dataclass(frozen=True)
class ConfirmOrder(Command):
    pass


@dataclass(frozen=True)
class ShipOrder(Command):
    shipment_id: str
    lines: tuple[ShipmentLine, ...]


@dataclass(frozen=True)
class InvoiceOrder(Command):
    invoice_id: str
    amount: Decimal


@dataclass(frozen=True)
class RecordPayment(Command):
    amount: Decimal
    reference: str


@dataclass(frozen=True)
class CancelOrder(Command):
    reason: str


def _place(state: Order | None, c: PlaceOrder) -> list[Event]:
    if state is not None:
        raise AlreadyExistsError(f"order {c.order_id} already exists")
    if not c.requests:
        raise ValidationError("lines", "an order needs at least one line")
    skus = [r.sku for r in c.requests]
    if len(set(skus)) != len(skus):
        raise RuleViolationError("lines", "each sku may appear once; add the quantities")
    for i, request in enumerate(c.requests):
        require_positive(f"lines[{i}].quantity", request.quantity)
    currency = require_currency("currency", c.currency)
    lines = price_lines(c.requests, c.rules, currency)
    total = sum((line.line_total for line in lines), Decimal(0))
    return [OrderPlaced(c.order_id, c.account_id, c.opportunity_id, lines, total, currency,
                        c.allow_back_order)]


def _require_status(state: Order, *allowed: str) -> None:
    if state.status not in allowed:
        raise InvalidTransitionError(f"order {state.id} is {state.status}")


def _ship(state: Order, c: ShipOrder) -> list[Event]:
    if c.shipment_id in state.shipment_ids:
        return []  # this shipment is already recorded: re-running the shipping flow adds nothing
    _require_status(state, "confirmed", "partially_shipped")
    if not c.lines:
        raise ValidationError("lines", "a shipment needs at least one line")
    after = state
    for i, line in enumerate(c.lines):
        require_positive(f"lines[{i}].quantity", line.quantity)
        left = after.ordered_quantity(line.sku) - after.shipped_quantity(line.sku)
        if line.quantity > left:
            raise RuleViolationError(f"lines[{i}].quantity", f"only {left} of {line.sku} left to ship")
        after = replace(after, shipped=after.shipped + ((line.sku, line.quantity),))
    complete = all(after.shipped_quantity(line.sku) == line.quantity for line in state.lines)
    return [OrderShipped(c.shipment_id, c.lines, complete)]


def _invoice(state: Order, c: InvoiceOrder) -> list[Event]:
    _require_status(state, "shipped", "invoiced")
    require_positive("amount", c.amount)
    if state.invoiced + c.amount > state.total:
        raise RuleViolationError("amount", f"invoices would exceed the order total {state.total}")
    return [OrderInvoiced(require_text("invoice_id", c.invoice_id), c.amount)]


def _pay(state: Order, c: RecordPayment) -> list[Event]:
    _require_status(state, "invoiced")
    require_positive("amount", c.amount)
    if state.paid + c.amount > state.invoiced:
        raise RuleViolationError("amount", f"payments would exceed the invoiced {state.invoiced}")
    return [OrderPaid(c.amount, require_text("reference", c.reference))]


def _decide_existing(state: Order, command: Command) -> list[Event]:
    match command:
        case MarkReserved():
            _require_status(state, "placed", "back_ordered")
            return [OrderReserved()]
        case MarkBackOrdered():
            _require_status(state, "placed")
            if not state.allow_back_order:
                raise InvalidTransitionError(f"order {state.id} was placed without back-ordering")
            return [OrderBackOrdered(command.skus)]
        case RejectOrder():
            _require_status(state, "placed")
            return [OrderRejected(command.reason, command.sku)]
        case ConfirmOrder():
            _require_status(state, "reserved")
            return [OrderConfirmed()]
        case ShipOrder():
            return _ship(state, command)
        case InvoiceOrder():
            return _invoice(state, command)
        case RecordPayment():
            return _pay(state, command)
        case CancelOrder():
            _require_status(state, *CANCELLABLE)
            return [OrderCancelled(require_text("reason", command.reason, REASON_LENGTH))]
    raise TypeError(f"not an order command: {command!r}")


def decide(state: Order | None, command: Command) -> list[Event]:
    if isinstance(command, PlaceOrder):
        return _place(state, command)
    if state is None:
        raise NotFoundError("order not found")
    return _decide_existing(state, command)


def _status_after_payment(state: Order, amount: Decimal) -> str:
    return "paid" if state.paid + amount >= state.total else "invoiced"


def evolve(state: Order | None, event: Event) -> Order:
    if isinstance(event, OrderPlaced):
        return Order(event.order_id, event.account_id, event.lines, event.total,
                     event.allow_back_order, currency=event.currency)
    assert state is not None, f"{type(event).__name__} before OrderPlaced"
    match event:
        case OrderReserved():
            return replace(state, status="reserved")
        case OrderBackOrdered():
            return replace(state, status="back_ordered")
        case OrderRejected():
            return replace(state, status="rejected")
        case OrderConfirmed():
            return replace(state, status="confirmed")
        case OrderShipped():
            shipped = state.shipped + tuple((line.sku, line.quantity) for line in event.lines)
            status = "shipped" if event.complete else "partially_shipped"
            return replace(state, shipped=shipped, status=status,
                           shipment_ids=state.shipment_ids | {event.shipment_id})
        case OrderInvoiced():
            return replace(state, invoiced=state.invoiced + event.amount, status="invoiced")
        case OrderPaid():
            status = _status_after_payment(state, event.amount)
            return replace(state, paid=state.paid + event.amount, status=status)
        case OrderCancelled():
            return replace(state, status="cancelled")
    return state
