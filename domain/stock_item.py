"""StockItem: a product held in stock. Available = on hand - reserved, never below zero."""

from dataclasses import dataclass, field, replace
from decimal import Decimal

from domain.errors import (
    AlreadyExistsError,
    DomainError,
    InsufficientStockError,
    NotFoundError,
    ValidationError,
)
from domain.events import Command, Event
from domain.values import (
    REASON_LENGTH,
    require_non_negative,
    require_positive,
    require_sku,
    require_text,
)

STREAM = "StockItem"


@dataclass(frozen=True)
class StockItemEvent(Event):
    stream_type = STREAM


@dataclass(frozen=True)
class StockItemRegistered(StockItemEvent):
    sku: str
    name: str
    specification: str
    base_price: Decimal
    reorder_level: int


@dataclass(frozen=True)
class StockReceived(StockItemEvent):
    quantity: int


@dataclass(frozen=True)
class StockReserved(StockItemEvent):
    order_id: str
    quantity: int


@dataclass(frozen=True)
class StockReservationReleased(StockItemEvent):
    order_id: str
    quantity: int


@dataclass(frozen=True)
class StockShipped(StockItemEvent):
    order_id: str
    shipment_id: str
    quantity: int


@dataclass(frozen=True)
class StockAdjusted(StockItemEvent):
    """A count correction; ``delta`` may be negative."""

    delta: int
    reason: str


@dataclass(frozen=True)
class StockPriceChanged(StockItemEvent):
    base_price: Decimal
    previous_price: Decimal


@dataclass(frozen=True)
class StockItem:
    sku: str
    name: str
    base_price: Decimal
    reorder_level: int
    on_hand: int = 0
    reservations: dict[str, int] = field(default_factory=dict)
    shipments: frozenset[str] = frozenset()

    @property
    def reserved(self) -> int:
        return sum(self.reservations.values())

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class RegisterStockItem(Command):
    sku: str
    name: str
    base_price: Decimal
    reorder_level: int = 0
    specification: str = ""


@dataclass(frozen=True)
class ReceiveStock(Command):
    quantity: int


@dataclass(frozen=True)
class ReserveStock(Command):
    order_id: str
    quantity: int


@dataclass(frozen=True)
class ReleaseReservation(Command):
    order_id: str


@dataclass(frozen=True)
class ShipStock(Command):
    order_id: str
    shipment_id: str
    quantity: int


@dataclass(frozen=True)
class AdjustStock(Command):
    delta: int
    reason: str


@dataclass(frozen=True)
class ChangePrice(Command):
    base_price: Decimal


def _register(state: StockItem | None, c: RegisterStockItem) -> list[Event]:
    if state is not None:
        raise AlreadyExistsError(f"stock item {c.sku} already exists")
    require_positive("base_price", c.base_price)
    require_non_negative("reorder_level", c.reorder_level)
    return [StockItemRegistered(require_sku("sku", c.sku), require_text("name", c.name),
                                c.specification, c.base_price, c.reorder_level)]


def _reserve(state: StockItem, c: ReserveStock) -> list[Event]:
    require_positive("quantity", c.quantity)
    if c.order_id in state.reservations:
        return []  # already reserved for this order: re-running the order flow adds nothing
    if c.quantity > state.available:
        raise InsufficientStockError(state.sku, c.quantity, state.available)
    return [StockReserved(c.order_id, c.quantity)]


def _ship(state: StockItem, c: ShipStock) -> list[Event]:
    require_positive("quantity", c.quantity)
    if f"{c.order_id}/{c.shipment_id}" in state.shipments:
        return []  # this shipment already left: re-running the shipping flow adds nothing
    reserved = state.reservations.get(c.order_id, 0)
    if c.quantity > reserved:
        raise DomainError(f"order {c.order_id} has {reserved} of {state.sku} reserved, "
                          f"cannot ship {c.quantity}")
    return [StockShipped(c.order_id, c.shipment_id, c.quantity)]


def _adjust(state: StockItem, c: AdjustStock) -> list[Event]:
    reason = require_text("reason", c.reason, REASON_LENGTH)
    if c.delta == 0:
        raise ValidationError("delta", "must not be zero")
    if state.on_hand + c.delta < state.reserved:
        raise InsufficientStockError(state.sku, -c.delta, state.available)
    return [StockAdjusted(c.delta, reason)]


def decide(state: StockItem | None, command: Command) -> list[Event]:
    if isinstance(command, RegisterStockItem):
        return _register(state, command)
    if state is None:
        raise NotFoundError("stock item not found")
    match command:
        case ReceiveStock():
            require_positive("quantity", command.quantity)
            return [StockReceived(command.quantity)]
        case ReserveStock():
            return _reserve(state, command)
        case ReleaseReservation():
            quantity = state.reservations.get(command.order_id)
            return [] if quantity is None else [StockReservationReleased(command.order_id, quantity)]
        case ShipStock():
            return _ship(state, command)
        case AdjustStock():
            return _adjust(state, command)
        case ChangePrice():
            require_positive("base_price", command.base_price)
            if command.base_price == state.base_price:
                return []
            return [StockPriceChanged(command.base_price, state.base_price)]
    raise TypeError(f"not a stock item command: {command!r}")


def _without_reservation(state: StockItem, order_id: str, quantity: int) -> dict[str, int]:
    left = state.reservations.get(order_id, 0) - quantity
    others = {k: v for k, v in state.reservations.items() if k != order_id}
    return {**others, order_id: left} if left > 0 else others


def evolve(state: StockItem | None, event: Event) -> StockItem:
    if isinstance(event, StockItemRegistered):
        return StockItem(event.sku, event.name, event.base_price, event.reorder_level)
    assert state is not None, f"{type(event).__name__} before StockItemRegistered"
    match event:
        case StockReceived():
            return replace(state, on_hand=state.on_hand + event.quantity)
        case StockReserved():
            return replace(state, reservations={**state.reservations, event.order_id: event.quantity})
        case StockReservationReleased():
            reservations = _without_reservation(state, event.order_id, event.quantity)
            return replace(state, reservations=reservations)
        case StockShipped():
            reservations = _without_reservation(state, event.order_id, event.quantity)
            shipments = state.shipments | {f"{event.order_id}/{event.shipment_id}"}
            return replace(state, on_hand=state.on_hand - event.quantity,
                           reservations=reservations, shipments=shipments)
        case StockAdjusted():
            return replace(state, on_hand=state.on_hand + event.delta)
        case StockPriceChanged():
            return replace(state, base_price=event.base_price)
    return state
