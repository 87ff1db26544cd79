"""Order: placement with priced lines, reservation outcome, shipping, invoicing, payment."""

from datetime import datetime
from decimal import Decimal
from types import MappingProxyType

import pytest

from domain import order
from domain.errors import (
    AlreadyExistsError,
    InvalidTransitionError,
    NotFoundError,
    RuleViolationError,
)
from domain.order import (
    CancelOrder,
    ConfirmOrder,
    InvoiceOrder,
    MarkBackOrdered,
    MarkReserved,
    OrderBackOrdered,
    OrderCancelled,
    OrderConfirmed,
    OrderInvoiced,
    OrderPaid,
    OrderPlaced,
    OrderRejected,
    OrderReserved,
    OrderShipped,
    PlaceOrder,
    RecordPayment,
    RejectOrder,
    ShipmentLine,
    ShipOrder,
)
from domain.pricing import PricedLine, PriceRequest, PriceRules, RegionalPrices
from domain.stock_item import ReceiveStock
from tests.unit.given import broken_rule, given, invalid, rejected, when

AT = datetime(2026, 3, 2, 10, 0)
REQUESTS = (
    PriceRequest("SKU-1", Decimal("100.00"), 10, "B", "north", AT),
    PriceRequest("SKU-2", Decimal("19.99"), 2, None, "north", AT),
)
LINES = (
    PricedLine("SKU-1", 10, Decimal("100.00"), Decimal("96.00"),
               "base_price+grade_discount:B(-4%)", Decimal("960.00")),
    PricedLine("SKU-2", 2, Decimal("19.99"), Decimal("19.99"), "base_price", Decimal("39.98")),
)
TOTAL = Decimal("999.98")
PLACED = OrderPlaced("ord-1", "acc-1", "opp-1", LINES, TOTAL, "EUR", False)
PLACED_BACK_ORDER_ALLOWED = OrderPlaced("ord-1", "acc-1", None, LINES, TOTAL, "EUR", True)
FIRST_PART = OrderShipped("shp-1", (ShipmentLine("SKU-1", 4),), False)
THE_REST = OrderShipped("shp-2", (ShipmentLine("SKU-1", 6), ShipmentLine("SKU-2", 2)), True)
INVOICED = OrderInvoiced("inv-1", TOTAL)

# Histories up to each status, so tests can say "given a confirmed order".
HISTORY = {
    "placed": (PLACED,),
    "back_ordered": (PLACED_BACK_ORDER_ALLOWED, OrderBackOrdered(("SKU-1",))),
    "rejected": (PLACED, OrderRejected("insufficient_stock", "SKU-1")),
    "reserved": (PLACED, OrderReserved()),
    "confirmed": (PLACED, OrderReserved(), OrderConfirmed()),
    "partially_shipped": (PLACED, OrderReserved(), OrderConfirmed(), FIRST_PART),
    "shipped": (PLACED, OrderReserved(), OrderConfirmed(), FIRST_PART, THE_REST),
    "invoiced": (PLACED, OrderReserved(), OrderConfirmed(), FIRST_PART, THE_REST, INVOICED),
    "paid": (PLACED, OrderReserved(), OrderConfirmed(), FIRST_PART, THE_REST, INVOICED,
             OrderPaid(TOTAL, "bank-42")),
    "cancelled": (PLACED, OrderCancelled("customer withdrew")),
}


def an_order(status: str) -> order.Order:
    return given(order, *HISTORY[status])


def others(*allowed: str) -> list[str]:
    return [status for status in HISTORY if status not in allowed]


def place(*requests: PriceRequest) -> PlaceOrder:
    return PlaceOrder("ord-1", "acc-1", requests or REQUESTS, PriceRules(), "opp-1")


# --- PlaceOrder ------------------------------------------------------------------------------

def test_place_order_records_each_line_with_its_unit_price_and_price_rule() -> None:
    assert when(order, None, place()) == [PLACED]


def test_place_order_records_the_back_order_choice_and_currency() -> None:
    command = PlaceOrder("ord-1", "acc-1", REQUESTS, PriceRules(), None, "EUR", True)
    assert when(order, None, command) == [PLACED_BACK_ORDER_ALLOWED]


