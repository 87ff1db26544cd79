"""Rep performance for a period: won revenue against quota, commission, customers, activities.

A period is a month ``2026-11``, a quarter ``2026-Q4`` or a fiscal year ``FY2026`` (the
fiscal year is the calendar year). Won revenue, new customers, activities and leads count
when they happened within the period; the quota is the one set for the period, else the sum
of its parts' (a year's quarters, a quarter's months: ``domain.quotas``), and
``quota_periods`` names the quotas as set that it adds up.
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

from domain.quotas import Quota, months_of, quota_of, within
from projections.base import Reader
from projections.money import split_by_currency

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
COUNTERS = ("new_customers", "activities", "leads_assigned", "leads_converted")


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

    def _quotas(self, period: str) -> dict[str, Quota]:
        """Per rep: the quota set for the period, else the sum of its parts'
        (``domain.quotas``)."""
        periods = within(period)
        marks = ", ".join("?" * len(periods))
        set_quotas: dict[str, dict[str, Decimal]] = defaultdict(dict)
        for row in self._select("SELECT rep_id, period, amount FROM performance_quotas "
                                f"WHERE period IN ({marks})", periods):
            set_quotas[row["rep_id"]][row["period"]] = Decimal(self._money(row["amount"]) or 0)
        found = {rep: quota_of(period, quotas) for rep, quotas in set_quotas.items()}
        return {rep: quota for rep, quota in found.items() if quota is not None}

    def performance(self, period: str, team: str | None = None) -> list[dict[str, Any]]:
        """One entry per rep (of ``team`` if given), by name."""
        months = months_of(period)
        won, counts, quotas = self._won(months), self._counts(months), self._quotas(period)
        return [self._entry(rep, period, won.get(rep["rep_id"], []),
                            counts.get(rep["rep_id"], dict.fromkeys(COUNTERS, 0)),
                            quotas.get(rep["rep_id"]))
                for rep in self._reps(team)]

    def _entry(self, rep: dict[str, Any], period: str, won: list[dict[str, Any]],
               counts: dict[str, int], set_quota: Quota | None) -> dict[str, Any]:
        wins = split_by_currency(won, ("won_revenue",), ("wins",))
        revenue = wins["won_revenue"]
        quota = None if set_quota is None else set_quota.amount.quantize(CENT)
        return {
            "rep_id": rep["rep_id"], "name": rep["name"], "team": rep["team"],
            "region": rep["region"], "active": bool(rep["active"]), "period": period, **wins,
            "quota": quota, "quota_periods": list(set_quota.periods) if set_quota else [],
            "attainment": None if revenue is None else ratio(revenue, quota),
            "commission": None if revenue is None else commission(
                revenue, quota, self._money(rep["commission_rate"]),
                self._money(rep["accelerated_rate"])),
            **counts,
            "conversion_rate": ratio(counts["leads_converted"], counts["leads_assigned"]),
        }
