"""Reports read model: exact sales and churn after real commands, on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.errors import ValidationError
from infra.bootstrap import read_models as open_read_models
from infra.readside.readstore import SqlReader
from infra.service.commands import CommandContext
from infra.settings import Settings
from projections.sales_and_churn.projection import SalesAndChurnProjection
from projections.sales_and_churn.queries import SalesAndChurnQueries, months_before
from tests.conftest import at


@pytest.fixture
def models(database_url, sales):
    m = open_read_models(Settings(database_url=database_url), [SalesAndChurnProjection()])
    yield m
    m.close()


def _queries(models):
    models.catch_up()
    return SalesAndChurnQueries(SqlReader(models.db, models.conn))


def on(month, day):
    """A command context on a day of 2026 (``at`` covers November only)."""
    return CommandContext(actor="t", now=datetime(2026, month, day, 9, tzinfo=UTC))


def _setup(sales, ctx, accounts):
    """Reps Ann (north) and Bob (south), the named accounts, W-1 at 10.00 and G-2 at 25.00."""
    ann = str(sales.reps.hire(ctx, name="Ann", email="ann@example.com", role="rep", team="north",
                              region="north").stream_id)
    bob = str(sales.reps.hire(ctx, name="Bob", email="bob@example.com", role="rep", team="south",
                              region="south").stream_id)
    owners = {"north": ann, "south": bob}
    ids = {name: str(sales.accounts.open(ctx, name=name, region=region,
                                         owner_id=owners[region]).stream_id)
           for name, region in accounts}
    for sku, price in (("W-1", "10.00"), ("G-2", "25.00")):
        sales.stock.register(ctx, sku=sku, name=sku, base_price=Decimal(price))
        sales.stock.receive(ctx, sku, quantity=1000)
    return ann, bob, ids


def _place(sales, ctx, account, *lines):
    # fewer than 10 units a line: no volume break, so line total = 10.00 or 25.00 x quantity
    return str(sales.orders.place(ctx, account_id=account, lines=list(lines)).stream_id)


def _november(sales):
    ann, bob, ids = _setup(sales, at(1), [("Acme", "north"), ("Beta", "south"), ("Cato", "north")])
    acme, beta, cato = ids["Acme"], ids["Beta"], ids["Cato"]
    o1 = _place(sales, at(2), acme, ("W-1", 2), ("G-2", 1))  # 45.00, Mon Nov 2, week 45
    o2 = _place(sales, at(3), beta, ("W-1", 5))  # 50.00
    o3 = _place(sales, at(9), acme, ("G-2", 4))  # 100.00, week 46
    o4 = _place(sales, at(10), beta, ("W-1", 1))  # 10.00, cancelled: not a sale
    sales.orders.cancel(at(11), o4, reason="duplicate")
    o5 = _place(sales, at(11), cato, ("W-1", 1))  # 10.00, Ann's
    sales.accounts.change_owner(at(12), cato, owner_id=bob)
    o6 = _place(sales, at(16), cato, ("W-1", 3))  # 30.00, Bob's now; week 47
    return ann, bob, ids, (o1, o2, o3, o4, o5, o6)


def _rows(rows):
    return [(r["period"], r["key"], r["orders"], r["revenue"]) for r in rows]


def test_sales_per_day_and_per_year(sales, models):
    _november(sales)
    q = _queries(models)

    assert _rows(q.sales("day")) == [
        ("2026-11-02", None, 1, Decimal("45.00")), ("2026-11-03", None, 1, Decimal("50.00")),
        ("2026-11-09", None, 1, Decimal("100.00")), ("2026-11-11", None, 1, Decimal("10.00")),
        ("2026-11-16", None, 1, Decimal("30.00")),
    ]
    assert _rows(q.sales("year")) == [("2026", None, 5, Decimal("235.00"))]


def test_sales_per_iso_week_and_region(sales, models):
    _november(sales)
    q = _queries(models)

    assert _rows(q.sales("week", by="region")) == [
        ("2026-W45", "north", 1, Decimal("45.00")), ("2026-W45", "south", 1, Decimal("50.00")),
        ("2026-W46", "north", 2, Decimal("110.00")), ("2026-W47", "north", 1, Decimal("30.00")),
    ]


def test_sales_per_month_and_product_count_line_totals(sales, models):
    _november(sales)
    q = _queries(models)

    assert _rows(q.sales("month", by="product")) == [
        ("2026-11", "G-2", 2, Decimal("125.00")), ("2026-11", "W-1", 4, Decimal("110.00")),
    ]


def test_sales_per_rep_credit_the_account_owner_at_order_time(sales, models):
    ann, bob, _, _ = _november(sales)
    q = _queries(models)

    by_rep = {r["key"]: (r["orders"], r["revenue"]) for r in q.sales("month", by="rep")}

    assert by_rep == {ann: (3, Decimal("155.00")), bob: (2, Decimal("80.00"))}


def test_a_departed_reps_accounts_credit_the_successor_from_then_on(sales, models):
    ann, bob, ids, _ = _november(sales)
    sales.departure.depart(at(20), ann, successor_id=bob)
    _place(sales, at(21), ids["Acme"], ("G-2", 2))  # 50.00
    q = _queries(models)

    by_rep = {r["key"]: (r["orders"], r["revenue"]) for r in q.sales("year", by="rep")}

    assert by_rep == {ann: (3, Decimal("155.00")), bob: (3, Decimal("130.00"))}


def test_order_rows_keep_status_region_rep_and_totals(sales, models):
    ann, bob, ids, (o1, o2, _, o4, o5, o6) = _november(sales)
    sales.orders.confirm(at(17), o1)
    sales.orders.ship(at(17), o1, shipment_id="s1", lines=[("W-1", 2), ("G-2", 1)])
    sales.orders.invoice(at(18), o1, invoice_id="inv-1", amount=Decimal("45.00"))
    sales.orders.record_payment(at(19), o1, amount=Decimal("20.00"), reference="p1")
    sales.orders.confirm(at(17), o2)
    sales.orders.ship(at(18), o2, shipment_id="s1", lines=[("W-1", 2)])
    q = _queries(models)
    first = _order_rows(q)

    sales.orders.record_payment(at(20), o1, amount=Decimal("25.00"), reference="p2")
    after = _order_rows(_queries(models))

    assert first[o1] == (ids["Acme"], "north", ann, Decimal("45.00"), "invoiced",
                         Decimal("45.00"), Decimal("20.00"))
    assert first[o2][1:5] == ("south", bob, Decimal("50.00"), "partially_shipped")
    assert first[o4][4] == "cancelled"
    assert (first[o5][2], first[o6][2]) == (ann, bob)
    assert after[o1][4:] == ("paid", Decimal("45.00"), Decimal("45.00"))
    assert _rows(q.sales("year")) == [("2026", None, 5, Decimal("235.00"))]


def _order_rows(q):
    found = q._fetch("SELECT order_id, account_id, region, rep_id, total, status, invoiced, paid "
                     "FROM reports_orders")
    money = q.read.value
    return {r["order_id"]: (r["account_id"], r["region"], r["rep_id"], money("numeric", r["total"]),
                            r["status"], money("numeric", r["invoiced"]), money("numeric", r["paid"]))
            for r in found}


def test_unknown_period_or_dimension_is_refused(sales, models):
    q = _queries(models)

    assert q.sales("day") == [] and q.sales("month", by="product") == []
    with pytest.raises(ValidationError):
        q.sales("quarter")
    with pytest.raises(ValidationError):
        q.sales("month", by="team")
    with pytest.raises(ValidationError):
        q.churned(date(2026, 11, 30), months=-1)


def _history(sales):
    """Orders from July to November; Eve never buys, Dora's October order is cancelled."""
    _, _, ids = _setup(sales, on(6, 1), [(n, "north") for n in ("Acme", "Beta", "Cato", "Dora", "Eve")])
    _place(sales, on(7, 5), ids["Dora"], ("W-1", 1))  # 10.00
    _place(sales, on(7, 10), ids["Acme"], ("W-1", 2))  # 20.00
    _place(sales, on(7, 20), ids["Beta"], ("W-1", 3))  # 30.00
    _place(sales, on(8, 30), ids["Cato"], ("W-1", 4))  # 40.00
    cancelled = _place(sales, on(10, 1), ids["Dora"], ("W-1", 5))
    sales.orders.cancel(on(10, 2), cancelled, reason="budget cut")
    _place(sales, on(11, 2), ids["Acme"], ("W-1", 6))  # 60.00
    return ids


