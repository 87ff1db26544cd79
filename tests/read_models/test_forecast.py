"""Forecasts read model: exact rows and forecasts after real commands, on SQLite and PostgreSQL.

The expected projections and backtest errors are recomputed here from first principles
(exact least squares with fractions, the naive mean by hand), not with the module's code.
"""

import random
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import polars as pl
import pytest

from domain.errors import ValidationError
from infra.bootstrap import read_models as open_read_models
from infra.readside.readstore import SqlReader
from infra.service.commands import CommandContext
from infra.settings import Settings
from projections.forecast.methods import backtest, trend_projection
from projections.forecast.projection import (
    PIPELINE,
    PIPELINE_MONTHS,
    QUOTAS,
    REPS,
    WON,
    WON_MONTHS,
    ForecastProjection,
)
from projections.forecast.queries import ForecastQueries, Plan, month_range
from tests.conftest import at

D = Decimal


@pytest.fixture
def models(database_url, sales):
    m = open_read_models(Settings(database_url=database_url), [ForecastProjection()])
    yield m
    m.close()


def on(month, day, year=2026):
    return CommandContext(actor="t", now=datetime(year, month, day, 9, tzinfo=UTC))


def _queries(models):
    models.catch_up()
    return ForecastQueries(SqlReader(models.db, models.conn))


def _team(sales):
    mia = str(sales.reps.hire(on(1, 1), name="Mia", email="mia@example.com", role="manager",
                              team="north", region="north").stream_id)
    ann = str(sales.reps.hire(on(1, 1), name="Ann", email="ann@example.com", role="rep",
                              team="north", region="north", manager_id=mia).stream_id)
    bob = str(sales.reps.hire(on(1, 1), name="Bob", email="bob@example.com", role="rep",
                              team="south", region="south").stream_id)
    acme = str(sales.accounts.open(on(1, 1), name="Acme", region="north", owner_id=ann).stream_id)
    beta = str(sales.accounts.open(on(1, 1), name="Beta", region="south", owner_id=bob).stream_id)
    return mia, ann, bob, acme, beta


def _open(sales, ctx, owner, account, amount, close, products=()):
    return str(sales.opportunities.open(ctx, account_id=account, owner_id=owner,
                                        name=f"deal {amount}", amount=D(amount),
                                        expected_close=close, products=products).stream_id)


def _win(sales, owner, account, amount, month, day):
    deal = _open(sales, on(month, 1), owner, account, amount, date(2026, month, 28))
    sales.opportunities.change_stage(on(month, day), deal, stage="closed_won")
    return deal


# --- exact arithmetic for the expectations ------------------------------------------------
def cents(x):
    x = Fraction(x)
    return (D(x.numerator) / D(x.denominator)).quantize(D("0.01"), ROUND_HALF_UP)


def trend(ys):
    """Exact least-squares line over (index, y) of the last 12 values: t -> max(a + b t, 0)."""
    points = list(enumerate(Fraction(y) for y in ys))[-12:]
    mt = Fraction(sum(t for t, _ in points), len(points))
    my = sum(y for _, y in points) / len(points)
    b = sum((t - mt) * (y - my) for t, y in points) / sum((t - mt) ** 2 for t, _ in points)
    return lambda t: max(my + b * (t - mt), Fraction(0))


def errors(ys):
    """(method error, naive error, actual) for every month with 3 months before it."""
    found = []
    for t in range(3, len(ys)):
        method = trend(ys[:t])(t)
        naive = sum(Fraction(y) for y in ys[t - 3:t]) / 3
        found.append((abs(ys[t] - method), abs(ys[t] - naive), Fraction(ys[t])))
    return found