def test_place_order_in_a_currency_prices_from_the_regions_list_in_it() -> None:
    north = RegionalPrices("north", "USD", MappingProxyType({"SKU-1": Decimal("80.00"),
                                                                    "SKU-2": Decimal("15.00")}))
    rules = PriceRules(price_lists=MappingProxyType({"north": north}))
    events = when(order, None, PlaceOrder("ord-1", "acc-1", REQUESTS, rules, None, "usd"))
    assert events == [OrderPlaced("ord-1", "acc-1", None, (  # B: 4 % off 80.00
        PricedLine("SKU-1", 10, Decimal("80.00"), Decimal("76.80"),
                   "price_list:north+grade_discount:B(-4%)", Decimal("768.00")),
        PricedLine("SKU-2", 2, Decimal("15.00"), Decimal("15.00"), "price_list:north",
                   Decimal("30.00"))), Decimal("798.00"), "USD", False)]


def test_place_order_in_a_currency_nothing_prices_is_refused() -> None:
    broken_rule(order, None, PlaceOrder("ord-1", "acc-1", REQUESTS, PriceRules(), None, "USD"),
                "lines.0.sku")


def test_place_order_in_no_currency_is_refused() -> None:
    invalid(order, None, PlaceOrder("ord-1", "acc-1", REQUESTS, PriceRules(), None, "€"),
            "currency")


def test_place_order_twice_is_refused() -> None:
    error = rejected(order, an_order("placed"), place(), AlreadyExistsError)
    assert error.code == "already_exists"


def test_place_order_without_lines_is_refused() -> None:
    invalid(order, None, PlaceOrder("ord-1", "acc-1", (), PriceRules()), "lines")


def test_place_order_with_a_sku_twice_is_refused() -> None:
    broken_rule(order, None, place(REQUESTS[0], REQUESTS[0]), "lines")


def test_place_order_with_a_zero_quantity_names_the_line() -> None:
    zero = PriceRequest("SKU-3", Decimal("5.00"), 0, None, None, AT)
    invalid(order, None, place(REQUESTS[0], zero), "lines[1].quantity")


# --- MarkReserved / MarkBackOrdered / RejectOrder / ConfirmOrder -----------------------------

@pytest.mark.parametrize("status", ["placed", "back_ordered"])
def test_mark_reserved(status: str) -> None:
    assert when(order, an_order(status), MarkReserved()) == [OrderReserved()]


@pytest.mark.parametrize("status", others("placed", "back_ordered"))
def test_mark_reserved_in_another_status_is_refused(status: str) -> None:
    error = rejected(order, an_order(status), MarkReserved(), InvalidTransitionError)
    assert error.code == "invalid_transition"


def test_mark_back_ordered_when_back_order_was_chosen() -> None:
    state = given(order, PLACED_BACK_ORDER_ALLOWED)
    assert when(order, state, MarkBackOrdered(("SKU-1",))) == [OrderBackOrdered(("SKU-1",))]


@pytest.mark.parametrize("status", others("placed"))
def test_mark_back_ordered_in_another_status_is_refused(status: str) -> None:
    rejected(order, an_order(status), MarkBackOrdered(("SKU-1",)), InvalidTransitionError)


def test_mark_back_ordered_is_refused_when_back_order_was_not_chosen() -> None:
    # DOMAIN.md: an order that cannot be reserved in full is refused, or back-ordered only by
    # explicit choice. PLACED has allow_back_order=False, so it must not become back_ordered.
    rejected(order, an_order("placed"), MarkBackOrdered(("SKU-1",)), InvalidTransitionError)


def test_reject_order_records_reason_and_sku() -> None:
    events = when(order, an_order("placed"), RejectOrder("insufficient_stock", "SKU-1"))
    assert events == [OrderRejected("insufficient_stock", "SKU-1")]


@pytest.mark.parametrize("status", others("placed"))
def test_reject_order_in_another_status_is_refused(status: str) -> None:
    rejected(order, an_order(status), RejectOrder("insufficient_stock"), InvalidTransitionError)


def test_confirm_order() -> None:
    assert when(order, an_order("reserved"), ConfirmOrder()) == [OrderConfirmed()]


