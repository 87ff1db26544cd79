"""Money of two currencies in every answer that sums money: never added together, grouped
by currency (CONTRACT.md, "Money"); on SQLite and PostgreSQL, and through HTTP."""

from datetime import date
from decimal import Decimal as D

import pytest

from infra.bootstrap import read_models as open_read_models
from infra.readside.readstore import SqlReader
from infra.settings import Settings
from projections.follow_ups_and_channels.queries import FollowUpsAndChannelsQueries
from projections.forecast.queries import ForecastQueries
from projections.funnel.queries import FunnelQueries
from projections.rep_performance.queries import RepPerformanceQueries
from projections.sales_and_churn.queries import SalesAndChurnQueries
from tests.conftest import at


@pytest.fixture
def models(database_url, sales):
    m = open_read_models(Settings(database_url=database_url))
    yield m
    m.close()


def _world(sales):
    """Ann's deals from web-form leads: won EUR 1000 and USD 1000, open (proposal) EUR 1000
    and USD 2000; orders of Acme: EUR 20.00 and USD 30.00."""
    ann = str(sales.reps.hire(at(1), name="Ann", email="ann@example.com", role="rep",
                              team="north", region="north").stream_id)
    acme = str(sales.accounts.open(at(1), name="Acme", region="north", owner_id=ann).stream_id)

    def deal(currency, amount, stage, day):
        lead = str(sales.leads.capture(at(day), person=f"P {currency}{amount}{stage}",
                                       company="Acme", email=f"{currency}{amount}{stage}@x.example",
                                       channel="web_form").stream_id)
        opened = str(sales.opportunities.open(
            at(day), account_id=acme, owner_id=ann, name=f"{currency} {amount}", amount=D(amount),
            expected_close=date(2026, 12, 15), currency=currency, source_lead_id=lead).stream_id)
        sales.opportunities.change_stage(at(day + 1), opened, stage=stage)

    for currency, amount, stage, day in (("EUR", 1000, "closed_won", 2), ("USD", 1000,
                                         "closed_won", 3), ("EUR", 1000, "proposal", 4),
                                         ("USD", 2000, "proposal", 5)):
        deal(currency, amount, stage, day)
    sales.stock.register(at(1), sku="W-1", name="Widget", base_price=D(10))
    sales.stock.receive(at(1), "W-1", quantity=100)
    # dollar prices come from a price list in dollars: a base price (in euros) never prices one
    sales.prices.set_price_list(at(1), "north", currency="USD", prices=[("W-1", D(10))])
    sales.orders.place(at(6), account_id=acme, lines=[("W-1", 2)], currency="EUR")
    sales.orders.place(at(7), account_id=acme, lines=[("W-1", 3)], currency="USD")
    return ann


def _caught_up(models):
    models.catch_up()
    return models.db, models.conn


def test_funnel_stage_totals_per_currency(sales, models):
    _world(sales)
    stages = {s["stage"]: s for s in FunnelQueries(SqlReader(*_caught_up(models))).summary()}

    assert stages["proposal"] == {
        "stage": "proposal", "count": 2, "amount": None, "weighted_amount": None,
        "currency": None, "by_currency": [
            {"currency": "EUR", "count": 1, "amount": D("1000.00"), "weighted_amount": D("500.00")},
            {"currency": "USD", "count": 1, "amount": D("2000.00"),
             "weighted_amount": D("1000.00")}]}
    assert stages["prospecting"] == {"stage": "prospecting", "count": 0, "amount": D("0.00"),
                                     "weighted_amount": D("0.00"), "currency": None,
                                     "by_currency": []}


def test_funnel_of_one_currency_keeps_its_amounts(sales, models):
    ann = str(sales.reps.hire(at(1), name="Ann", email="ann@example.com", role="rep",
                              team="north", region="north").stream_id)
    acme = str(sales.accounts.open(at(1), name="Acme", region="north", owner_id=ann).stream_id)
    sales.opportunities.open(at(2), account_id=acme, owner_id=ann, name="d", amount=D(300),
                             expected_close=date(2026, 12, 1), currency="usd")

    stages = {s["stage"]: s for s in FunnelQueries(SqlReader(*_caught_up(models))).summary()}

    assert (stages["prospecting"]["amount"], stages["prospecting"]["weighted_amount"],
            stages["prospecting"]["currency"]) == (D("300.00"), D("30.00"), "USD")