# --- the projection's rows --------------------------------------------------------------
def test_rows_follow_stage_amount_date_owner_and_wins(sales, models):
    mia, ann, bob, acme, beta = _team(sales)
    d1 = _open(sales, at(2), ann, acme, 10000, date(2026, 12, 15), ["A"])
    d2 = _open(sales, at(2), ann, acme, 20000, date(2027, 1, 20), ["A", "B"])
    d3 = _open(sales, at(3), bob, beta, 5000, date(2026, 12, 1))
    sales.opportunities.change_stage(at(4), d1, stage="proposal")
    sales.opportunities.change_amount(at(5), d1, amount=D("12500.50"))
    sales.opportunities.change_close_date(at(6), d1, expected_close=date(2027, 2, 1))
    sales.opportunities.change_stage(at(7), d2, stage="closed_won")
    sales.opportunities.change_stage(at(8), d3, stage="closed_lost", reason="price")
    sales.reps.move(at(9), bob, team="north", region="east", manager_id=mia)
    sales.reps.set_quota(at(9), ann, period="2026-Q4", amount=D(50000))
    sales.reps.set_quota(at(10), ann, period="2026-Q4", amount=D(60000))
    sales.departure.depart(at(11), ann, successor_id=bob)
    q = _queries(models)

    pipeline = {r["opportunity_id"]: r for r in q._frame(PIPELINE).to_dicts()}
    won = q._frame(WON).to_dicts()
    reps = {r["rep_id"]: (r["team"], r["region"]) for r in q._frame(REPS).to_dicts()}

    def view(d):
        r = pipeline[d]
        return (r["owner_id"], r["products"], r["amount"], r["probability"], r["expected_close"],
                r["open"])

    assert view(d1) == (bob, ["A"], D("12500.50"), 50, date(2027, 2, 1), True)  # handed over
    assert view(d2) == (ann, ["A", "B"], D(20000), 100, date(2027, 1, 20), False)
    assert view(d3) == (bob, [], D(5000), 0, date(2026, 12, 1), False)
    assert won == [{"opportunity_id": d2, "owner_id": ann, "account_id": acme, "region": "north",
                    "amount": D(20000), "won_at": datetime(2026, 11, 7, 9, tzinfo=UTC),
                    "products": ["A", "B"], "currency": "EUR"}]
    # the monthly totals, of every deal ("") and per SKU: d1 alone is open (bob's since the
    # hand-over, moved to February)
    d1_total = {"owner_id": bob, "region": "north", "month": date(2027, 2, 1), "currency": "EUR",
                "deals": 1, "amount": D("12500.50"), "weighted_x100": D("12500.50") * 50}
    assert sorted(q._frame(PIPELINE_MONTHS).to_dicts(), key=lambda r: r["product"]) == [
        {**d1_total, "product": ""}, {**d1_total, "product": "A"}]
    d2_total = {"owner_id": ann, "region": "north", "month": date(2026, 11, 1), "currency": "EUR",
                "deals": 1, "won": D(20000)}
    assert sorted(q._frame(WON_MONTHS).to_dicts(), key=lambda r: r["product"]) == [
        {**d2_total, "product": p} for p in ("", "A", "B")]
    assert reps == {mia: ("north", "north"), ann: ("north", "north"), bob: ("north", "east")}
    assert q._frame(QUOTAS).to_dicts() == [{"rep_id": ann, "period": "2026-Q4",
                                            "amount": D(60000)}]


# --- pipeline-weighted ------------------------------------------------------------------
def _pipeline_world(sales):
    mia, ann, bob, acme, beta = _team(sales)
    d1 = _open(sales, at(2), ann, acme, 10000, date(2026, 12, 15), ["A"])
    d2 = _open(sales, at(2), ann, acme, 20000, date(2027, 1, 20), ["A", "B"])
    d3 = _open(sales, at(3), bob, beta, 40000, date(2027, 2, 10), ["B"])
    d4 = _open(sales, at(3), bob, beta, 5000, date(2026, 12, 1))
    d5 = _open(sales, at(3), bob, beta, 7000, date(2026, 12, 20))
    _open(sales, at(4), ann, acme, "3333.33", date(2026, 12, 31))  # prospecting 10 %
    sales.opportunities.change_stage(at(5), d1, stage="proposal")  # 50 %
    sales.opportunities.change_stage(at(5), d2, stage="negotiation")  # 75 %
    sales.opportunities.change_amount(at(6), d2, amount=D(24000))
    sales.opportunities.change_stage(at(6), d3, stage="qualification")  # 25 %
    sales.opportunities.change_close_date(at(7), d4, expected_close=date(2027, 4, 3))  # 10 %
    sales.opportunities.change_stage(at(8), d5, stage="closed_lost", reason="price")
    return ann, bob


def _weighted(rows):
    return {r["period"]: r["pipeline_weighted"] for r in rows}


