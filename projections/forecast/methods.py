"""The projection methods, their backtest, and the choice between them: pure functions over
consecutive monthly revenue, oldest first.

- ``linear_trend``: an ordinary least-squares line revenue = a + b * month, fitted (DuckDB
  ``regr_intercept``/``regr_slope``) on the last 12 months, extended month by month; negative
  values are clipped to 0.
- ``mean_last_3_months`` (the naive baseline): every month ahead is the mean of the last 3.
Both need 3 months, else they project nothing (``None``).

Backtest: rolling origin, one step ahead. Every month t with at least 3 months before it is
forecast from the months before t alone: by the trend (fitted on the at most 12 months before
t) and by the baseline (the mean of the 3 months before t). MAE = mean |actual - forecast|
(cents); MAPE = mean |actual - forecast| / actual over the months with actual > 0 (None when
there are none).

The choice (``choose``): the method with the lower backtest MAE projects; the trend keeps a
tie, and is the default while there is no month to backtest (a series of 3 months).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache
from typing import Any

import duckdb
import polars as pl

METHOD, BASELINE = "linear_trend", "mean_last_3_months"
WINDOW, MIN_MONTHS = 12, 3
CENT = Decimal("0.01")
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


_BOTH = f"SELECT * FROM ({_FIT}) AS fit, ({_BACKTEST}) AS tested"


@cache
def _engine() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB per process: opening one costs ~20 ms, a cursor of it ~1 ms."""
    return duckdb.connect()


def _run(statement: str, revenue: Sequence[Decimal]) -> tuple[Any, ...]:
    series = pl.DataFrame({"t": range(len(revenue)), "y": [float(v) for v in revenue]},
                          schema={"t": pl.Int64, "y": pl.Float64})
    # a cursor is a connection of its own (its own ``series``), safe in any request thread
    with _engine().cursor() as con:
        con.register("series", series)
        return con.execute(statement).fetchone()  # type: ignore[return-value]


@lru_cache(maxsize=1024)
def _fitted_and_tested(revenue: tuple[Decimal, ...]) -> tuple[Any, ...]:
    """The trend's fit (intercept, slope, months) and the backtest's figures, in one run of
    DuckDB (most of its cost is the run, not the dozen months); kept for the series, as a
    forecast asks both of the same series, and every answer as of a month's instants too."""
    return _run(_BOTH, revenue)


def trend_projection(revenue: Sequence[Decimal], horizon: int) -> list[Decimal] | None:
    """The ``horizon`` months after the series, by the linear trend; None if too short."""
    a, b, n = _fitted_and_tested(tuple(revenue))[:3]
    if n < MIN_MONTHS:
        return None
    last = len(revenue) - 1
    return [_round(max(a + b * (last + h), 0.0)) for h in range(1, horizon + 1)]


def naive_projection(revenue: Sequence[Decimal], horizon: int) -> list[Decimal] | None:
    """The ``horizon`` months after the series, each the mean of its last 3 months; None if
    too short."""
    if len(revenue) < MIN_MONTHS:
        return None
    mean = (sum(revenue[-MIN_MONTHS:], Decimal(0)) / MIN_MONTHS).quantize(CENT, ROUND_HALF_UP)
    return [mean] * horizon


def backtest(revenue: Sequence[Decimal]) -> dict[str, Any]:
    """One-step-ahead errors of the method and of the naive baseline, side by side."""
    months, method_mae, naive_mae, method_mape, naive_mape = _fitted_and_tested(
        tuple(revenue))[3:]
    return {"months": months, "baseline": BASELINE,
            "method_mae": _cents(method_mae), "naive_mae": _cents(naive_mae),
            "method_mape": _ratio(method_mape), "naive_mape": _ratio(naive_mape)}


@dataclass(frozen=True)
class Choice:
    method: str
    reason: str


def choose(revenue: Sequence[Decimal], tested: dict[str, Any]) -> Choice:
    """The method to project with, and why (``tested``: the series' ``backtest``)."""
    trend, naive = tested["method_mae"], tested["naive_mae"]
    if len(revenue) < MIN_MONTHS:
        return Choice(METHOD, f"{len(revenue)} complete month(s) of won revenue: "
                              f"{MIN_MONTHS} are needed to project, so nothing is projected")
    if trend is None or naive is None:
        return Choice(METHOD, f"{len(revenue)} complete months of won revenue: too few to "
                              f"backtest ({MIN_MONTHS + 1} needed), so the linear trend by default")
    over = f"over {tested['months']} month(s), each forecast from the months before it"
    if naive < trend:
        return Choice(BASELINE, f"the naive baseline (mean of the last 3 months) backtests "
                                f"better: MAE {naive} against {trend} for the linear trend, {over}")
    if trend < naive:
        return Choice(METHOD, f"the linear trend backtests better: MAE {trend} against {naive} "
                              f"for the naive baseline (mean of the last 3 months), {over}")
    return Choice(METHOD, f"the linear trend and the naive baseline (mean of the last 3 months) "
                          f"backtest alike, MAE {trend} {over}: the trend keeps a tie")


def project(method: str, revenue: Sequence[Decimal], horizon: int) -> list[Decimal] | None:
    """The ``horizon`` months after the series by ``method``."""
    if method == BASELINE:
        return naive_projection(revenue, horizon)
    return trend_projection(revenue, horizon)


def _round(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


def _cents(value: float | None) -> Decimal | None:
    return None if value is None else _round(value)


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