def test_forecast_is_made_per_currency(sales, models):
    ann = _world(sales)
    f = ForecastQueries(SqlReader(*_caught_up(models))).forecast("month", rep_id=ann,
                                                      as_of=date(2026, 11, 20))

    december = next(p for p in f["periods"] if p["period"] == "2026-12")
    november = next(p for p in f["periods"] if p["period"] == "2026-11")
    assert (december["pipeline_weighted"], december["won"], december["historical"]) == (None,) * 3
    assert [(c["currency"], c["pipeline_weighted"]) for c in december["by_currency"]] == [
        ("EUR", D("500.00")), ("USD", D("1000.00"))]
    assert [(c["currency"], c["won"]) for c in november["by_currency"]] == [
        ("EUR", D("1000.00")), ("USD", D("1000.00"))]
    assert (f["currency"], [c["currency"] for c in f["by_currency"]]) == (None, ["EUR", "USD"])
    assert f["fiscal_year"] == {"period": "FY2026", "won": None, "projected": None, "total": None}
    assert f["backtest"]["months"] is None
    usd = f["by_currency"][1]
    assert next(p for p in usd["periods"] if p["period"] == "2026-12")["pipeline_weighted"] == \
        D("1000.00")
    one = ForecastQueries(SqlReader(models.db, models.conn)).forecast(
        "month", rep_id=ann, product="none", as_of=date(2026, 11, 20))  # no deal at all
    assert (one["currency"], one["by_currency"]) == (None, [])


def test_performance_won_revenue_per_currency(sales, models):
    _world(sales)
    (ann,) = RepPerformanceQueries(SqlReader(*_caught_up(models))).performance("2026-11")

    assert (ann["won_revenue"], ann["wins"], ann["currency"], ann["attainment"],
            ann["commission"]) == (None, 2, None, None, None)
    assert ann["by_currency"] == [{"currency": "EUR", "wins": 1, "won_revenue": D("1000.00")},
                                  {"currency": "USD", "wins": 1, "won_revenue": D("1000.00")}]


def test_channel_revenue_per_currency(sales, models):
    _world(sales)
    (web,) = FollowUpsAndChannelsQueries(SqlReader(*_caught_up(models))).channel_effectiveness({})

    assert (web["channel"], web["won_deals"], web["won_revenue"], web["currency"]) == (
        "web_form", 2, None, None)
    assert web["by_currency"] == [{"currency": "EUR", "won_deals": 1, "won_revenue": D("1000.00")},
                                  {"currency": "USD", "won_deals": 1, "won_revenue": D("1000.00")}]


def test_sales_and_churn_per_currency(sales, models):
    _world(sales)
    q = SalesAndChurnQueries(SqlReader(*_caught_up(models)))

    assert [(r["period"], r["currency"], r["orders"], r["revenue"]) for r in q.sales("month")] == [
        ("2026-11", "EUR", 1, D("20.00")), ("2026-11", "USD", 1, D("30.00"))]
    (acme,) = q.churned(date(2027, 6, 1), 3)
    assert (acme["orders"], acme["revenue"], acme["currency"]) == (2, None, None)
    assert acme["by_currency"] == [{"currency": "EUR", "orders": 1, "revenue": D("20.00")},
                                   {"currency": "USD", "orders": 1, "revenue": D("30.00")}]


def test_http_answers_carry_the_currencies(api):
    _world(api.sales)
    admin = api.token("admin")
    position = api.events()

    def get(path):
        answer = api.client.get(f"{path}{'&' if '?' in path else '?'}min_position={position}",
                                headers=admin)
        assert answer.status_code == 200, answer.text
        return answer.json()

    proposal = next(s for s in get("/v1/funnel")["stages"] if s["stage"] == "proposal")
    assert (proposal["amount"], [(c["currency"], c["amount"]) for c in proposal["by_currency"]]) \
        == (None, [("EUR", "1000.00"), ("USD", "2000.00")])
    forecast = get("/v1/forecast?as_of=2026-11-20")
    assert [c["currency"] for c in forecast["by_currency"]] == ["EUR", "USD"]
    items = get("/v1/performance?period=2026-11")["items"]
    assert [(c["currency"], c["won_revenue"]) for c in items[0]["by_currency"]] == [
        ("EUR", "1000.00"), ("USD", "1000.00")]
    (web,) = get("/v1/activities/channels")["items"]
    assert web["won_revenue"] is None and len(web["by_currency"]) == 2
    assert [r["currency"] for r in get("/v1/reports/sales")["items"]] == ["EUR", "USD"]
    (acme,) = get("/v1/reports/churn?as_of=2027-06-01&months=3")["items"]
    assert (acme["revenue"], len(acme["by_currency"])) == (None, 2)
