"""StockItem: registration, receipts, reservations, shipments, adjustments and price.

Available = on hand - reserved, and never below zero: stock is never oversold.
"""

from decimal import Decimal

import pytest

from domain import stock_item
from domain.errors import AlreadyExistsError, DomainError, InsufficientStockError, NotFoundError
from domain.events import Event
from domain.rep import SetQuota
from domain.stock_item import (
    AdjustStock,
    ChangePrice,
    ReceiveStock,
    RegisterStockItem,
    ReleaseReservation,
    ReserveStock,
    ShipStock,
    StockAdjusted,
    StockItemRegistered,
    StockPriceChanged,
    StockReceived,
    StockReservationReleased,
    StockReserved,
    StockShipped,
)
from tests.unit.given import given, invalid, rejected, when

REGISTERED = StockItemRegistered("SKU-1", "Widget", "steel, 40 mm", Decimal("12.50"), 5)
RECEIVED = StockReceived(10)
RESERVED_FOR_ORD_1 = StockReserved("ord-1", 6)


def widget(*more: Event) -> stock_item.StockItem:
    """10 on hand unless ``more`` says otherwise."""
    return given(stock_item, REGISTERED, RECEIVED, *more)


def levels(state: stock_item.StockItem) -> tuple[int, int, int]:
    return state.on_hand, state.reserved, state.available


# --- RegisterStockItem -----------------------------------------------------------------------

def test_register_stock_item() -> None:
    command = RegisterStockItem(" SKU-1 ", "Widget", Decimal("12.50"), 5, "steel, 40 mm")
    assert when(stock_item, None, command) == [REGISTERED]


def test_register_stock_item_twice_is_refused() -> None:
    error = rejected(stock_item, widget(), RegisterStockItem("SKU-1", "Widget", Decimal(1)),
                     AlreadyExistsError)
    assert error.code == "already_exists"


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (RegisterStockItem("SKU-1", "Widget", Decimal(0)), "base_price"),
        (RegisterStockItem("SKU-1", "Widget", Decimal(1), reorder_level=-1), "reorder_level"),
        (RegisterStockItem(" ", "Widget", Decimal(1)), "sku"),
        (RegisterStockItem("S" * 65, "Widget", Decimal(1)), "sku"),
        (RegisterStockItem("SKU-1", "", Decimal(1)), "name"),
    ],
    ids=["price", "reorder-level", "empty-sku", "long-sku", "name"],
)
def test_register_stock_item_with_an_invalid_value_names_the_field(command: RegisterStockItem,
                                                                   field: str) -> None:
    invalid(stock_item, None, command, field)


# --- ReceiveStock ----------------------------------------------------------------------------

def test_receive_stock() -> None:
    assert when(stock_item, widget(), ReceiveStock(24)) == [StockReceived(24)]


def test_receive_no_stock_is_refused() -> None:
    invalid(stock_item, widget(), ReceiveStock(0), "quantity")


# --- ReserveStock ----------------------------------------------------------------------------

def test_reserve_stock_for_an_order() -> None:
    assert when(stock_item, widget(), ReserveStock("ord-1", 6)) == [RESERVED_FOR_ORD_1]


def test_reserve_exactly_what_is_available() -> None:
    state = widget(RESERVED_FOR_ORD_1)
    assert when(stock_item, state, ReserveStock("ord-2", 4)) == [StockReserved("ord-2", 4)]


def test_reserve_beyond_what_is_available_is_refused_with_the_numbers() -> None:
    state = widget(RESERVED_FOR_ORD_1)
    error = rejected(stock_item, state, ReserveStock("ord-2", 5), InsufficientStockError)
    assert (error.code, error.sku, error.requested, error.available) == (
        "insufficient_stock", "SKU-1", 5, 4)


def test_reserve_for_the_same_order_twice_records_nothing() -> None:
    assert when(stock_item, widget(RESERVED_FOR_ORD_1), ReserveStock("ord-1", 6)) == []


def test_reserve_nothing_is_refused() -> None:
    invalid(stock_item, widget(), ReserveStock("ord-1", 0), "quantity")


# --- ReleaseReservation ----------------------------------------------------------------------

def test_release_reservation_releases_what_the_order_still_holds() -> None:
    state = widget(RESERVED_FOR_ORD_1, StockShipped("ord-1", "shp-1", 2))
    assert when(stock_item, state, ReleaseReservation("ord-1")) == [
        StockReservationReleased("ord-1", 4)]


def test_release_without_a_reservation_records_nothing() -> None:
    assert when(stock_item, widget(), ReleaseReservation("ord-1")) == []


def test_release_a_released_reservation_records_nothing() -> None:
    state = widget(RESERVED_FOR_ORD_1, StockReservationReleased("ord-1", 6))
    assert when(stock_item, state, ReleaseReservation("ord-1")) == []


# --- ShipStock -------------------------------------------------------------------------------

