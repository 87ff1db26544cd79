"""The forecast picks its method by its backtest, keeps history apart from projection, and
shows the quota of the reps in scope (a year from its quarters): exact values computed by hand
from ``forecast_world``'s history, on SQLite and PostgreSQL."""

from datetime import date
from decimal import Decimal as D

import pytest

from infra.bootstrap import read_models as open_read_models
from infra.readside.readstore import SqlReader
from infra.settings import Settings
from projections.forecast.methods import trend_projection
from projections.forecast.projection import ForecastProjection
from projections.forecast.queries import ForecastQueries
from tests.read_models import forecast_world
from tests.read_models.forecast_world import ANN_EUR

JULY_15, AUGUST_20 = date(2026, 7, 15), date(2026, 8, 20)
NAIVE_WINS = ("the naive baseline (mean of the last 3 months) backtests better: MAE 666.67 "
              "against 1333.33 for the linear trend, over 3 month(s), each forecast from the "
              "months before it")
TREND_WINS = ("the linear trend backtests better: MAE 0.00 against 200.00 for the naive "
              "baseline (mean of the last 3 months), over 3 month(s), each forecast from the "
              "months before it")


@pytest.fixture
def models(database_url, sales):
    m = open_read_models(Settings(database_url=database_url), [ForecastProjection()])
    yield m
    m.close()


def _queries(models):
    models.catch_up()
    return ForecastQueries(SqlReader(models.db, models.conn))


def _figures(periods, *keys):
    return {p["period"]: tuple(p[k] for k in keys) for p in periods}


FIGURES = ("kind", "history_won", "projected", "won", "historical")


def test_the_naive_baseline_projects_when_it_backtests_better_and_the_answer_says_so(
        sales, models):
    w = forecast_world.build(sales)
    q = _queries(models)

    f = q.forecast("quarter", rep_id=w.ann, as_of=JULY_15)

    # Backtest, Jan..Jun = 2000, 1000, 3000, 2000, 1000, 3000, one step ahead:
    # Apr: trend of (2000, 1000, 3000) says 3000, naive 2000 -> errors 1000 and 0
    # May: trend (slope 200 over 4 months) 2500, naive 2000 -> 1500 and 1000
    # Jun: trend (slope -100 over 5 months) 1500, naive 2000 -> 1500 and 1000
    assert f["backtest"] == {
        "months": 3, "baseline": "mean_last_3_months", "method_mae": D("1333.33"),
        "naive_mae": D("666.67"), "method_mape": round((0.5 + 1.5 + 0.5) / 3, 4),
        "naive_mape": round((0 + 1 + 1 / 3) / 3, 4), "chosen": "mean_last_3_months"}
    assert (f["method"], f["method_reason"]) == ("mean_last_3_months", NAIVE_WINS)
    # every month ahead: the mean of Apr..Jun = 2000 (the trend would have said 2400 for July)
    assert trend_projection([D(y) for y in ANN_EUR], 1) == [D("2400.00")]
    assert _figures(f["periods"], *FIGURES) == {
        "2026-Q1": ("history", D(6000), None, D(6000), D(6000)),
        "2026-Q2": ("history", D(6000), None, D(6000), D(6000)),
        # July is this month: projected whole; the 500 won on Jul 3 is in won
        "2026-Q3": ("projection", None, D(6000), D(500), D(6000)),
        "2026-Q4": ("projection", None, D(6000), D(0), D(6000)),
    }
    assert f["next_quarter"] == {"period": "2026-Q4", "projected": D(6000)}
    assert f["fiscal_year"] == {"period": "FY2026", "won": D(12000), "projected": D(12000),
                                "total": D(24000)}
    assert [c["method"] for c in f["by_currency"]] == ["mean_last_3_months"]


