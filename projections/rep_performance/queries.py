"""Rep performance for a period: won revenue against quota, commission, customers, activities.

A period is a month ``2026-11``, a quarter ``2026-Q4`` or a fiscal year ``FY2026`` (the
fiscal year is the calendar year). Won revenue, new customers, activities and leads count
when they happened within the period; the quota is the one set for exactly that period.
Commission uses the rep's current plan: ``rate`` on revenue up to quota and
``accelerated_rate`` (else ``rate``) on revenue above it; without a quota, ``rate`` on all
won revenue; without a plan, None. Won revenue is never added over currencies
(``money.split_by_currency``): a rep whose wins of the period are in several currencies has
``by_currency`` and a null ``won_revenue``, ``attainment`` and ``commission`` (a quota has no
currency of its own: it is read in the currency of the wins).
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domain.values import require_period
from projections.base import Reader
from projections.money import split_by_currency

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
COUNTERS = ("new_customers", "activities", "leads_assigned", "leads_converted")


def months_of(period: str) -> list[str]:
    """The ``YYYY-MM`` months a period covers."""
    require_period("period", period)
    if period.startswith("FY"):
        return [f"{period[2:]}-{m:02d}" for m in range(1, 13)]
    year, part = period.split("-")
    if part.startswith("Q"):
        first = 3 * (int(part[1]) - 1) + 1
        return [f"{year}-{m:02d}" for m in range(first, first + 3)]
    return [period]


def commission(won: Decimal, quota: Decimal | None, rate: Decimal | None,
               accelerated_rate: Decimal | None) -> Decimal | None:
    if rate is None:
        return None
    if quota is None:
        earned = rate * won
    else:
        earned = rate * min(won, quota) + (accelerated_rate or rate) * max(won - quota, Decimal(0))
    return earned.quantize(CENT, ROUND_HALF_UP)


def ratio(part: Decimal | int, whole: Decimal | int | None) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATIO, ROUND_HALF_UP)


class RepPerformanceQueries:
    def __init__(self, read: Reader) -> None:
        self.read = read

    def _select(self, statement: str, params: list[Any]) -> list[dict[str, Any]]:
        return self.read.rows(statement, params)

    def _money(self, value: Any) -> Decimal | None:
        return None if value is None else Decimal(str(self.read.value("numeric", value)))

    def _reps(self, team: str | None) -> list[dict[str, Any]]:
        statement = "SELECT * FROM performance_reps"
        params: list[Any] = []
        if team is not None:
            statement, params = statement + " WHERE team = ?", [team]
        return self._select(statement + " ORDER BY name, rep_id", params)

    def _won(self, months: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Per rep: won revenue and wins per currency."""
        marks = ", ".join("?" * len(months))
        won: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in self._select("SELECT rep_id, currency, SUM(amount) AS won_revenue, "
                                "COUNT(*) AS wins FROM performance_wins "
                                f"WHERE won_month IN ({marks}) GROUP BY rep_id, currency", months):
            won[row["rep_id"]].append({**row, "won_revenue": self._money(row["won_revenue"])})
        return won

    def _counts(self, months: list[str]) -> dict[str, dict[str, int]]:
        marks = ", ".join("?" * len(months))
        counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
        for row in self._select(f"SELECT * FROM performance_counts WHERE month IN ({marks})",
                                months):
            for c in COUNTERS:
                counts[row["rep_id"]][c] += int(row[c])
        return counts

    def _quotas(self, period: str) -> dict[str, Decimal | None]:
        return {row["rep_id"]: self._money(row["amount"]) for row in self._select(
            "SELECT rep_id, amount FROM performance_quotas WHERE period = ?", [period])}

    def performance(self, period: str, team: str | None = None) -> list[dict[str, Any]]:
        """One entry per rep (of ``team`` if given), by name."""
        months = months_of(period)
        won, counts, quotas = self._won(months), self._counts(months), self._quotas(period)
        return [self._entry(rep, period, won.get(rep["rep_id"], []),
                            counts.get(rep["rep_id"], dict.fromkeys(COUNTERS, 0)),
                            quotas.get(rep["rep_id"]))
                for rep in self._reps(team)]

    def _entry(self, rep: dict[str, Any], period: str, won: list[dict[str, Any]],
               counts: dict[str, int], quota: Decimal | None) -> dict[str, Any]:
        wins = split_by_currency(won, ("won_revenue",), ("wins",))
        revenue = wins["won_revenue"]
        return {
            "rep_id": rep["rep_id"], "name": rep["name"], "team": rep["team"],
            "region": rep["region"], "active": bool(rep["active"]), "period": period, **wins,
            "quota": quota.quantize(CENT) if quota is not None else None,
            "attainment": None if revenue is None else ratio(revenue, quota),
            "commission": None if revenue is None else commission(
                revenue, quota, self._money(rep["commission_rate"]),
                self._money(rep["accelerated_rate"])),
            **counts,
            "conversion_rate": ratio(counts["leads_converted"], counts["leads_assigned"]),
        }