@pytest.mark.parametrize("status", others("reserved"))
def test_confirm_order_in_another_status_is_refused(status: str) -> None:
    rejected(order, an_order(status), ConfirmOrder(), InvalidTransitionError)


# --- ShipOrder -------------------------------------------------------------------------------

def test_ship_part_of_an_order_is_not_complete() -> None:
    command = ShipOrder("shp-1", (ShipmentLine("SKU-1", 4),))
    assert when(order, an_order("confirmed"), command) == [FIRST_PART]


def test_ship_the_rest_of_an_order_completes_it() -> None:
    command = ShipOrder("shp-2", (ShipmentLine("SKU-1", 6), ShipmentLine("SKU-2", 2)))
    assert when(order, an_order("partially_shipped"), command) == [THE_REST]


def test_ship_a_whole_order_at_once_completes_it() -> None:
    lines = (ShipmentLine("SKU-1", 10), ShipmentLine("SKU-2", 2))
    assert when(order, an_order("confirmed"), ShipOrder("shp-1", lines)) == [
        OrderShipped("shp-1", lines, True)]


@pytest.mark.parametrize("status", others("confirmed", "partially_shipped"))
def test_ship_order_in_another_status_is_refused(status: str) -> None:
    command = ShipOrder("shp-9", (ShipmentLine("SKU-2", 1),))
    rejected(order, an_order(status), command, InvalidTransitionError)


def test_ship_order_without_lines_is_refused() -> None:
    invalid(order, an_order("confirmed"), ShipOrder("shp-1", ()), "lines")


def test_ship_order_with_a_zero_quantity_names_the_line() -> None:
    command = ShipOrder("shp-1", (ShipmentLine("SKU-2", 1), ShipmentLine("SKU-1", 0)))
    invalid(order, an_order("confirmed"), command, "lines[1].quantity")


def test_ship_more_than_is_left_to_ship_is_refused() -> None:
    command = ShipOrder("shp-2", (ShipmentLine("SKU-1", 7),))  # 4 of 10 already shipped
    broken_rule(order, an_order("partially_shipped"), command, "lines[0].quantity")


def test_ship_a_sku_that_was_not_ordered_is_refused() -> None:
    command = ShipOrder("shp-1", (ShipmentLine("SKU-404", 1),))
    broken_rule(order, an_order("confirmed"), command, "lines[0].quantity")


def test_ship_the_same_sku_twice_in_one_shipment_cannot_exceed_the_ordered_quantity() -> None:
    # 10 of SKU-1 ordered; two lines of 6 each pass the per-line check but ship 12.
    command = ShipOrder("shp-1", (ShipmentLine("SKU-1", 6), ShipmentLine("SKU-1", 6)))
    error = rejected(order, an_order("confirmed"), command, RuleViolationError)
    assert error.field in ("lines", "lines[1].quantity")


def test_ship_order_with_a_recorded_shipment_id_records_nothing() -> None:
    # Stock shipments are keyed by order/shipment id (ShipStock repeats nothing); the order must
    # not count a repeated shipment twice either, or order and stock disagree.
    command = ShipOrder("shp-1", (ShipmentLine("SKU-1", 4),))
    assert when(order, an_order("partially_shipped"), command) == []


# --- InvoiceOrder / RecordPayment ------------------------------------------------------------

def test_invoice_a_shipped_order() -> None:
    assert when(order, an_order("shipped"), InvoiceOrder("inv-1", TOTAL)) == [INVOICED]


def test_invoice_an_order_in_parts() -> None:
    state = given(order, *HISTORY["shipped"], OrderInvoiced("inv-1", Decimal("500.00")))
    events = when(order, state, InvoiceOrder("inv-2", Decimal("499.98")))
    assert events == [OrderInvoiced("inv-2", Decimal("499.98"))]


@pytest.mark.parametrize("status", others("shipped", "invoiced"))
def test_invoice_order_in_another_status_is_refused(status: str) -> None:
    rejected(order, an_order(status), InvoiceOrder("inv-1", Decimal(1)), InvalidTransitionError)


def test_invoice_beyond_the_order_total_is_refused() -> None:
    state = given(order, *HISTORY["shipped"], OrderInvoiced("inv-1", Decimal("500.00")))
    broken_rule(order, state, InvoiceOrder("inv-2", Decimal("499.99")), "amount")


