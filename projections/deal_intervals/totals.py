"""Running totals that remember the past: how the funnel and the forecast stood at any instant,
read from a bounded number of rows instead of every deal.

A deal's state adds its *shares* to three kinds of totals (``shares_of``):

- ``funnel``: per stage, owner, region and currency — deals, amount and weighted amount
  (amount x probability / 100 to the cent), as ``projections.funnel`` keeps them now;
- ``pipeline``: an open deal per owner, region, product ("" for every deal, else each SKU it
  holds), month of expected close and currency — deals, amount and amount x probability
  (``weighted``), as ``projections.forecast`` keeps them now;
- ``won``: a won deal the same way per month of the win — deals and the amount won.

Tables
- ``intervals_totals``: each total now (a total of no deal is deleted).
- ``intervals_totals_months``: every total as it stood at the start of each month (``mark``,
  UTC) from the month of the first change on — a copy of the totals now, made when the first
  change of a new month arrives (totals of no deal are not copied).
- ``intervals_totals_days``: each total's net change per day (UTC) it changed.
- ``intervals_totals_moves``: each total's change by each event (its instant ``at`` and
  ``position``; ``part`` numbers the totals one event changes), for the part of a day
  before an instant.
- ``intervals_owner_totals``: per owner, the keys of the totals they have (the copy's list),
  and ``intervals_marks``: the first and last month copied and every owner.

A total at instant ``t`` is its copy at the start of t's month, plus its changes of the days
of that month before t's day, plus the changes of t's day up to ``t``: a few thousand rows at
most, added up by the database (``projections.deal_intervals.as_of``). A change recorded late
(a clock behind another's) is added to the copies of the months after it too.
"""

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from domain.stages import Stage
from projections.base import Column, Rows, Table

KEY = ("kind", "owner_id", "region", "currency", "stage", "product", "month")
MEASURES = ("deals", "amount", "weighted")
_KEY_COLUMNS = (Column("kind"), Column("owner_id"), Column("region"), Column("currency"),
                Column("stage"), Column("product"), Column("month"))
_MEASURE_COLUMNS = (Column("deals", "int"), Column("amount", "numeric"),
                    Column("weighted", "numeric"))
TOTALS = Table("intervals_totals", (*_KEY_COLUMNS, *_MEASURE_COLUMNS), key=KEY)
MONTHS = Table("intervals_totals_months", (Column("mark", "date"), *_KEY_COLUMNS,
                                           *_MEASURE_COLUMNS), key=("kind", "mark", *KEY[1:]))
DAYS = Table("intervals_totals_days", (Column("day", "date"), *_KEY_COLUMNS, *_MEASURE_COLUMNS),
             key=("kind", "day", *KEY[1:]))
MOVES = Table("intervals_totals_moves", (Column("at", "timestamp"), Column("position", "bigint"),
                                         Column("part", "int"), *_KEY_COLUMNS, *_MEASURE_COLUMNS),
              key=("position", "part"), indexes=(("kind", "at"),), append_only=True)
OWNER_TOTALS = Table("intervals_owner_totals", (Column("owner_id"), Column("keys", "json")),
                     key=("owner_id",))
MARKS = Table("intervals_marks", (Column("name"), Column("first", "date"), Column("last", "date"),
                                  Column("owners", "json")), key=("name",))
MARKS_KEY = ("totals",)
KINDS = ("funnel", "pipeline", "won")
CENT = Decimal("0.01")
Change = list[Any]  # deals, amount, weighted


class Share(NamedTuple):
    """What one deal adds to the total at ``key`` (``KEY`` order)."""

    key: tuple[str, ...]
    amount: Decimal
    weighted: Decimal


def shares_of(deal: Mapping[str, Any], products: list[str]) -> Iterator[Share]:
    """The totals a deal's facts (a row of ``intervals_deals``) count in, and by how much."""
    owner, region, currency = deal["owner_id"], deal["region"], deal["currency"]
    amount, probability = deal["amount"], deal["probability"]
    yield Share(("funnel", owner, region, currency, deal["stage"], "", ""), amount,
                (amount * probability / 100).quantize(CENT))
    every = ["", *sorted(set(products))]
    if deal["open"]:
        month = deal["expected_close"].strftime("%Y-%m")
        for product in every:
            yield Share(("pipeline", owner, region, currency, "", product, month), amount,
                        amount * probability)
    if deal["stage"] == Stage.CLOSED_WON and deal["won_amount"] is not None:
        month = deal["won_at"].astimezone(UTC).strftime("%Y-%m")
        for product in every:
            yield Share(("won", owner, region, deal["won_currency"], "", product, month),
                        deal["won_amount"], Decimal(0))


