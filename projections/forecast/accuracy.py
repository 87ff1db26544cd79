"""Forecast accuracy: what the forecast said for a period at its start and at the start of each
month inside it, beside what was won in it — per rep, per team and for the whole scope, per
currency (never added across).

At each checkpoint the *expected* revenue of the period is what it had won so far plus its
weighted pipeline then (the open deals closing in the period, amount x probability), both from
the intervals model as they stood (``projections.deal_intervals.as_of``); a rep's figures are
those of the deals they owned then. What was won is the period's wins (by the owner when won)
up to its end, or up to now while it runs. ``error`` is expected - won, ``error_percent`` that
over won. A team's rows add up its reps' (the rep's team at the period's start); the scope's
add up every rep's it keeps.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domain.quotas import days_of, kind_of, months_of
from projections.base import Reader
from projections.deal_intervals.as_of import AsOf, Seen
from projections.deal_intervals.queries import rep_names
from projections.forecast.as_of import frames_as_of
from projections.forecast.queries import ForecastQueries

CENT = Decimal("0.01")
Figures = dict[tuple[str, str], Decimal]  # (owner, currency) -> amount


@dataclass(frozen=True)
class Checkpoint:
    at: datetime
    won: Figures
    pipeline: Figures
    said: dict[str, Any]  # the forecast's own answer for the period then


def checkpoints(period: str, now: datetime) -> list[datetime]:
    """The period's start and the start of each month inside it, up to now."""
    found = []
    for month in months_of(period):
        year, number = (int(x) for x in month.split("-"))
        start = datetime.combine(date(year, number, 1), time(), UTC)
        if start <= now:
            found.append(start)
    return found


def accuracy(read: Reader, period: str, now: datetime, seen_at: Callable[[AsOf], Seen],
             rep_id: str | None = None, team: str | None = None) -> dict[str, Any]:
    """The forecast's checkpoints for ``period`` beside its wins, of the deals ``seen_at``
    keeps at each instant; per rep, team and the whole scope, and what the forecast of
    ``rep_id``'s or ``team``'s scope said at each."""
    months = set(months_of(period))
    first, after = days_of(period)
    end = min(datetime.combine(after, time(), UTC), now)
    points = [_checkpoint(AsOf(read, at), seen_at, months, period, rep_id, team)
              for at in checkpoints(period, now)]
    at_end = AsOf(read, end)
    won = _sum(at_end.totals("won", seen_at(at_end), ""), months, 1)
    teams = {r["rep_id"]: r["team"] for r in at_end.reps()}
    teams.update({r["rep_id"]: r["team"] for r in AsOf(read, datetime.combine(
        first, time(), UTC)).reps()})
    names = rep_names(read)
    rows = _rows(points, won, lambda owner: ("rep", owner, teams.get(owner)))
    rows += _rows(points, won, lambda owner: ("team", None, teams.get(owner)))
    rows += _rows(points, won, lambda owner: ("scope", None, None))
    for row in rows:
        row["rep_name"] = names.get(row["rep_id"] or "")
    return {"period": period, "won_until": end,
            "closed": now >= datetime.combine(after, time(), UTC),
            "checkpoints": [p.at for p in points], "items": rows,
            "said": [p.said for p in points]}


def _checkpoint(as_of: AsOf, seen_at: Callable[[AsOf], Seen], months: set[str], period: str,
                rep_id: str | None, team: str | None) -> Checkpoint:
    """The figures at one checkpoint; the forecast reads the same totals (``AsOf`` keeps
    them), so they are read once."""
    seen = seen_at(as_of)
    answer = ForecastQueries(as_of.read, frames_as_of(as_of, seen, None)).forecast(
        kind_of(period), rep_id=rep_id, team=team, as_of=as_of.at.date())
    said = {"at": as_of.at, "method": answer["method"],
            "period": next((p for p in answer["periods"] if p["period"] == period), None)}
    return Checkpoint(as_of.at, _sum(as_of.totals("won", seen, ""), months, 1),
                      _sum(as_of.totals("pipeline", seen, ""), months, 2), said)


def _sum(totals: dict[tuple[str, ...], list[Any]], months: set[str], measure: int) -> Figures:
    """Per owner and currency: the ``measure`` (1 amount, 2 weighted x 100 as a /100 amount)
    of the totals of the period's months."""
    found: Figures = {}
    for key, values in totals.items():
        if key[6] in months:
            amount = values[measure] / 100 if measure == 2 else values[measure]
            found[(key[1], key[3])] = found.get((key[1], key[3]), Decimal(0)) + amount
    return found


Group = tuple[tuple[str, str | None, str | None], str]  # (level, rep, team), currency


def _rows(points: list[Checkpoint], won: Figures,
          group: Callable[[str], tuple[str, str | None, str | None]]) -> list[dict[str, Any]]:
    """One row per group (of owners) and currency."""
    def grouped(figures: Figures) -> dict[Group, Decimal]:
        found: dict[Group, Decimal] = {}
        for (owner, currency), value in figures.items():
            key = (group(owner), currency)
            found[key] = found.get(key, Decimal(0)) + value
        return found

    actual = grouped(won)
    then = [(p.at, grouped(p.won), grouped(p.pipeline)) for p in points]
    keys = {*actual, *(k for _, w, pipe in then for k in (*w, *pipe))}
    rows = []
    for key in sorted(keys, key=lambda k: (str(k[0][2]), str(k[0][1]), k[1])):
        (level, rep_id, team), currency = key
        won_then = actual.get(key, Decimal(0))
        rows.append({"level": level, "rep_id": rep_id, "team": team, "currency": currency,
                     "won": _cents(won_then),
                     "forecasts": [_said(w.get(key, Decimal(0)), pipe.get(key, Decimal(0)),
                                         won_then, at) for at, w, pipe in then]})
    return rows


def _said(won_so_far: Decimal, pipeline: Decimal, actual: Decimal, at: datetime) -> dict[str, Any]:
    expected = won_so_far + pipeline
    error = expected - actual
    return {"at": at, "won_so_far": _cents(won_so_far), "pipeline_weighted": _cents(pipeline),
            "expected": _cents(expected), "error": _cents(error),
            "error_percent": None if not actual else float(round(100 * error / actual, 1))}


def _cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)