def test_ship_reserved_stock() -> None:
    state = widget(RESERVED_FOR_ORD_1)
    assert when(stock_item, state, ShipStock("ord-1", "shp-1", 6)) == [
        StockShipped("ord-1", "shp-1", 6)]


def test_ship_a_recorded_shipment_again_records_nothing() -> None:
    state = widget(RESERVED_FOR_ORD_1, StockShipped("ord-1", "shp-1", 2))
    assert when(stock_item, state, ShipStock("ord-1", "shp-1", 2)) == []


def test_ship_more_than_the_order_has_reserved_is_refused() -> None:
    state = widget(RESERVED_FOR_ORD_1)
    error = rejected(stock_item, state, ShipStock("ord-1", "shp-1", 7), DomainError)
    assert error.code == "rule_violation"


def test_ship_for_an_order_without_a_reservation_is_refused() -> None:
    rejected(stock_item, widget(), ShipStock("ord-1", "shp-1", 1), DomainError)


def test_ship_nothing_is_refused() -> None:
    invalid(stock_item, widget(RESERVED_FOR_ORD_1), ShipStock("ord-1", "shp-1", 0), "quantity")


# --- AdjustStock -----------------------------------------------------------------------------

@pytest.mark.parametrize("delta", [3, -4])
def test_adjust_stock_records_the_count_correction(delta: int) -> None:
    state = widget(RESERVED_FOR_ORD_1)
    events = when(stock_item, state, AdjustStock(delta, " stock take "))
    assert events == [StockAdjusted(delta, "stock take")]


def test_adjust_stock_below_what_is_reserved_is_refused() -> None:
    state = widget(RESERVED_FOR_ORD_1)  # 10 on hand, 6 reserved
    error = rejected(stock_item, state, AdjustStock(-5, "breakage"), InsufficientStockError)
    assert (error.code, error.sku, error.requested, error.available) == (
        "insufficient_stock", "SKU-1", 5, 4)


def test_adjust_stock_by_zero_is_refused() -> None:
    invalid(stock_item, widget(), AdjustStock(0, "stock take"), "delta")


def test_adjust_stock_without_a_reason_is_refused() -> None:
    invalid(stock_item, widget(), AdjustStock(-1, " "), "reason")


# --- ChangePrice -----------------------------------------------------------------------------

def test_change_price_records_the_previous_price() -> None:
    events = when(stock_item, widget(), ChangePrice(Decimal("13.00")))
    assert events == [StockPriceChanged(Decimal("13.00"), Decimal("12.50"))]


def test_change_price_to_the_same_price_records_nothing() -> None:
    assert when(stock_item, widget(), ChangePrice(Decimal("12.5"))) == []


def test_change_price_to_zero_is_refused() -> None:
    invalid(stock_item, widget(), ChangePrice(Decimal(0)), "base_price")


# --- unknown item / foreign command ----------------------------------------------------------

def test_a_command_for_an_unknown_stock_item_is_refused() -> None:
    rejected(stock_item, None, ReceiveStock(1), NotFoundError)


def test_a_command_of_another_aggregate_is_a_programming_error() -> None:
    rejected(stock_item, widget(), SetQuota("2026-Q1", Decimal(1)), TypeError)


# --- evolve ----------------------------------------------------------------------------------

def test_evolve_a_registered_item_holds_nothing() -> None:
    state = given(stock_item, REGISTERED)
    assert (state.sku, state.name, state.base_price, state.reorder_level) == (
        "SKU-1", "Widget", Decimal("12.50"), 5)
    assert levels(state) == (0, 0, 0)


def test_evolve_levels_after_receive_reserve_ship_and_release() -> None:
    steps = [
        (StockReceived(10), (10, 0, 10)),
        (StockReserved("ord-1", 6), (10, 6, 4)),
        (StockReserved("ord-2", 3), (10, 9, 1)),
        (StockShipped("ord-1", "shp-1", 2), (8, 7, 1)),
        (StockShipped("ord-1", "shp-2", 4), (4, 3, 1)),
        (StockReservationReleased("ord-2", 3), (4, 0, 4)),
        (StockAdjusted(-1, "breakage"), (3, 0, 3)),
        (StockReceived(5), (8, 0, 8)),
    ]
    state = given(stock_item, REGISTERED)
    for event, expected in steps:
        state = stock_item.evolve(state, event)
        assert levels(state) == expected, event


def test_evolve_tracks_open_reservations_and_shipments_per_order() -> None:
    state = widget(RESERVED_FOR_ORD_1, StockReserved("ord-2", 3), StockShipped("ord-1", "shp-1", 2))
    assert state.reservations == {"ord-1": 4, "ord-2": 3}
    assert state.shipments == frozenset({"ord-1/shp-1"})
    state = stock_item.evolve(state, StockShipped("ord-1", "shp-2", 4))
    assert state.reservations == {"ord-2": 3}


def test_evolve_price_change() -> None:
    state = widget(StockPriceChanged(Decimal("13.00"), Decimal("12.50")))
    assert state.base_price == Decimal("13.00")
