"""The forecast as it stood at an instant: the forecasts model's monthly totals, reps and
quotas as they were then, made from the intervals model (``projections.deal_intervals``),
for ``ForecastQueries`` to read in place of the tables now."""

from datetime import date
from typing import Any

import polars as pl

from projections.deal_intervals.as_of import AsOf, Key, Seen
from projections.forecast.projection import PIPELINE_MONTHS, QUOTAS, REPS, WON_MONTHS
from projections.forecast.queries import SUMMED, frame_of

BY_MONTH = ("currency", "month")


def frames_as_of(as_of: AsOf, seen: Seen, product: str | None) -> dict[str, pl.DataFrame]:
    """The tables the forecast reads, as of ``as_of``'s instant, of the deals ``seen``
    keeps; of ``product``'s totals ("" for every deal's). The monthly totals come summed
    by month and currency (``SUMMED``): ``seen`` has already kept the owners, teams and
    region then that the forecast's filters name, so the database adds them up."""
    pipeline = as_of.totals("pipeline", seen, product or "", by=BY_MONTH)
    won = as_of.totals("won", seen, product or "", by=BY_MONTH)
    return {
        PIPELINE_MONTHS.name: frame_of(SUMMED[PIPELINE_MONTHS.name], [
            {**_month_key(key), "deals": deals, "amount": amount, "weighted_x100": weighted}
            for key, (deals, amount, weighted) in pipeline.items()]),
        WON_MONTHS.name: frame_of(SUMMED[WON_MONTHS.name], [
            {**_month_key(key), "deals": deals, "won": amount}
            for key, (deals, amount, _) in won.items()]),
        REPS.name: frame_of(REPS, as_of.reps()),
        QUOTAS.name: frame_of(QUOTAS, as_of.quotas()),
    }


def _month_key(key: Key) -> dict[str, Any]:
    currency, month = key
    year, number = month.split("-")
    return {"month": date(int(year), int(number), 1), "currency": currency}
