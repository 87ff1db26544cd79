"""The Forecast page's own arithmetic: which period holds a day, what a column stands for."""

from datetime import date
from decimal import Decimal

from api.console.forecast import PeriodRow, chart, current_period
from projections.forecast.answers import PeriodMoney


def money(history_won: str | None, projected: str | None) -> PeriodMoney:
    return PeriodMoney(period="2026-Q4", kind="history_and_projection", pipeline_weighted=None,
                       historical=None, won=None,
                       history_won=None if history_won is None else Decimal(history_won),
                       projected=None if projected is None else Decimal(projected))


def test_the_period_holding_a_day_is_named_as_the_api_names_periods():
    assert current_period("month", date(2026, 3, 31)) == "2026-03"
    assert [current_period("quarter", date(2026, m, 1)) for m in (1, 3, 4, 12)] == [
        "2026-Q1", "2026-Q1", "2026-Q2", "2026-Q4"]
    assert current_period("year", date(2027, 1, 1)) == "FY2027"


def test_a_column_is_won_plus_projected_and_nothing_beyond_the_projection():
    assert PeriodRow(money("338000.00", "136000.00"), None).expected == Decimal("474000.00")
    assert PeriodRow(money(None, "87.50"), None).expected == Decimal("87.50")
    assert PeriodRow(money(None, None), Decimal(5)).expected is None


def test_the_quota_is_drawn_only_when_asked_and_written_in_the_currency():
    rows = [PeriodRow(money("100", None), Decimal(200)), PeriodRow(money(None, None), None)]
    drawn, plain = chart("EUR", rows, with_quota=True), chart("EUR", rows, with_quota=False)
    assert drawn.count('class="marker"') == 1 and "target €\u00a0200.00" in drawn
    assert 'class="marker"' not in plain
    assert "2026-Q4: —" in drawn  # a period beyond the projection has no column value