def month_of(day: date) -> date:
    return day.replace(day=1)


def months_after(first: date, last: date) -> list[date]:
    """The first days of the months after ``first``'s up to ``last``'s."""
    found: list[date] = []
    month = first
    while True:
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        if month > last:
            return found
        found.append(month)


def move_shares(rows: Rows, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
                products: list[str], at: datetime, position: int) -> None:
    """A deal's facts changed at ``at`` from ``before`` to ``after`` (None: it did not
    exist) by the event at ``position`` (one call per event): its shares move between the
    totals."""
    moved: dict[tuple[str, ...], Change] = {}
    for sign, deal in ((-1, before), (1, after)):
        for share in (shares_of(deal, products) if deal is not None else ()):
            change = moved.setdefault(share.key, [0, Decimal(0), Decimal(0)])
            change[0] += sign
            change[1] += sign * share.amount
            change[2] += sign * share.weighted
    moved = {key: change for key, change in moved.items() if any(change)}
    if not moved:
        return
    day = at.astimezone(UTC).date()
    marks = _copy_months_up_to(rows, month_of(day))
    for part, (key, change) in enumerate(moved.items()):  # in the order shares_of gives
        _add(rows, TOTALS, key, change, {})
        _add(rows, DAYS, key, change, {"day": day})
        rows.put(MOVES.name, {**dict(zip(KEY, key, strict=True)), "at": at, "position": position,
                              "part": part, **dict(zip(MEASURES, change, strict=True))})
        for mark in months_after(day, marks["last"]):  # recorded late
            _add(rows, MONTHS, key, change, {"mark": mark})


def _copy_months_up_to(rows: Rows, month: date) -> dict[str, Any]:
    """Before the first change of a month later than the last copied: the totals now are
    copied as they stand at the start of each month up to ``month``."""
    marks = rows.get(MARKS.name, MARKS_KEY)
    if marks is None:
        marks = {"name": MARKS_KEY[0], "first": month, "last": month, "owners": []}
    elif month > marks["last"]:
        now = [total for owner in marks["owners"] for total in _owner_totals(rows, owner)]
        for mark in months_after(marks["last"], month):
            for total in now:
                rows.put(MONTHS.name, {**total, "mark": mark})
        marks = {**marks, "last": month}
    elif month < marks["first"]:
        marks = {**marks, "first": month}
    else:
        return marks
    rows.put(MARKS.name, marks)
    return marks


def _owner_totals(rows: Rows, owner: str) -> list[dict[str, Any]]:
    """The owner's totals now (those of no deal dropped from their list)."""
    listed = rows.get(OWNER_TOTALS.name, (owner,))
    keys = [tuple(k) for k in listed["keys"]] if listed else []
    found = [(key, rows.get(TOTALS.name, key)) for key in keys]
    kept = [total for _, total in found if total is not None]
    if listed is not None and len(kept) < len(keys):
        rows.put(OWNER_TOTALS.name, {**listed, "keys": [list(k) for k, t in found if t]})
    return kept


def _add(rows: Rows, table: Table, key: tuple[str, ...], change: Change,
         place: dict[str, Any]) -> None:
    """``change`` added to ``table``'s row of ``key`` (at ``place``: its day or month); a
    total of no deal is deleted, a new one listed under its owner."""
    row_key = table.key_of({**dict(zip(KEY, key, strict=True)), **place})
    found = rows.get(table.name, row_key)
    if found is None:
        found = {**dict(zip(KEY, key, strict=True)), **place, "deals": 0,
                 "amount": Decimal(0), "weighted": Decimal(0)}
        if table is TOTALS:
            _list(rows, key)
    total = {**found, **{m: found[m] + d for m, d in zip(MEASURES, change, strict=True)}}
    if table is not DAYS and total["deals"] == 0:
        rows.delete(table.name, row_key)
    else:
        rows.put(table.name, total)


def _list(rows: Rows, key: tuple[str, ...]) -> None:
    owner = key[1]
    listed = rows.get(OWNER_TOTALS.name, (owner,))
    if listed is None:
        marks = rows.get(MARKS.name, MARKS_KEY)
        assert marks is not None, "the marks are made before the first total"
        rows.put(MARKS.name, {**marks, "owners": [*marks["owners"], owner]})
        listed = {"owner_id": owner, "keys": []}
    if list(key) not in listed["keys"]:
        rows.put(OWNER_TOTALS.name, {**listed, "keys": [*listed["keys"], list(key)]})
