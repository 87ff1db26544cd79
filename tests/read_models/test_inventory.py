"""Inventory read model: exact levels and movements after real commands, on SQLite and PostgreSQL."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from infra.bootstrap import read_models as open_read_models
from infra.readside.readstore import SqlReader
from infra.settings import Settings
from projections.inventory.projection import InventoryProjection
from projections.inventory.queries import InventoryQueries
from tests.conftest import at


@pytest.fixture
def models(database_url, sales):
    m = open_read_models(Settings(database_url=database_url), [InventoryProjection()])
    yield m
    m.close()


def _queries(models):
    models.catch_up()
    return InventoryQueries(SqlReader(models.db, models.conn))


def _account(sales):
    ann = sales.reps.hire(at(1), name="Ann", email="ann@example.com", role="rep", team="north",
                          region="north")
    return str(sales.accounts.open(at(1), name="Acme", region="north",
                                   owner_id=str(ann.stream_id)).stream_id)


def _world(sales):
    """W-1: 20 in, order A holds 12, order B holds 4 then is cancelled, A ships 5, 2 written off."""
    acme = _account(sales)
    sales.stock.register(at(1), sku="W-1", name="Widget", base_price=Decimal("10.00"),
                         reorder_level=5, specification="steel")
    sales.stock.register(at(1), sku="G-2", name="Gadget", base_price=Decimal("25.00"),
                         reorder_level=10)
    sales.stock.receive(at(1, 10), "W-1", quantity=20)
    sales.stock.receive(at(1, 10), "G-2", quantity=8)
    a = str(sales.orders.place(at(2), account_id=acme, lines=[("W-1", 12), ("G-2", 3)]).stream_id)
    b = str(sales.orders.place(at(3), account_id=acme, lines=[("W-1", 4)]).stream_id)
    sales.orders.cancel(at(4), b, reason="customer changed mind")
    sales.orders.confirm(at(5), a)
    sales.orders.ship(at(6), a, shipment_id="s1", lines=[("W-1", 5)])
    sales.stock.adjust(at(7), "W-1", delta=-2, reason="damaged")
    sales.stock.change_price(at(8), "W-1", base_price=Decimal("12.50"))
    return acme, a, b


def _level_view(level):
    return {k: level[k] for k in ("sku", "name", "on_hand", "reserved", "available",
                                  "reorder_level", "below_reorder", "base_price")}


def test_levels_hold_on_hand_reserved_available_and_reorder_flag(sales, models):
    _world(sales)
    q = _queries(models)

    widget, gadget = q.level("W-1"), q.level("G-2")

    assert _level_view(widget) == {"sku": "W-1", "name": "Widget", "on_hand": 13, "reserved": 7,
                                   "available": 6, "reorder_level": 5, "below_reorder": False,
                                   "base_price": Decimal("12.50")}
    assert _level_view(gadget) == {"sku": "G-2", "name": "Gadget", "on_hand": 8, "reserved": 3,
                                   "available": 5, "reorder_level": 10, "below_reorder": True,
                                   "base_price": Decimal("25.00")}
    assert widget["specification"] == "steel"
    assert widget["registered_at"] == datetime(2026, 11, 1, 9, tzinfo=UTC)
    assert widget["updated_at"] == datetime(2026, 11, 8, 9, tzinfo=UTC)
    assert q.level("NOPE") is None


def test_levels_match_the_stock_items_themselves(sales, models):
    _world(sales)
    q = _queries(models)

    for sku in ("W-1", "G-2"):
        item, level = sales.stock.get(sku), q.level(sku)
        assert (level["on_hand"], level["reserved"], level["available"]) == (
            item.on_hand, item.reserved, item.available)


def test_below_reorder_lists_only_items_under_their_level(sales, models):
    _world(sales)
    q = _queries(models)

    assert [r["sku"] for r in q.below_reorder()] == ["G-2"]

    sales.stock.adjust(at(9), "W-1", delta=-2, reason="recount")  # available 6 -> 4 < 5
    sales.stock.receive(at(9), "G-2", quantity=5)  # available 5 -> 10, not below 10
    q = _queries(models)

    assert [(r["sku"], r["available"]) for r in q.below_reorder()] == [("W-1", 4)]


def test_movement_history_one_row_per_stock_event(sales, models):
    _, a, b = _world(sales)
    q = _queries(models)

    history = [(m["kind"], m["order_id"], m["shipment_id"], m["on_hand_delta"], m["reserved_delta"],
                m["on_hand_after"], m["reserved_after"], m["reason"], m["occurred_at"].day)
               for m in reversed(q.movements("W-1"))]

    assert history == [
        ("received", None, None, 20, 0, 20, 0, None, 1),
        ("reserved", a, None, 0, 12, 20, 12, None, 2),
        ("reserved", b, None, 0, 4, 20, 16, None, 3),
        ("released", b, None, 0, -4, 20, 12, None, 4),
        ("shipped", a, "s1", -5, -5, 15, 7, None, 6),
        ("adjusted", None, None, -2, 0, 13, 7, "damaged", 7),
        ("price_changed", None, None, 0, 0, 13, 7, None, 8),
    ]
    price = q.movements("W-1", limit=1)[0]
    assert (price["base_price"], price["previous_price"], price["actor"]) == (
        Decimal("12.50"), Decimal("10.00"), "tester")
    assert [m["kind"] for m in q.movements("G-2")] == ["reserved", "received"]
    assert q.movements("NOPE") == []


def test_reservations_follow_shipments_until_the_order_is_fully_shipped(sales, models):
    _, a, _ = _world(sales)
    q = _queries(models)

    assert [(r["order_id"], r["quantity"]) for r in q.reservations("W-1")] == [(a, 7)]

    sales.orders.ship(at(9), a, shipment_id="s2", lines=[("W-1", 7), ("G-2", 3)])
    q = _queries(models)

    assert q.reservations("W-1") == q.reservations("G-2") == []
    assert _level_view(q.level("W-1"))["reserved"] == 0
    assert (q.level("W-1")["on_hand"], q.level("G-2")["on_hand"]) == (6, 5)
    assert [(m["kind"], m["on_hand_after"], m["reserved_after"]) for m in q.movements("G-2", 1)] == [
        ("shipped", 5, 0)]


def test_a_cancelled_order_gives_its_stock_back(sales, models):
    acme, a, _ = _world(sales)
    c = str(sales.orders.place(at(10), account_id=acme, lines=[("G-2", 5)]).stream_id)
    q = _queries(models)
    assert (q.level("G-2")["reserved"], q.level("G-2")["available"]) == (8, 0)

    sales.orders.cancel(at(11), c, reason="duplicate")
    q = _queries(models)

    assert (q.level("G-2")["reserved"], q.level("G-2")["available"]) == (3, 5)
    assert [(r["order_id"], r["quantity"]) for r in q.reservations("G-2")] == [(a, 3)]
