"""Forecast queries: weighted pipeline, won revenue with its projection, backtest, quota.

The ``forecasts_*`` views are fetched with the connection into polars DataFrames (DuckDB
cannot scan SQLite or PostgreSQL here), joined and filtered with polars; the trend fit and
its backtest run as DuckDB SQL over those frames.

Periods are labelled as quotas are: month ``2026-03``, quarter ``2026-Q1``, year ``FY2026``
(the fiscal year is the calendar year). Filters: ``rep_id`` (the deal's owner), ``team``
(the owner's current team), ``region`` (the account's region), ``product`` (a SKU among the
deal's products). Amounts of different currencies are never added: the forecast is made
for each currency of the deals alone (``forecast_currencies`` puts the answers together).

Pipeline-weighted: over open deals, sum(amount x probability / 100) by the period of the
expected close date (an open deal whose date has passed stays in that past period).

Historical, method ``linear_trend``:
- Series: won revenue (the amount of OpportunityWon) per calendar month of the win (UTC),
  from the first month with a win to the last complete month before ``as_of``'s month;
  months without a win count as 0.
- Projection: an ordinary least-squares line revenue = a + b * month, fitted (DuckDB
  ``regr_intercept``/``regr_slope``) on the last 12 months of the series, extended to every
  month from ``as_of``'s month to the end of the later of the fiscal year and the next
  quarter; negative values are clipped to 0. It needs 3 months of series, else it projects
  nothing (``None``).
- Next quarter: the calendar quarter after ``as_of``'s, the sum of its projected months.
  Fiscal year: won revenue of its complete months plus the projection of the others.
- Backtest: rolling origin, one step ahead. Every month t of the series with at least 3
  months before it is forecast from the months before t alone: by the method (fitted on the
  at most 12 months before t) and by the naive baseline ``mean_last_3_months`` (the mean of
  the 3 months before t). MAE = mean |actual - forecast| (cents); MAPE = mean
  |actual - forecast| / actual over the months with actual > 0 (None when there are none).
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb
import polars as pl

from domain.errors import RuleViolationError, ValidationError
from projections.base import Reader, Table
from projections.forecast.currencies import together
from projections.forecast.projection import ACCOUNTS, PIPELINE, QUOTAS, REPS, WON

METHOD, BASELINE = "linear_trend", "mean_last_3_months"
WINDOW, MIN_MONTHS = 12, 3
CENT = Decimal("0.01")
POLARS_TYPES: dict[str, Any] = {
    "text": pl.Utf8, "int": pl.Int64, "bigint": pl.Int64, "numeric": pl.Decimal(38, 6),
    "real": pl.Float64, "bool": pl.Boolean, "date": pl.Date, "timestamp": pl.Datetime("us", "UTC"),
    "json": pl.List(pl.Utf8),
}
_FIT = f"""SELECT regr_intercept(y, t), regr_slope(y, t), count(*)
           FROM (SELECT t, y FROM series ORDER BY t DESC LIMIT {WINDOW})"""
_BACKTEST = f"""
WITH f AS (
  SELECT t, y, count(y) OVER w AS n,
         greatest(regr_intercept(y, t) OVER w + regr_slope(y, t) OVER w * t, 0) AS method,
         avg(y) OVER (ORDER BY t ROWS BETWEEN {MIN_MONTHS} PRECEDING AND 1 PRECEDING) AS naive
  FROM series WINDOW w AS (ORDER BY t ROWS BETWEEN {WINDOW} PRECEDING AND 1 PRECEDING))
SELECT count(*), avg(abs(y - method)), avg(abs(y - naive)),
       avg(abs(y - method) / y) FILTER (WHERE y > 0), avg(abs(y - naive) / y) FILTER (WHERE y > 0)