@pytest.mark.parametrize(
    ("command", "field"),
    [(InvoiceOrder("inv-1", Decimal(0)), "amount"), (InvoiceOrder(" ", Decimal(1)), "invoice_id")],
)
def test_invoice_with_an_invalid_value_names_the_field(command: InvoiceOrder, field: str) -> None:
    invalid(order, an_order("shipped"), command, field)


def test_record_payment() -> None:
    events = when(order, an_order("invoiced"), RecordPayment(TOTAL, " bank-42 "))
    assert events == [OrderPaid(TOTAL, "bank-42")]


@pytest.mark.parametrize("status", others("invoiced"))
def test_record_payment_in_another_status_is_refused(status: str) -> None:
    rejected(order, an_order(status), RecordPayment(Decimal(1), "bank-1"), InvalidTransitionError)


def test_record_payment_beyond_the_invoiced_amount_is_refused() -> None:
    state = given(order, *HISTORY["shipped"], OrderInvoiced("inv-1", Decimal("500.00")))
    broken_rule(order, state, RecordPayment(Decimal("500.01"), "bank-1"), "amount")


@pytest.mark.parametrize(
    ("command", "field"),
    [(RecordPayment(Decimal(0), "bank-1"), "amount"), (RecordPayment(Decimal(1), ""), "reference")],
)
def test_record_payment_with_an_invalid_value_names_the_field(command: RecordPayment,
                                                              field: str) -> None:
    invalid(order, an_order("invoiced"), command, field)


# --- CancelOrder -----------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["placed", "back_ordered", "reserved", "confirmed"])
def test_cancel_order_before_shipping(status: str) -> None:
    events = when(order, an_order(status), CancelOrder(" customer withdrew "))
    assert events == [OrderCancelled("customer withdrew")]


@pytest.mark.parametrize("status", others("placed", "back_ordered", "reserved", "confirmed"))
def test_cancel_order_once_shipped_or_closed_is_refused(status: str) -> None:
    rejected(order, an_order(status), CancelOrder("too late"), InvalidTransitionError)


def test_cancel_order_without_a_reason_is_refused() -> None:
    invalid(order, an_order("placed"), CancelOrder(" "), "reason")


# --- unknown order / foreign command ---------------------------------------------------------

def test_a_command_for_an_unknown_order_is_refused() -> None:
    rejected(order, None, ConfirmOrder(), NotFoundError)


def test_a_command_of_another_aggregate_is_a_programming_error() -> None:
    rejected(order, an_order("placed"), ReceiveStock(1), TypeError)


# --- evolve ----------------------------------------------------------------------------------

def test_evolve_status_through_the_whole_life_cycle() -> None:
    history = HISTORY["paid"]
    statuses = [given(order, *history[: n + 1]).status for n in range(len(history))]
    assert statuses == ["placed", "reserved", "confirmed", "partially_shipped", "shipped",
                        "invoiced", "paid"]


@pytest.mark.parametrize("status", list(HISTORY))
def test_evolve_each_history_ends_in_its_status(status: str) -> None:
    assert an_order(status).status == status


def test_evolve_a_placed_order_keeps_its_priced_lines() -> None:
    state = an_order("placed")
    assert (state.id, state.account_id, state.lines, state.total) == (
        "ord-1", "acc-1", LINES, TOTAL)
    assert (state.ordered_quantity("SKU-1"), state.shipped_quantity("SKU-1")) == (10, 0)


def test_evolve_counts_shipped_quantities_per_sku() -> None:
    state = an_order("shipped")
    assert (state.shipped_quantity("SKU-1"), state.shipped_quantity("SKU-2")) == (10, 2)


def test_evolve_a_partial_payment_leaves_the_order_invoiced() -> None:
    state = given(order, *HISTORY["invoiced"], OrderPaid(Decimal("500.00"), "bank-1"))
    assert (state.status, state.paid, state.invoiced) == ("invoiced", Decimal("500.00"), TOTAL)
    state = order.evolve(state, OrderPaid(Decimal("499.98"), "bank-2"))
    assert (state.status, state.paid) == ("paid", TOTAL)
