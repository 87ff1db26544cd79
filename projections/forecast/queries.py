"""Forecast queries: weighted pipeline, won revenue with its projection, backtest, quota.

The ``forecasts_*`` views are fetched with the connection into polars DataFrames (DuckDB
cannot scan SQLite or PostgreSQL here), joined and filtered with polars; the trend fit and
its backtest run as DuckDB SQL over those frames.

Periods are labelled as quotas are: month ``2026-03``, quarter ``2026-Q1``, year ``FY2026``
(the fiscal year is the calendar year). Filters: ``rep_id`` (the deal's owner), ``team``
(the owner's current team), ``region`` (the account's region), ``product`` (a SKU among the
deal's products). The queries read the model's monthly totals per owner, region, product and
currency (a few rows per rep and month, whatever the number of deals), never the deals.
Amounts of different currencies are never added: the forecast is made for each currency of
the deals alone (``projections.forecast.currencies`` puts the answers together).

Pipeline-weighted: over open deals, sum(amount x probability / 100) by the period of the
expected close date (an open deal whose date has passed stays in that past period).

Won revenue and its projection:
- Series: won revenue (the amount of OpportunityWon) per calendar month of the win (UTC),
  from the first month with a win to the last complete month before ``as_of``'s month;
  months without a win count as 0. History is the months that have passed (before
  ``as_of``'s month); the projection covers every month from ``as_of``'s month to the end of
  the later of the fiscal year and the next quarter.
- Method: ``linear_trend`` or the naive ``mean_last_3_months``, whichever has the lower
  rolling one-step backtest error (MAE) on the series (``projections.forecast.methods``);
  ``method`` names it and ``method_reason`` says why, beside both errors (``backtest``).
- Next quarter: the calendar quarter after ``as_of``'s, the sum of its projected months.
  Fiscal year: won revenue of its complete months plus the projection of the others.
- A period (month, quarter, year) shows ``history_won`` (won revenue of its months that have
  passed), ``projected`` (the projection of its other months; null when a month of them is
  beyond the projection) and ``kind`` (``history``, ``projection`` or
  ``history_and_projection``). ``historical`` (deprecated) is the two added together.

Quota: of the reps in scope — the rep (``rep_id``), the team's current reps (``team``), else
every rep (the company); a region or product filter narrows the deals, not the quota. Each
rep's quota for a period is the one set for it, else the sum of its parts' (a year's quarters,
a quarter's months: ``domain.quotas``); the scope's is the sum over its reps.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl

from domain.errors import RuleViolationError, ValidationError
from domain.quotas import Quota, quota_of, total
from projections.base import Reader, Table
from projections.forecast.currencies import together
from projections.forecast.methods import Choice, backtest, choose, project
from projections.forecast.projection import PIPELINE_MONTHS, QUOTAS, REPS, WON_MONTHS

CENT = Decimal("0.01")
POLARS_TYPES: dict[str, Any] = {
    "text": pl.Utf8, "int": pl.Int64, "bigint": pl.Int64, "numeric": pl.Decimal(38, 6),
    "real": pl.Float64, "bool": pl.Boolean, "date": pl.Date, "timestamp": pl.Datetime("us", "UTC"),
    "json": pl.List(pl.Utf8),
}


# --- calendar ----------------------------------------------------------------------------
def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_range(first: date, last: date) -> list[date]:
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    return [add_months(first, i) for i in range(max(count, 0))]


MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}


def months_in(period: str) -> int:
    if period not in MONTHS_IN:
        raise ValidationError("period", f"{period!r} is not one of month, quarter, year")
    return MONTHS_IN[period]


def whole_periods(first: date, last: date, period: str) -> tuple[date, date]:
    """The first and last months of the periods that hold ``first`` and ``last``."""
    size = months_in(period)

    def start(month: date) -> date:
        return date(month.year, (month.month - 1) // size * size + 1, 1)

    return start(first), add_months(start(last), size - 1)


def period_label(column: pl.Expr, period: str) -> pl.Expr:
    size = months_in(period)
    if size == 1:
        return column.dt.strftime("%Y-%m")
    if size == 3:
        return pl.format("{}-Q{}", column.dt.year(), column.dt.quarter())
    return pl.format("FY{}", column.dt.year())


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


@dataclass(frozen=True)
class History:
    """The complete months' won revenue and the projected months, by first day of month."""

    plan: Plan
    actual: dict[date, Decimal]
    projected: dict[date, Decimal]
    backtest: dict[str, Any]
    choice: Choice

    def projected_sum(self, months: Sequence[date]) -> Decimal | None:
        return sum((self.projected[m] for m in months), Decimal(0)) if self.projected else None

    def fiscal_year(self) -> dict[str, Any]:
        year = self.plan.as_of.year
        won = sum((v for m, v in self.actual.items() if m.year == year), Decimal(0))
        rest = self.projected_sum([m for m in self.plan.projected_months if m.year == year])
        return {"period": f"FY{year}", "won": _money(won), "projected": _money(rest),
                "total": None if rest is None else _money(won + rest)}