FROM f WHERE n >= {MIN_MONTHS}"""


# --- the method: pure functions over consecutive monthly revenue, oldest first ---------------
def _run(statement: str, revenue: Sequence[Decimal]) -> tuple[Any, ...]:
    series = pl.DataFrame({"t": range(len(revenue)), "y": [float(v) for v in revenue]},
                          schema={"t": pl.Int64, "y": pl.Float64})
    with duckdb.connect() as con:
        con.register("series", series)
        return con.execute(statement).fetchone()  # type: ignore[return-value]


def trend_projection(revenue: Sequence[Decimal], horizon: int) -> list[Decimal] | None:
    """The ``horizon`` months after the series, by the linear trend; None if too short."""
    a, b, n = _run(_FIT, revenue)
    if n < MIN_MONTHS:
        return None
    last = len(revenue) - 1
    return [_round(max(a + b * (last + h), 0.0)) for h in range(1, horizon + 1)]


def backtest(revenue: Sequence[Decimal]) -> dict[str, Any]:
    """One-step-ahead errors of the method and of the naive baseline, side by side."""
    months, method_mae, naive_mae, method_mape, naive_mape = _run(_BACKTEST, revenue)
    return {"months": months, "baseline": BASELINE,
            "method_mae": _cents(method_mae), "naive_mae": _cents(naive_mae),
            "method_mape": _ratio(method_mape), "naive_mape": _ratio(naive_mape)}


# --- calendar ----------------------------------------------------------------------------
def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_range(first: date, last: date) -> list[date]:
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    return [add_months(first, i) for i in range(max(count, 0))]


def period_label(column: pl.Expr, period: str) -> pl.Expr:
    if period == "month":
        return column.dt.strftime("%Y-%m")
    if period == "quarter":
        return pl.format("{}-Q{}", column.dt.year(), column.dt.quarter())
    if period == "year":
        return pl.format("FY{}", column.dt.year())
    raise ValidationError("period", f"{period!r} is not one of month, quarter, year")


@dataclass(frozen=True)
class Plan:
    """The months that ``as_of`` makes past, current and projected."""

    as_of: date

    @property
    def current(self) -> date:
        return self.as_of.replace(day=1)

    @property
    def next_quarter(self) -> list[date]:
        first = add_months(date(self.as_of.year, (self.as_of.month - 1) // 3 * 3 + 1, 1), 3)
        return month_range(first, add_months(first, 2))

    @property
    def projected_months(self) -> list[date]:
        return month_range(self.current, max(date(self.as_of.year, 12, 1), self.next_quarter[-1]))


@dataclass(frozen=True)
class Filters:
    rep_id: str | None = None
    team: str | None = None
    region: str | None = None
    product: str | None = None
    currency: str | None = None

    def predicate(self) -> pl.Expr:
        found = pl.lit(True)
        for column, value in (("owner_id", self.rep_id), ("team", self.team),
                              ("region", self.region), ("currency", self.currency)):
            if value is not None:
                found &= pl.col(column) == value
        if self.product is not None:
            found &= pl.col("products").list.contains(self.product)
        return found


@dataclass(frozen=True)
class History:
    """The complete months' won revenue and the projected months, by first day of month."""

    plan: Plan
    actual: dict[date, Decimal]
    projected: dict[date, Decimal]
    backtest: dict[str, Any]

    def projected_sum(self, months: Sequence[date]) -> Decimal | None:
        return sum((self.projected[m] for m in months), Decimal(0)) if self.projected else None

    def fiscal_year(self) -> dict[str, Any]:
        year = self.plan.as_of.year
        won = sum((v for m, v in self.actual.items() if m.year == year), Decimal(0))
        rest = self.projected_sum([m for m in self.plan.projected_months if m.year == year])
        return {"period": f"FY{year}", "won": _money(won), "projected": _money(rest),
                "total": None if rest is None else _money(won + rest)}