def test_a_quarter_under_way_shows_its_history_and_its_projection_apart(sales, models):
    w = forecast_world.build(sales)
    q = _queries(models)

    f = q.forecast("quarter", rep_id=w.ann, as_of=AUGUST_20)

    # July (500) has passed: backtested too, trend 2400 against naive 2000 -> errors 1900 and
    # 1500; MAE (1000 + 1500 + 1500 + 1900) / 4 = 1475 against (0 + 1000 + 1000 + 1500) / 4
    assert (f["backtest"]["months"], f["backtest"]["method_mae"], f["backtest"]["naive_mae"]) \
        == (4, D("1475.00"), D("875.00"))
    assert f["method"] == "mean_last_3_months"
    # Aug and Sep: the mean of May, Jun, Jul = (1000 + 3000 + 500) / 3 = 1500 each
    assert _figures(f["periods"], *FIGURES)["2026-Q3"] == (
        "history_and_projection", D(500), D(3000), D(500), D(3500))
    months = q.forecast("month", rep_id=w.ann, as_of=AUGUST_20)["periods"]
    assert [(p["period"], p["kind"], p["history_won"], p["projected"]) for p in months[5:9]] == [
        ("2026-06", "history", D(3000), None), ("2026-07", "history", D(500), None),
        ("2026-08", "projection", None, D(1500)), ("2026-09", "projection", None, D(1500))]


def test_a_year_without_its_own_quota_adds_up_its_quarters_for_a_rep_a_team_and_everyone(
        sales, models):
    w = forecast_world.build(sales)
    q = _queries(models)

    def year(**scope):
        f = q.forecast("year", as_of=JULY_15, **scope)
        (fy,) = [p for p in f["periods"] if p["period"] == "FY2026"]
        return fy["quota"], fy["quota_periods"], f["quota_scope"]

    quarters = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert year(rep_id=w.ann) == (D(22000), quarters,  # 5000 + 5000 + 6000 + 6000
                                  {"level": "rep", "rep_id": w.ann, "team": None, "reps": 1})
    assert year(team="north") == (D(26000), ["FY2026", *quarters],  # Ann's + Mia's 4000
                                  {"level": "team", "rep_id": None, "team": "north", "reps": 2})
    # everyone: Bob's year is his Q1 from its months (3 x 1000) and his Q2 (2000)
    assert year() == (D(31000), ["FY2026", "2026-Q1", "2026-01", "2026-02", "2026-03",
                                 "2026-Q2", "2026-Q3", "2026-Q4"],
                      {"level": "company", "rep_id": None, "team": None, "reps": 3})
    # a region filter narrows the deals, not the quota (quotas are per rep)
    assert year(region="south")[0] == D(31000)
    first = q.forecast("quarter", as_of=JULY_15)["periods"][0]
    assert (first["period"], first["quota"], first["quota_periods"]) == (
        "2026-Q1", D(8000), ["2026-Q1", "2026-01", "2026-02", "2026-03"])
    # a month is never given a share of its quarter's quota
    assert q.forecast("month", rep_id=w.ann, as_of=JULY_15)["periods"][0]["quota"] is None


def test_two_currencies_are_projected_apart_each_by_its_own_better_method(sales, models):
    forecast_world.build(sales, usd=True)
    q = _queries(models)

    f = q.forecast("year", as_of=JULY_15)

    eur, usd = f["by_currency"]
    assert [(c["currency"], c["method"], c["method_reason"]) for c in (eur, usd)] == [
        ("EUR", "mean_last_3_months", NAIVE_WINS), ("USD", "linear_trend", TREND_WINS)]
    assert (f["currency"], f["method"], f["method_reason"]) == (
        None, "per_currency", f"EUR: {NAIVE_WINS}; USD: {TREND_WINS}")
    (fy,) = f["periods"]
    # nothing is added over currencies: the year's money is null, each currency has its own
    assert (fy["kind"], fy["history_won"], fy["projected"], fy["won"], fy["historical"]) == (
        "history_and_projection", None, None, None, None)
    # USD: Jan..Jun 100..600 = 2100; Jul..Dec on the line 700..1200 = 5700
    assert [(c["currency"], c["history_won"], c["projected"], c["won"])
            for c in fy["by_currency"]] == [("EUR", D(12000), D(12000), D(12500)),
                                            ("USD", D(2100), D(5700), D(2100))]
    assert (f["next_quarter"]["projected"], f["fiscal_year"]["total"]) == (None, None)
    assert (eur["next_quarter"]["projected"], usd["next_quarter"]["projected"]) == (
        D(6000), D(3300))  # USD Oct..Dec: 1000 + 1100 + 1200
    assert (usd["fiscal_year"]["won"], usd["fiscal_year"]["total"]) == (D(2100), D(7800))
    assert (f["backtest"]["months"], f["backtest"]["chosen"]) == (None, None)
    assert f["quota"] == D(31000)  # quotas carry no currency: the scope's, as set