def frame_of(table: Table, rows: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """Rows of ``table`` (Python values) as a DataFrame of its columns' types."""
    schema = {c.name: POLARS_TYPES[c.type] for c in table.columns}
    return pl.DataFrame([[row[c.name] for c in table.columns] for row in rows], schema=schema,
                        orient="row")


SUMS = {PIPELINE_MONTHS.name: ("deals", "amount", "weighted_x100"),
        WON_MONTHS.name: ("deals", "won")}
SUMMED = {table.name: Table(table.name, tuple(
    c for c in table.columns if c.name in ("month", "currency", *SUMS[table.name])), key=())
    for table in (PIPELINE_MONTHS, WON_MONTHS)}  # the columns of the sums by month


class ForecastQueries:
    """The forecast from the model's tables now, or from ``frames`` given in their place
    (``projections.forecast.as_of``: the same tables as they stood at an instant). Monthly
    totals are given in the shape of ``SUMMED`` (by month and currency), of the deals the
    filters keep already: only a currency is kept from them."""

    def __init__(self, read: Reader, frames: Mapping[str, pl.DataFrame] | None = None) -> None:
        self.read = read
        self._frames: dict[str, pl.DataFrame] = dict(frames or {})  # one read per table
        self._sums: dict[tuple[str, Filters], pl.DataFrame] = {}

    def _frame(self, table: Table) -> pl.DataFrame:
        if table.name not in self._frames:
            self._frames[table.name] = self._fetch(table)
        return self._frames[table.name]

    def _fetch(self, table: Table) -> pl.DataFrame:
        found = self.read.rows(f"SELECT {', '.join(table.column_names)} FROM {table.name}")
        return frame_of(table, [{c.name: self.read.value(c.type, row[c.name])
                                 for c in table.columns} for row in found])

    def _by_month(self, table: Table, f: Filters) -> pl.DataFrame:
        """Per month and currency, the sums of the totals ``f`` keeps (kept per answer): the
        database adds up the model's tables — a few dozen rows back instead of one per
        owner, region and month — or they are the frames given in their place (as of an
        instant), of which a currency is kept."""
        key = (table.name, f)
        if key not in self._sums:
            given = self._frames.get(table.name)
            if given is None:
                self._sums[key] = self._summed(table, f, SUMS[table.name])
            else:
                self._sums[key] = given.filter(pl.lit(True) if f.currency is None
                                               else pl.col("currency") == f.currency)
        return self._sums[key]

    def _summed(self, table: Table, f: Filters, sums: tuple[str, ...]) -> pl.DataFrame:
        clauses, params = ["t.product = ?"], [f.product or ""]
        for column, value in (("t.owner_id", f.rep_id), ("r.team", f.team),
                              ("t.region", f.region), ("t.currency", f.currency)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        team = (f" JOIN {REPS.name} r ON r.rep_id = t.owner_id" if f.team is not None else "")
        added = ", ".join(f"SUM(t.{c}) AS {c}" if c == "deals"
                          else f"{self.read.exact_sum(f't.{c}')} AS {c}" for c in sums)
        found = self.read.rows(
            f"SELECT t.month, t.currency, {added} FROM {table.name} t{team} "
            f"WHERE {' AND '.join(clauses)} GROUP BY t.month, t.currency", params)
        kinds = {c.name: c.type for c in table.columns}
        return frame_of(SUMMED[table.name], [
            {c: self.read.value(kinds[c], row[c]) if c != "deals" else int(row[c] or 0)
             for c in ("month", "currency", *sums)} for row in found])

    def _pipeline_months(self, f: Filters) -> pl.DataFrame:
        """Per month of expected close and currency: open deals, amount, weighted x 100."""
        return (self._by_month(PIPELINE_MONTHS, f)
                .select("month", "currency", pl.col("deals").alias("count"), "amount",
                        "weighted_x100"))

    def _won_months(self, f: Filters) -> pl.DataFrame:
        """Per month of the win: won revenue (of every currency ``f`` keeps)."""
        return self._by_month(WON_MONTHS, f).group_by("month").agg(pl.col("won").sum())

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
        found = {*self._by_month(PIPELINE_MONTHS, f)["currency"],
                 *self._by_month(WON_MONTHS, f)["currency"]}
        return sorted(c for c in found if c is not None)

    def _history(self, as_of: date, f: Filters) -> History:
        plan = Plan(as_of)
        won = {r["month"]: r["won"] for r in self._won_months(f).to_dicts()}
        past = [m for m in won if m < plan.current]
        series = month_range(min(past), add_months(plan.current, -1)) if past else []
        actual = {m: won.get(m, Decimal(0)) for m in series}
        values = list(actual.values())
        tested = backtest(values)
        choice = choose(values, tested)
        projection = project(choice.method, values, len(plan.projected_months)) or []
        return History(plan, actual, dict(zip(plan.projected_months, projection, strict=False)),
                       {**tested, "chosen": choice.method}, choice)

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
            "as_of": h.plan.as_of, **_method(h),
            "months": [{"month": m.strftime("%Y-%m"), "won": _money(v)} for m, v in h.actual.items()],
            "projection": [{"month": m.strftime("%Y-%m"), "projected": v}
                           for m, v in h.projected.items()],
            "next_quarter": _next_quarter(h), "fiscal_year": h.fiscal_year(), "backtest": h.backtest,
        }

    def _monthly(self, h: History, f: Filters, period: str) -> pl.DataFrame:
        """Every month of the periods from the first fact to the last: weighted pipeline, won,
        won in the months passed (``history``), the projection of the others."""
        pipeline = (self._pipeline_months(f).group_by("month")
                    .agg(pl.col("weighted_x100").sum()))
        won = self._won_months(f)
        known = [*h.plan.projected_months, *h.actual, *pipeline["month"], *won["month"]]
        months = month_range(*whole_periods(min(known), max(known), period))
        now = h.plan.current
        frame = pl.DataFrame(
            {"month": months, "passed": [m < now for m in months],
             "history": [h.actual.get(m, Decimal(0)) if m < now else None for m in months],
             "projected": [None if m < now else h.projected.get(m) for m in months]},
            schema={"month": pl.Date, "passed": pl.Boolean, "history": POLARS_TYPES["numeric"],
                    "projected": POLARS_TYPES["numeric"]})
        return (frame.join(pipeline, on="month", how="left").join(won, on="month", how="left")
                .with_columns(pl.col("weighted_x100").fill_null(0), pl.col("won").fill_null(0)))

    def _quota_reps(self, f: Filters) -> tuple[dict[str, Any], list[str]]:
        """Whose quotas count: the scope (``level``: rep, team or company) and its reps."""
        reps = self._frame(REPS)
        if f.rep_id is not None:
            reps = reps.filter(pl.col("rep_id") == f.rep_id)
        if f.team is not None:
            reps = reps.filter(pl.col("team") == f.team)
        level = "rep" if f.rep_id is not None else "team" if f.team is not None else "company"
        ids = sorted(reps["rep_id"])
        return {"level": level, "rep_id": f.rep_id, "team": f.team, "reps": len(ids)}, ids

    def _quotas(self, reps: Sequence[str]) -> dict[str, dict[str, Decimal]]:
        """Per rep: the quotas as set, by period."""
        found: dict[str, dict[str, Decimal]] = {rep: {} for rep in reps}
        for row in self._frame(QUOTAS).filter(pl.col("rep_id").is_in(list(reps))).to_dicts():
            found[row["rep_id"]][row["period"]] = row["amount"]
        return found

    def forecast(self, period: str = "month", *, rep_id: str | None = None,
                 team: str | None = None, region: str | None = None, product: str | None = None,
                 as_of: date | None = None) -> dict[str, Any]:
        """Per period: weighted pipeline, won revenue (history), projection, won so far and
        quota; made for each currency of the deals alone, then put together (``by_currency``)."""
        f = Filters(rep_id, team, region, product)
        day = as_of or _today()
        parts = {c: self._forecast_in(period, replace(f, currency=c), day)
                 for c in self.currencies(f)}
        empty = self._forecast_in(period, f, day) if not parts else None
        scope, reps = self._quota_reps(f)
        quotas = self._quotas(reps).values()

        def quota(label: str) -> Quota | None:
            return total(quota_of(label, set_quotas) for set_quotas in quotas)

        return {**together(period, day, parts, empty, quota), "quota_scope": scope}

    def _forecast_in(self, period: str, f: Filters, as_of: date) -> dict[str, Any]:
        """The forecast of the deals ``f`` keeps (of one currency, or none at all)."""
        h = self._history(as_of, f)
        grouped = (self._monthly(h, f, period)
                   .group_by(period_label(pl.col("month"), period).alias("period"), maintain_order=True)
                   .agg(pl.col("weighted_x100").sum(), pl.col("won").sum(), *_split()))
        periods = [{"period": r["period"], "kind": r["kind"],
                    "pipeline_weighted": _money(r["weighted_x100"] / 100),
                    "historical": _historical(r),
                    "won": _money(r["won"]), "history_won": _money(r["history_won"]),
                    "projected": _money(r["projected"])}
                   for r in grouped.to_dicts()]
        return {**_method(h), "periods": periods, "backtest": h.backtest,
                "next_quarter": _next_quarter(h), "fiscal_year": h.fiscal_year()}


def _split() -> list[pl.Expr]:
    """A period's months apart: won in those passed, the projection of the others, the kind."""
    passed, unknown = pl.col("passed"), pl.lit(None, POLARS_TYPES["numeric"])
    ahead = pl.col("projected").filter(~passed)
    return [
        pl.when(passed.any()).then(pl.col("history").filter(passed).sum())
        .otherwise(unknown).alias("history_won"),
        pl.when(passed.all() | ahead.is_null().any()).then(unknown)
        .otherwise(ahead.sum()).alias("projected"),
        pl.when(passed.all()).then(pl.lit("history"))
        .when(passed.any()).then(pl.lit("history_and_projection"))
        .otherwise(pl.lit("projection")).alias("kind"),
    ]


def _historical(row: dict[str, Any]) -> Decimal | None:
    """The deprecated ``historical``: won in the months passed plus the projection of the
    others; null when a month ahead has no projection."""
    if row["kind"] == "history":
        return _money(row["history_won"])
    if row["projected"] is None:
        return None
    return _money((row["history_won"] or Decimal(0)) + row["projected"])


def _method(h: History) -> dict[str, str]:
    return {"method": h.choice.method, "method_reason": h.choice.reason}


def _next_quarter(h: History) -> dict[str, Any]:
    first = h.plan.next_quarter[0]
    return {"period": f"{first.year}-Q{(first.month - 1) // 3 + 1}",
            "projected": _money(h.projected_sum(h.plan.next_quarter))}


def _today() -> date:
    return datetime.now(UTC).date()


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT, ROUND_HALF_UP)