class ForecastQueries:
    def __init__(self, read: Reader) -> None:
        self.read = read
        self._frames: dict[str, pl.DataFrame] = {}  # one read per table and answer

    def _frame(self, table: Table) -> pl.DataFrame:
        if table.name not in self._frames:
            self._frames[table.name] = self._fetch(table)
        return self._frames[table.name]

    def _fetch(self, table: Table) -> pl.DataFrame:
        found = self.read.rows(f"SELECT {', '.join(table.column_names)} FROM {table.name}")
        rows = [[self.read.value(c.type, row[c.name]) for c in table.columns] for row in found]
        schema = {c.name: POLARS_TYPES[c.type] for c in table.columns}
        return pl.DataFrame(rows, schema=schema, orient="row")

    def _deals(self, table: Table, f: Filters) -> pl.DataFrame:
        """The table's deals with their owner's team and their account's region, filtered."""
        teams = self._frame(REPS).select("rep_id", "team")
        return (self._frame(table)
                .join(teams, left_on="owner_id", right_on="rep_id", how="left")
                .join(self._frame(ACCOUNTS), on="account_id", how="left")
                .filter(f.predicate()))

    def _pipeline_months(self, f: Filters) -> pl.DataFrame:
        """Per month of expected close and currency: open deals, amount, weighted x 100."""
        return (self._deals(PIPELINE, f).filter(pl.col("open"))
                .group_by(pl.col("expected_close").dt.truncate("1mo").alias("month"), "currency")
                .agg(pl.len().alias("count"), pl.col("amount").sum(),
                     (pl.col("amount") * pl.col("probability")).sum().alias("weighted_x100")))

    def _won_months(self, f: Filters) -> pl.DataFrame:
        return (self._deals(WON, f)
                .group_by(pl.col("won_at").dt.date().dt.truncate("1mo").alias("month"))
                .agg(pl.col("amount").sum().alias("won")))

    def pipeline(self, period: str = "month", *, rep_id: str | None = None,
                 team: str | None = None, region: str | None = None,
                 product: str | None = None) -> list[dict[str, Any]]:
        """Per period of expected close and currency: open deals, their amount and weighted
        amount."""
        label = period_label(pl.col("month"), period)
        grouped = (self._pipeline_months(Filters(rep_id, team, region, product))
                   .group_by(label.alias("period"), "currency")
                   .agg(pl.col("count").sum(), pl.col("amount").sum(), pl.col("weighted_x100").sum())
                   .sort("period", "currency"))
        return [{"period": r["period"], "currency": r["currency"], "count": r["count"],
                 "amount": _money(r["amount"]), "pipeline_weighted": _money(r["weighted_x100"] / 100)}
                for r in grouped.to_dicts()]

    def currencies(self, f: Filters) -> list[str]:
        """The currencies of the open and won deals the filters keep, by code."""
        found = {*self._deals(PIPELINE, f).filter(pl.col("open"))["currency"],
                 *self._deals(WON, f)["currency"]}
        return sorted(c for c in found if c is not None)

    def _history(self, as_of: date, f: Filters) -> History:
        plan = Plan(as_of)
        won = {r["month"]: r["won"] for r in self._won_months(f).to_dicts()}
        past = [m for m in won if m < plan.current]
        series = month_range(min(past), add_months(plan.current, -1)) if past else []
        actual = {m: won.get(m, Decimal(0)) for m in series}
        values = list(actual.values())
        projection = trend_projection(values, len(plan.projected_months)) or []
        return History(plan, actual, dict(zip(plan.projected_months, projection, strict=False)),
                       backtest(values))

    def historical(self, as_of: date | None = None, *, rep_id: str | None = None,
                   team: str | None = None, region: str | None = None,
                   product: str | None = None, currency: str | None = None) -> dict[str, Any]:
        """Won revenue per complete month, its projection, and the backtest of the method,
        in one currency: ``currency``, else the deals' only one (409 when there are several)."""
        f = Filters(rep_id, team, region, product, currency)
        if currency is None and len(self.currencies(f)) > 1:
            raise RuleViolationError("currency", "the deals are in several currencies: name one")
        h = self._history(as_of or _today(), f)
        return {
            "as_of": h.plan.as_of, "method": METHOD,
            "months": [{"month": m.strftime("%Y-%m"), "won": _money(v)} for m, v in h.actual.items()],
            "projection": [{"month": m.strftime("%Y-%m"), "projected": v}
                           for m, v in h.projected.items()],
            "next_quarter": _next_quarter(h), "fiscal_year": h.fiscal_year(), "backtest": h.backtest,
        }

    def _monthly(self, h: History, f: Filters) -> pl.DataFrame:
        """Every month from the first fact to the last: weighted pipeline, won, historical."""
        pipeline = (self._pipeline_months(f).group_by("month")
                    .agg(pl.col("weighted_x100").sum()))
        won = self._won_months(f)
        known = [*h.plan.projected_months, *h.actual, *pipeline["month"], *won["month"]]
        months = month_range(min(known), max(known))
        historical = [h.actual.get(m, Decimal(0)) if m < h.plan.current else h.projected.get(m)
                      for m in months]
        frame = pl.DataFrame({"month": months, "historical": historical},
                             schema={"month": pl.Date, "historical": POLARS_TYPES["numeric"]})
        return (frame.join(pipeline, on="month", how="left").join(won, on="month", how="left")
                .with_columns(pl.col("weighted_x100").fill_null(0), pl.col("won").fill_null(0)))

    def _quotas(self, f: Filters) -> dict[str, Decimal] | None:
        """Quota per period label of the chosen rep or the team's current reps; None if neither."""
        if f.rep_id is None and f.team is None:
            return None
        reps = self._frame(REPS)
        if f.rep_id is not None:
            reps = reps.filter(pl.col("rep_id") == f.rep_id)
        if f.team is not None:
            reps = reps.filter(pl.col("team") == f.team)
        quotas = (self._frame(QUOTAS).join(reps.select("rep_id"), on="rep_id", how="semi")
                  .group_by("period").agg(pl.col("amount").sum()))
        return {r["period"]: r["amount"] for r in quotas.to_dicts()}

    def forecast(self, period: str = "month", *, rep_id: str | None = None,
                 team: str | None = None, region: str | None = None, product: str | None = None,
                 as_of: date | None = None) -> dict[str, Any]:
        """Per period: weighted pipeline, historical (won, then projected), won so far, quota;
        made for each currency of the deals alone, then put together (``by_currency``)."""
        f = Filters(rep_id, team, region, product)
        day = as_of or _today()
        parts = {c: self._forecast_in(period, replace(f, currency=c), day)
                 for c in self.currencies(f)}
        empty = self._forecast_in(period, f, day) if not parts else None
        return {**together(period, day, parts, empty, self._quotas(f)), "method": METHOD}

    def _forecast_in(self, period: str, f: Filters, as_of: date) -> dict[str, Any]:
        """The forecast of the deals ``f`` keeps (of one currency, or none at all)."""
        h = self._history(as_of, f)
        unknown = pl.lit(None, POLARS_TYPES["numeric"])
        grouped = (self._monthly(h, f)
                   .group_by(period_label(pl.col("month"), period).alias("period"), maintain_order=True)
                   .agg(pl.col("weighted_x100").sum(), pl.col("won").sum(),
                        pl.when(pl.col("historical").is_null().any()).then(unknown)
                        .otherwise(pl.col("historical").sum()).alias("historical")))
        periods = [{"period": r["period"], "pipeline_weighted": _money(r["weighted_x100"] / 100),
                    "historical": _money(r["historical"]), "won": _money(r["won"])}
                   for r in grouped.to_dicts()]
        return {"periods": periods, "backtest": h.backtest, "next_quarter": _next_quarter(h),
                "fiscal_year": h.fiscal_year()}


def _next_quarter(h: History) -> dict[str, Any]:
    first = h.plan.next_quarter[0]
    return {"period": f"{first.year}-Q{(first.month - 1) // 3 + 1}",
            "projected": _money(h.projected_sum(h.plan.next_quarter))}


def _today() -> date:
    return datetime.now(UTC).date()


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT, ROUND_HALF_UP)


def _round(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


def _cents(value: float | None) -> Decimal | None:
    return None if value is None else _round(value)


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
