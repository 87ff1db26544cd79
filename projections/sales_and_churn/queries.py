"""Report queries: sales per period and dimension, and the customers who stopped buying.

Plain SQL fetches the view rows of the orders that count as sales (neither cancelled nor
rejected); polars aggregates them (the project's choice for analytic queries). Periods are
buckets of the UTC date an order was placed: ``2026-11-02``, ISO week ``2026-W45``, ``2026-11``,
``2026``. Money is summed in whole cents, so totals are exact, and never over currencies: sales
rows are per currency too, and a churned account lists its revenue per currency
(``money.split_by_currency``).
"""

import calendar
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl

from domain.errors import ValidationError
from projections.base import Reader
from projections.money import split_by_currency

SOLD = "o.status NOT IN ('cancelled', 'rejected')"
PERIODS: dict[str, Callable[[date], str]] = {
    "day": lambda d: d.isoformat(),
    "week": lambda d: f"{d.isocalendar().year}-W{d.isocalendar().week:02d}",  # ISO 8601 week
    "month": lambda d: f"{d.year}-{d.month:02d}",
    "year": lambda d: str(d.year),
}
DIMENSIONS = {None: "NULL", "region": "o.region", "rep": "o.rep_id", "product": "l.sku"}
SALES_SCHEMA = {"period": pl.String, "key": pl.String, "currency": pl.String,
                "order_id": pl.String, "cents": pl.Int64}
ORDERS_SCHEMA = {"account_id": pl.String, "placed_on": pl.Date, "currency": pl.String,
                 "cents": pl.Int64}


class SalesAndChurnQueries:
    def __init__(self, read: Reader) -> None:
        self.read = read

    def _fetch(self, statement: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        return self.read.rows(statement, params)

    def _placed_on(self, value: Any) -> date:
        placed: datetime = self.read.value("timestamp", value)
        return placed.astimezone(UTC).date()

    def _cents(self, value: Any) -> int:
        return int((self.read.value("numeric", value) * 100).quantize(Decimal(1), ROUND_HALF_UP))

    def sales(self, period: str = "month", by: str | None = None) -> list[dict[str, Any]]:
        """Per period (and region, product or rep) and currency: orders placed and their
        revenue.

        By product, revenue is the product's line totals and orders the orders holding it.
        Rows come by period, then key, then currency.
        """
        bucket, column = _choice("period", period, PERIODS), _choice("by", by, DIMENSIONS)
        source = ("reports_order_lines l JOIN reports_orders o ON o.order_id = l.order_id"
                  if by == "product" else "reports_orders o")
        amount = "l.line_total" if by == "product" else "o.total"
        found = self._fetch(f"SELECT o.order_id, o.placed_at, {column} AS dimension, "
                            f"o.currency, {amount} AS amount FROM {source} WHERE {SOLD}")
        frame = pl.DataFrame([{"period": bucket(self._placed_on(r["placed_at"])),
                               "key": r["dimension"], "currency": r["currency"],
                               "order_id": r["order_id"], "cents": self._cents(r["amount"])}
                              for r in found], schema=SALES_SCHEMA)
        totals = (frame.group_by("period", "key", "currency")
                  .agg(orders=pl.col("order_id").n_unique(), cents=pl.col("cents").sum())
                  .sort("period", "key", "currency", nulls_last=True))
        names = self._names() if by in ("rep", "product") else {}
        return [{"period": r["period"], "key": r["key"], "key_name": names.get(r["key"]),
                 "currency": r["currency"], "orders": r["orders"], "revenue": _money(r["cents"])}
                for r in totals.iter_rows(named=True)]

    def _names(self) -> dict[str, str]:
        return {r["id"]: r["name"] for r in self._fetch("SELECT id, name FROM reports_names")}

    def churned(self, as_of: date, months: int) -> list[dict[str, Any]]:
        """Accounts that bought by ``as_of`` but not in the ``months`` before it.

        An account is churned when its last order (cancelled and rejected ones do not count)
        placed on or before ``as_of`` is older than ``as_of`` minus ``months`` calendar months.
        Longest silent first.
        """
        if months < 0:
            raise ValidationError("months", "must not be negative")
        cutoff = months_before(as_of, months)
        found = self._fetch(f"SELECT o.account_id, o.placed_at, o.currency, o.total "
                            f"FROM reports_orders o WHERE {SOLD}")
        frame = pl.DataFrame([{"account_id": r["account_id"], "placed_on": self._placed_on(
            r["placed_at"]), "currency": r["currency"], "cents": self._cents(r["total"])}
            for r in found], schema=ORDERS_SCHEMA).filter(pl.col("placed_on") <= as_of)
        silent = (frame.group_by("account_id")
                  .agg(first_order_on=pl.col("placed_on").min(),
                       last_order_on=pl.col("placed_on").max())
                  .filter(pl.col("last_order_on") < cutoff)
                  .sort("last_order_on", "account_id"))
        per_currency: dict[str, list[dict[str, Any]]] = {}
        for r in (frame.group_by("account_id", "currency")
                  .agg(orders=pl.len(), cents=pl.col("cents").sum()).iter_rows(named=True)):
            per_currency.setdefault(r["account_id"], []).append(
                {"currency": r["currency"], "orders": r["orders"], "revenue": _money(r["cents"])})
        accounts = {r["account_id"]: r for r in self._fetch(
            "SELECT a.account_id, a.name, a.region, a.owner_id, n.name AS owner_name "
            "FROM reports_accounts a LEFT JOIN reports_names n ON n.id = a.owner_id")}
        return [{**accounts[r["account_id"]], "first_order_on": r["first_order_on"],
                 "last_order_on": r["last_order_on"],
                 **split_by_currency(per_currency[r["account_id"]], ("revenue",), ("orders",))}
                for r in silent.iter_rows(named=True)]


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier, clamped to the end of a shorter month."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def _choice(field: str, value: Any, choices: dict[Any, Any]) -> Any:
    if value not in choices:
        raise ValidationError(field, f"{value!r} is not one of {', '.join(map(str, choices))}")
    return choices[value]


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)
