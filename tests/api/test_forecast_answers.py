"""HTTP: the forecast a manager reads — history apart from projection, the method its backtest
chose (and why), the quota of the caller's scope (a year from its quarters) — and performance
with the same quota rule; exact values computed by hand from ``forecast_world``'s history
(see tests/read_models/test_forecast_choice_and_quota.py for the arithmetic)."""

from tests.api.query_world import get, qapi_fixture  # noqa: F401 (the qapi fixture)
from tests.conftest import Api
from tests.read_models import forecast_world
from tests.read_models.test_forecast_choice_and_quota import NAIVE_WINS, TREND_WINS

QUARTERS = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]


def _forecast(qapi: Api, headers: dict[str, str], **params: object) -> dict:  # type: ignore[type-arg]
    return get(qapi, "/v1/forecast", headers, as_of="2026-07-15", **params)


def _fy(answer: dict) -> dict:  # type: ignore[type-arg]
    return next(p for p in answer["periods"] if p["period"] == "FY2026")


def test_the_naive_baseline_wins_and_the_answer_says_so(qapi: Api):
    w = forecast_world.build(qapi.sales)

    f = _forecast(qapi, qapi.token("manager", w.mia), period="quarter")

    assert (f["method"], f["method_reason"]) == ("mean_last_3_months", NAIVE_WINS)
    assert {k: f["backtest"][k] for k in ("months", "method_mae", "naive_mae", "chosen")} == {
        "months": 3, "method_mae": "1333.33", "naive_mae": "666.67",
        "chosen": "mean_last_3_months"}
    assert [(p["period"], p["kind"], p["history_won"], p["projected"], p["won"], p["quota"])
            for p in f["periods"]] == [
        ("2026-Q1", "history", "6000.00", None, "6000.00", "5000.00"),
        ("2026-Q2", "history", "6000.00", None, "6000.00", "5000.00"),
        ("2026-Q3", "projection", None, "6000.00", "500.00", "6000.00"),
        ("2026-Q4", "projection", None, "6000.00", "0.00", "6000.00")]
    assert f["next_quarter"] == {"period": "2026-Q4", "projected": "6000.00"}
    assert f["currency"] == "EUR"


def test_the_trend_wins_for_a_straight_line(qapi: Api):
    w = forecast_world.build(qapi.sales, usd=True)

    f = _forecast(qapi, qapi.token("rep", w.bob), period="month")  # Bob: USD alone

    assert (f["currency"], f["method"], f["method_reason"]) == ("USD", "linear_trend", TREND_WINS)
    assert (f["backtest"]["method_mae"], f["backtest"]["naive_mae"]) == ("0.00", "200.00")
    assert [(p["period"], p["kind"], p["history_won"], p["projected"])
            for p in f["periods"][5:8]] == [("2026-06", "history", "600.00", None),
                                            ("2026-07", "projection", None, "700.00"),
                                            ("2026-08", "projection", None, "800.00")]
    assert f["fiscal_year"] == {"period": "FY2026", "won": "2100.00", "projected": "5700.00",
                                "total": "7800.00"}


def test_each_role_sees_the_quota_of_its_scope_a_year_summed_from_quarters(qapi: Api):
    w = forecast_world.build(qapi.sales)
    admin = qapi.token("admin")

    def year(headers: dict[str, str], **params: object) -> tuple:  # type: ignore[type-arg]
        f = _forecast(qapi, headers, period="year", **params)
        scope = f["quota_scope"]
        return _fy(f)["quota"], _fy(f)["quota_periods"], scope["level"], scope["reps"]

    assert year(qapi.token("rep", w.ann)) == ("22000.00", QUARTERS, "rep", 1)
    assert year(qapi.token("rep", w.ann), rep_id=w.bob) == ("22000.00", QUARTERS, "rep", 1)
    # a rep's filters narrow their own scope: never another team's quota
    assert year(qapi.token("rep", w.ann), team="south") == (None, [], "rep", 0)
    assert year(qapi.token("manager", w.mia), team="south") == (
        "26000.00", ["FY2026", *QUARTERS], "team", 2)
    assert year(admin) == ("31000.00", ["FY2026", "2026-Q1", "2026-01", "2026-02", "2026-03",
                                        "2026-Q2", "2026-Q3", "2026-Q4"], "company", 3)
    assert year(admin, team="south") == (
        "5000.00", ["2026-01", "2026-02", "2026-03", "2026-Q2"], "team", 1)
    assert year(qapi.token("auditor"), rep_id=w.ann)[:3] == ("22000.00", QUARTERS, "rep")


def test_performance_takes_a_years_quota_from_its_quarters(qapi: Api):
    w = forecast_world.build(qapi.sales)

    items = get(qapi, "/v1/performance", qapi.token("auditor"), period="FY2026")["items"]

    assert [(r["name"], r["won_revenue"], r["quota"], r["quota_periods"], r["attainment"])
            for r in items] == [
        ("Ann", "12500.00", "22000.00", QUARTERS, "0.5682"),  # 12,500 / 22,000
        ("Bob", "0.00", "5000.00", ["2026-01", "2026-02", "2026-03", "2026-Q2"], "0.0000"),
        ("Mia", "0.00", "4000.00", ["FY2026"], "0.0000")]
    (ann,) = get(qapi, "/v1/performance", qapi.token("rep", w.ann), period="2026-Q1")["items"]
    assert (ann["quota"], ann["quota_periods"], ann["attainment"]) == (
        "5000.00", ["2026-Q1"], "1.2000")


def test_two_currencies_are_never_added(qapi: Api):
    forecast_world.build(qapi.sales, usd=True)

    f = _forecast(qapi, qapi.token("admin"), period="year")

    fy = _fy(f)
    assert (f["currency"], f["method"]) == (None, "per_currency")
    assert (fy["history_won"], fy["projected"], fy["won"], fy["historical"]) == (None,) * 4
    assert [(c["currency"], c["history_won"], c["projected"]) for c in fy["by_currency"]] == [
        ("EUR", "12000.00", "12000.00"), ("USD", "2100.00", "5700.00")]
    assert [(c["currency"], c["method"]) for c in f["by_currency"]] == [
        ("EUR", "mean_last_3_months"), ("USD", "linear_trend")]
    items = get(qapi, "/v1/performance", qapi.token("admin"), period="FY2026")["items"]
    assert [(r["name"], r["currency"], r["won_revenue"]) for r in items][:2] == [
        ("Ann", "EUR", "12500.00"), ("Bob", "USD", "2100.00")]
