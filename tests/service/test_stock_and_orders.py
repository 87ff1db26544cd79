"""Stock and orders through the service layer: placement with all-or-nothing reservation,
back orders, shipping, cancellation."""

from decimal import Decimal

import pytest

from domain.account import AccountGraded
from domain.errors import InsufficientStockError
from domain.order import (
    OrderBackOrdered,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    OrderReserved,
    OrderShipped,
    ShipmentLine,
)
from domain.pricing import PricedLine
from domain.stock_item import (
    StockAdjusted,
    StockItemRegistered,
    StockPriceChanged,
    StockReceived,
    StockReservationReleased,
    StockReserved,
    StockShipped,
)
from infra.eventstore.ids import stock_item_id
from tests.conftest import ctx
from tests.service.world import Service


def _graded_account(svc: Service, grade: str = "A") -> str:
    _, (rob, _) = svc.team()
    account_id = svc.account(rob)
    svc.given(account_id, AccountGraded(grade))
    return account_id


def _placed(svc: Service, account_id: str, *lines: tuple[str, int]) -> str:
    order_id = str(svc.sales.orders.place(ctx(), account_id=account_id, lines=list(lines)).stream_id)
    svc.then()
    return order_id


def test_stock_is_registered_received_adjusted_and_repriced(svc):
    svc.sales.stock.register(ctx(), sku="S-1", name="Sensor", base_price=Decimal("10"),
                             reorder_level=2)
    svc.sales.stock.receive(ctx(), "S-1", quantity=5)
    svc.sales.stock.adjust(ctx(), "S-1", delta=-1, reason="damaged")
    svc.sales.stock.change_price(ctx(), "S-1", base_price=Decimal("12"))

    assert svc.then() == [StockItemRegistered("S-1", "Sensor", "", Decimal("10"), 2),
                          StockReceived(5), StockAdjusted(-1, "damaged"),
                          StockPriceChanged(Decimal("12"), Decimal("10"))]
    item = svc.sales.stock.get("S-1")
    assert (item.on_hand, item.available, item.base_price) == (4, 4, Decimal("12"))


def test_an_order_is_priced_reserved_and_stored_in_one_unit(svc):
    account_id = _graded_account(svc, "A")
    sku_stream = svc.stock("S-1", on_hand=10, price="100.00")

    answer = svc.sales.orders.place(ctx(), account_id=account_id, lines=[("S-1", 4)])

    order_id = str(answer.stream_id)
    line = PricedLine("S-1", 4, Decimal("100.00"), Decimal("92.00"),
                      "base_price+grade_discount:A(-8%)", Decimal("368.00"))
    stored = svc.then_in_streams()
    assert stored == [
        (order_id, OrderPlaced(order_id, account_id, None, (line,), Decimal("368.00"), "EUR",
                               False)),
        (sku_stream, StockReserved(order_id, 4)), (order_id, OrderReserved())]
    assert answer.events == tuple(event for _, event in stored)
    assert answer.position == svc.sales.store.max_position()
    item = svc.sales.stock.get("S-1")
    assert (item.on_hand, item.reserved, item.available) == (10, 4, 6)


def test_an_order_short_of_any_line_is_refused_and_reserves_nothing(svc):
    account_id = _graded_account(svc)
    svc.stock("S-1", on_hand=10)
    svc.stock("S-2", on_hand=2)

    with pytest.raises(InsufficientStockError) as refused:
        svc.sales.orders.place(ctx(), account_id=account_id, lines=[("S-1", 4), ("S-2", 3)])

    assert (refused.value.code, refused.value.sku, refused.value.available) == (
        "insufficient_stock", "S-2", 2)
    assert svc.then() == []
    assert (svc.sales.stock.get("S-1").reserved, svc.sales.stock.get("S-2").reserved) == (0, 0)


def test_a_back_order_reserves_what_there_is_and_names_what_is_short(svc):
    account_id = _graded_account(svc)
    svc.stock("S-1", on_hand=10)
    svc.stock("S-2", on_hand=2)

    answer = svc.sales.orders.place(ctx(), account_id=account_id,
                                    lines=[("S-1", 4), ("S-2", 3)], allow_back_order=True)

    order_id = str(answer.stream_id)
    assert svc.then()[1:] == [StockReserved(order_id, 4), OrderBackOrdered(("S-2",))]
    assert svc.sales.orders.get(order_id).status == "back_ordered"


def test_shipping_takes_the_reserved_stock_out_once(svc):
    account_id = _graded_account(svc)
    svc.stock("S-1", on_hand=10)
    order_id = _placed(svc, account_id, ("S-1", 4))
    svc.sales.orders.confirm(ctx(), order_id)
    assert svc.then() == [OrderConfirmed()]

    svc.sales.orders.ship(ctx(), order_id, shipment_id="SH-1", lines=[("S-1", 4)])
    again = svc.sales.orders.ship(ctx(), order_id, shipment_id="SH-1", lines=[("S-1", 4)])

    assert svc.then() == [OrderShipped("SH-1", (ShipmentLine("S-1", 4),), True),
                          StockShipped(order_id, "SH-1", 4)]
    assert again.events == ()
    item = svc.sales.stock.get("S-1")
    assert (item.on_hand, item.reserved, svc.sales.orders.get(order_id).status) == (
        6, 0, "shipped")


def test_a_partial_shipment_leaves_the_rest_reserved(svc):
    account_id = _graded_account(svc)
    svc.stock("S-1", on_hand=10)
    order_id = _placed(svc, account_id, ("S-1", 4))
    svc.sales.orders.confirm(ctx(), order_id)

    svc.sales.orders.ship(ctx(), order_id, shipment_id="SH-1", lines=[("S-1", 1)])

    item = svc.sales.stock.get("S-1")
    assert (item.on_hand, item.reserved) == (9, 3)
    assert svc.sales.orders.get(order_id).status == "partially_shipped"


def test_cancelling_an_order_releases_its_reservations(svc):
    account_id = _graded_account(svc)
    sku_stream = svc.stock("S-1", on_hand=10)
    order_id = _placed(svc, account_id, ("S-1", 4))

    svc.sales.orders.cancel(ctx(), order_id, reason="customer withdrew")

    assert svc.then_in_streams() == [(order_id, OrderCancelled("customer withdrew")),
                                     (sku_stream, StockReservationReleased(order_id, 4))]
    assert svc.sales.stock.get("S-1").available == 10
    assert svc.sales.orders.get(order_id).status == "cancelled"


def test_an_order_for_an_unknown_stock_item_stores_nothing(svc):
    from domain.errors import NotFoundError

    account_id = _graded_account(svc)

    with pytest.raises(NotFoundError):
        svc.sales.orders.place(ctx(), account_id=account_id, lines=[("NOPE", 1)])
    assert svc.then() == [] and svc.stream(stock_item_id("NOPE")) == []