def test_monthly_totals_are_the_deals_grouped_after_a_random_history(sales, models):
    """Every change moves a deal's share between totals: after a seeded random history of
    opens (with 0-2 SKUs), stage moves, amount and date changes, owner changes, wins and
    losses, the totals equal the deal rows grouped from scratch."""
    rng = random.Random(19)
    _, ann, bob, acme, beta = _team(sales)
    open_deals: list[str] = []
    for step in range(160):
        ctx = on(1 + step // 14, 1 + step % 14 * 2)
        kind = rng.choice(["open", "open", "stage", "amount", "date", "owner", "close"])
        if kind == "open" or not open_deals:
            open_deals.append(_open(sales, ctx, rng.choice([ann, bob]), rng.choice([acme, beta]),
                                    rng.randrange(1000, 9000), date(2026, rng.randrange(1, 13), 10),
                                    rng.sample(["A", "B", "C"], rng.randrange(0, 3))))
            continue
        deal = rng.choice(open_deals)
        deals = sales.opportunities
        if kind == "stage":
            deals.change_stage(ctx, deal, stage=rng.choice(["qualification", "proposal",
                                                            "negotiation"]))
        elif kind == "amount":
            deals.change_amount(ctx, deal, amount=D(rng.randrange(100, 99999)) / 100)
        elif kind == "date":
            deals.change_close_date(ctx, deal, expected_close=date(2027, rng.randrange(1, 13), 3))
        elif kind == "owner":
            deals.change_owner(ctx, deal, owner_id=rng.choice([ann, bob]))
        else:
            open_deals.remove(deal)
            won = rng.random() < 0.5
            deals.change_stage(ctx, deal, stage="closed_won" if won else "closed_lost",
                               **({} if won else {"reason": "price"}))
    q = _queries(models)
    key = ["owner_id", "region", "product", "month", "currency"]

    def every_deal_and_each_sku(deals):
        """Each deal once with product "" and once per SKU it holds."""
        each_sku = (deals.explode("products").filter(pl.col("products").is_not_null())
                    .rename({"products": "product"}))
        return pl.concat([deals.drop("products").with_columns(pl.lit("").alias("product")),
                          each_sku.select(deals.drop("products").columns + ["product"])])

    grouped = (every_deal_and_each_sku(q._frame(PIPELINE).filter(pl.col("open")))
               .with_columns(pl.col("expected_close").dt.truncate("1mo").alias("month"))
               .group_by(key).agg(pl.len().alias("deals"), pl.col("amount").sum(),
                                  (pl.col("amount") * pl.col("probability")).sum()
                                  .alias("weighted_x100")))
    won = (every_deal_and_each_sku(q._frame(WON))
           .with_columns(pl.col("won_at").dt.date().dt.truncate("1mo").alias("month"))
           .group_by(key).agg(pl.len().alias("deals"), pl.col("amount").sum().alias("won")))

    def rows(frame):
        return sorted((tuple(r.values()) for r in frame.select(frame.columns).to_dicts()), key=str)

    assert len(open_deals) > 5 and len(q._frame(WON)) > 5  # the history exercised both tables
    assert rows(q._frame(PIPELINE_MONTHS)) == rows(grouped.select(q._frame(PIPELINE_MONTHS).columns))
    assert rows(q._frame(WON_MONTHS)) == rows(won.select(q._frame(WON_MONTHS).columns))


def test_pipeline_weighted_by_month_quarter_and_year(sales, models):
    _pipeline_world(sales)
    q = _queries(models)

    months = q.pipeline("month")

    assert [{k: v for k, v in m.items() if k != "currency"} for m in months] == [
        {"period": "2026-12", "count": 2, "amount": D("13333.33"), "pipeline_weighted": D("5333.33")},
        {"period": "2027-01", "count": 1, "amount": D("24000.00"), "pipeline_weighted": D("18000.00")},
        {"period": "2027-02", "count": 1, "amount": D("40000.00"), "pipeline_weighted": D("10000.00")},
        {"period": "2027-04", "count": 1, "amount": D("5000.00"), "pipeline_weighted": D("500.00")},
    ]
    assert _weighted(q.pipeline("quarter")) == {"2026-Q4": D("5333.33"), "2027-Q1": D("28000.00"),
                                                "2027-Q2": D("500.00")}
    assert _weighted(q.pipeline("year")) == {"FY2026": D("5333.33"), "FY2027": D("28500.00")}


def test_pipeline_filters_by_rep_team_region_and_product(sales, models):
    ann, bob = _pipeline_world(sales)
    q = _queries(models)

    assert _weighted(q.pipeline(rep_id=ann)) == {"2026-12": D("5333.33"), "2027-01": D("18000.00")}
    assert _weighted(q.pipeline("quarter", team="south")) == {"2027-Q1": D("10000.00"),
                                                              "2027-Q2": D("500.00")}
    assert _weighted(q.pipeline("year", region="north")) == {"FY2026": D("5333.33"),
                                                             "FY2027": D("18000.00")}
    assert _weighted(q.pipeline(product="B")) == {"2027-01": D("18000.00"), "2027-02": D("10000.00")}
    assert q.pipeline(rep_id=bob, product="A") == []
    with pytest.raises(ValidationError, match="period"):
        q.pipeline("week")


# --- historical, projection, backtest ---------------------------------------------------
def _history_world(sales):
    """Won: Jan 1000, Feb 1500 + 300 (Bob), Mar none, Apr 2500, May 2200, Jun 3000, Jul 999."""
    mia, ann, bob, acme, beta = _team(sales)
    for amount, month, day in ((1000, 1, 20), (1500, 2, 10), (2500, 4, 30), (1200, 5, 2),
                               (1000, 5, 31), (3000, 6, 15), (999, 7, 3)):
        _win(sales, ann, acme, amount, month, day)
    _win(sales, bob, beta, 300, 2, 27)
    for amount, close, stage in ((8000, date(2026, 8, 20), "proposal"),
                                 (6000, date(2027, 2, 1), "negotiation")):
        deal = _open(sales, on(6, 1), ann, acme, amount, close)
        sales.opportunities.change_stage(on(6, 2), deal, stage=stage)
    for rep, period, amount in ((ann, "2026-Q1", 3000), (ann, "2026-Q3", 9000),
                                (ann, "2026-Q4", 12000), (ann, "2026-07", 2500),
                                (mia, "2026-Q3", 1000), (bob, "2026-Q3", 5000)):
        sales.reps.set_quota(on(6, 30), rep, period=period, amount=D(amount))
    return mia, ann, bob


def test_won_revenue_per_month_projection_and_backtest(sales, models):
    _history_world(sales)
    q = _queries(models)

    h = q.historical(as_of=date(2026, 7, 15))

    ys = [1000, 1800, 0, 2500, 2200, 3000]
    assert h["months"] == [{"month": f"2026-0{i + 1}", "won": D(y).quantize(D("0.01"))}
                           for i, y in enumerate(ys)]
    # least squares over t = 0..5: b = 6850 / 17.5, a = 1750 - 2.5 b
    assert [p["projected"] for p in h["projection"]] == [
        D("3120.00"), D("3511.43"), D("3902.86"), D("4294.29"), D("4685.71"), D("5077.14")]
    assert [p["projected"] for p in h["projection"]] == [cents(trend(ys)(t)) for t in range(6, 12)]
    assert [p["month"] for p in h["projection"]] == [f"2026-{m:02}" for m in range(7, 13)]
    assert h["next_quarter"] == {"period": "2026-Q4", "projected": D("14057.14")}
    assert h["fiscal_year"] == {"period": "FY2026", "won": D("10500.00"),
                                "projected": D("24591.43"), "total": D("35091.43")}
    # Apr: trend of (1000, 1800, 0) gives -66.67, clipped to 0; naive 933.33. May: 2000 vs
    # 1433.33. Jun: 2430 vs 1566.67.
    e = errors(ys)
    assert [(m, n) for m, n, _ in e] == [(2500, Fraction(4700, 3)), (200, Fraction(2300, 3)),
                                         (570, Fraction(4300, 3))]
    assert h["backtest"] == {
        "months": 3, "baseline": "mean_last_3_months",
        "method_mae": D("1090.00"), "naive_mae": D("1255.56"),
        "method_mape": round(float(sum(m / y for m, _, y in e) / 3), 4),
        "naive_mape": round(float(sum(n / y for _, n, y in e) / 3), 4), "chosen": "linear_trend"}
    assert (h["backtest"]["method_mape"], h["backtest"]["naive_mape"]) == (0.427, 0.4843)
    # the trend backtests better (1090.00 < 1255.56), so it projects
    assert (h["method"], h["method_reason"]) == (
        "linear_trend", "the linear trend backtests better: MAE 1090.00 against 1255.56 for the "
        "naive baseline (mean of the last 3 months), over 3 month(s), each forecast from the "
        "months before it")


def test_historical_filters_and_short_history(sales, models):
    _, ann, bob = _history_world(sales)
    q = _queries(models)

    by_bob = q.historical(as_of=date(2026, 7, 15), rep_id=bob)
    early = q.historical(as_of=date(2026, 3, 1))

    assert [(m["month"], m["won"]) for m in by_bob["months"]] == [
        ("2026-02", D("300.00")), ("2026-03", D(0)), ("2026-04", D(0)), ("2026-05", D(0)),
        ("2026-06", D(0))]
    assert by_bob["backtest"]["months"] == 2
    assert [m["won"] for m in q.historical(as_of=date(2026, 7, 15), region="north")["months"]] == [
        D(1000), D(1500), D(0), D(2500), D(2200), D(3000)]
    assert [(m["month"], m["won"]) for m in early["months"]] == [("2026-01", D(1000)),
                                                                 ("2026-02", D(1800))]
    assert early["projection"] == []  # two months are too few for the method
    assert early["next_quarter"] == {"period": "2026-Q2", "projected": None}
    assert early["fiscal_year"] == {"period": "FY2026", "won": D("2800.00"), "projected": None,
                                    "total": None}
    assert early["backtest"] == {"months": 0, "baseline": "mean_last_3_months", "method_mae": None,
                                 "naive_mae": None, "method_mape": None, "naive_mape": None,
                                 "chosen": "linear_trend"}
    assert (early["method"], early["method_reason"]) == (
        "linear_trend", "2 complete month(s) of won revenue: 3 are needed to project, so nothing "
        "is projected")


def _plain(periods):
    """The periods without their figures per currency."""
    return [{k: v for k, v in p.items() if k != "by_currency"} for p in periods]


def test_forecast_per_quarter_for_a_rep_against_quota(sales, models):
    _, ann, _ = _history_world(sales)
    q = _queries(models)

    f = q.forecast("quarter", rep_id=ann, as_of=date(2026, 7, 15))

    ys = [1000, 1500, 0, 2500, 2200, 3000]  # Ann alone
    line = [cents(trend(ys)(t)) for t in range(6, 12)]  # Jul..Dec
    assert line == [D("3160.00"), D("3577.14"), D("3994.29"), D("4411.43"), D("4828.57"),
                    D("5245.71")]
    assert {p["period"]: [b["currency"] for b in p["by_currency"]] for p in f["periods"]} == {
        "2026-Q1": ["EUR"], "2026-Q2": ["EUR"], "2026-Q3": ["EUR"], "2026-Q4": ["EUR"],
        "2027-Q1": ["EUR"]}
    assert (f["currency"], [c["currency"] for c in f["by_currency"]]) == ("EUR", ["EUR"])
    assert _plain(f["periods"]) == [
        {"period": "2026-Q1", "kind": "history", "pipeline_weighted": D(0), "historical": D(2500),
         "won": D(2500), "history_won": D(2500), "projected": None, "quota": D(3000),
         "quota_periods": ["2026-Q1"]},
        {"period": "2026-Q2", "kind": "history", "pipeline_weighted": D(0), "historical": D(7700),
         "won": D(7700), "history_won": D(7700), "projected": None, "quota": None,
         "quota_periods": []},
        # July is this month: projected whole; its 999 won so far are in won
        {"period": "2026-Q3", "kind": "projection", "pipeline_weighted": D(4000),
         "historical": sum(line[:3]), "won": D(999), "history_won": None,
         "projected": sum(line[:3]), "quota": D(9000), "quota_periods": ["2026-Q3"]},
        {"period": "2026-Q4", "kind": "projection", "pipeline_weighted": D(0),
         "historical": sum(line[3:]), "won": D(0), "history_won": None,
         "projected": sum(line[3:]), "quota": D(12000), "quota_periods": ["2026-Q4"]},
        {"period": "2027-Q1", "kind": "projection", "pipeline_weighted": D(4500),
         "historical": None, "won": D(0), "history_won": None, "projected": None,
         "quota": None, "quota_periods": []},  # beyond the projected horizon
    ]
    assert (f["method"], f["quota"]) == ("linear_trend", D(24000))
    assert f["quota_scope"] == {"level": "rep", "rep_id": ann, "team": None, "reps": 1}
    assert f["backtest"]["months"] == 3
    assert f["backtest"]["method_mae"] == cents(sum(m for m, _, _ in errors(ys)) / 3)
    assert f["backtest"]["naive_mae"] == cents(sum(n for _, n, _ in errors(ys)) / 3)
    assert f["fiscal_year"]["total"] == D(10200) + sum(line)


def test_forecast_per_month_and_year_for_a_team_and_for_everyone(sales, models):
    _history_world(sales)
    q = _queries(models)

    months = q.forecast("month", team="north", as_of=date(2026, 7, 15))["periods"]
    years = q.forecast("year", as_of=date(2026, 7, 15))

    july = next(p for p in _plain(months) if p["period"] == "2026-07")
    assert july == {"period": "2026-07", "kind": "projection", "pipeline_weighted": D(0),
                    "historical": D("3160.00"), "won": D(999), "history_won": None,
                    "projected": D("3160.00"), "quota": D(2500), "quota_periods": ["2026-07"]}
    assert [p["period"] for p in months] == [f"2026-{m:02}" for m in range(1, 13)] + ["2027-01",
                                                                                      "2027-02"]
    assert q.forecast("quarter", team="north", as_of=date(2026, 7, 15))["periods"][2]["quota"] == \
        D(10000)  # Ann 9000 + Mia 1000; Bob is in the south
    # everyone: the company's quota, each rep's year from their quarters (none set a year):
    # Ann 3000 + 9000 + 12000 (Q3 holds over her July quota), Mia 1000, Bob 5000
    assert (years["quota"], years["quota_scope"]) == (
        D(30000), {"level": "company", "rep_id": None, "team": None, "reps": 3})
    assert _plain(years["periods"]) == [
        {"period": "FY2026", "kind": "history_and_projection", "pipeline_weighted": D(4000),
         "historical": D("35091.43"), "won": D(11499), "history_won": D(10500),
         "projected": D("24591.43"), "quota": D(30000),
         "quota_periods": ["2026-Q1", "2026-Q3", "2026-Q4"]},
        {"period": "FY2027", "kind": "projection", "pipeline_weighted": D(4500),
         "historical": None, "won": D(0), "history_won": None, "projected": None,
         "quota": None, "quota_periods": []},
    ]


# --- the method alone (pure) ------------------------------------------------------------
def test_trend_projection_extends_the_line_of_the_last_12_months_clipped_at_zero():
    line = [D(100 * k) for k in range(1, 13)]

    assert trend_projection(line, 2) == [D("1300.00"), D("1400.00")]
    assert trend_projection([D(90000), D(1)] + line, 1) == [D("1300.00")]  # older months ignored
    assert trend_projection([D(300), D(200), D(100)], 2) == [D("0.00"), D("0.00")]
    assert trend_projection([D(300), D(200)], 2) is None


def test_backtest_of_a_straight_line_against_the_naive_mean():
    assert backtest([D(100), D(200), D(300), D(400), D(500)]) == {
        "months": 2, "baseline": "mean_last_3_months", "method_mae": D("0.00"),
        "naive_mae": D("200.00"), "method_mape": 0.0, "naive_mape": round((200 / 400 + 200 / 500) / 2, 4)}
    # Zero months count in MAE and are left out of MAPE; the flat fit of (300, 0, 300) is 200.
    assert backtest([D(300), D(0), D(300), D(0)]) == {
        "months": 1, "baseline": "mean_last_3_months", "method_mae": D(200), "naive_mae": D(200),
        "method_mape": None, "naive_mape": None}


def test_plan_projects_to_the_end_of_the_year_or_of_the_next_quarter():
    november = Plan(date(2026, 11, 15))
    may = Plan(date(2026, 5, 31))

    assert november.next_quarter == [date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)]
    assert november.projected_months == month_range(date(2026, 11, 1), date(2027, 3, 1))
    assert len(november.projected_months) == 5
    assert may.next_quarter == [date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1)]
    assert may.projected_months == month_range(date(2026, 5, 1), date(2026, 12, 1))