def _churn(rows):
    return [(r["name"], r["first_order_on"], r["last_order_on"], r["orders"], r["revenue"])
            for r in rows]


def test_churned_accounts_bought_before_but_not_in_the_last_months(sales, models):
    ids = _history(sales)
    q = _queries(models)

    three = q.churned(date(2026, 11, 30), months=3)  # silent since before Aug 30

    assert _churn(three) == [
        ("Dora", date(2026, 7, 5), date(2026, 7, 5), 1, Decimal("10.00")),
        ("Beta", date(2026, 7, 20), date(2026, 7, 20), 1, Decimal("30.00")),
    ]  # Cato's last order is exactly three months old: not churned; Eve never bought
    assert (three[0]["account_id"], three[0]["region"]) == (ids["Dora"], "north")
    assert [r["name"] for r in q.churned(date(2026, 11, 30), months=2)] == ["Dora", "Beta", "Cato"]
    assert _churn(q.churned(date(2026, 11, 30), months=0))[-1] == (
        "Acme", date(2026, 7, 10), date(2026, 11, 2), 2, Decimal("80.00"))


def test_churn_as_of_an_earlier_day_ignores_later_orders(sales, models):
    _history(sales)
    q = _queries(models)

    # as of Oct 15, Acme's November order had not happened: silent since Jul 10 (< Jul 15)
    assert [(r["name"], r["orders"]) for r in q.churned(date(2026, 10, 15), months=3)] == [
        ("Dora", 1), ("Acme", 1)]
    assert q.churned(date(2026, 6, 30), months=1) == []  # nobody had bought yet
    assert months_before(date(2027, 5, 31), 3) == date(2027, 2, 28)
    assert months_before(date(2026, 3, 15), 14) == date(2025, 1, 15)
