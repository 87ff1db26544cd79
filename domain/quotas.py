"""Which quota holds for a period: the one set for it, else the sum of its parts.

A rep's quota is set per month (``2026-03``), quarter (``2026-Q1``) or fiscal year (``FY2026``,
the calendar year). A period without a quota of its own takes the sum of its parts that have
one: a year the sum of its quarters, a quarter the sum of its months (so a year whose quarters
have none adds up their months). A quota is never split downwards: a month of a quarter with a
quota has none of its own. ``Quota.periods`` names the quotas as set that the amount adds up,
so an answer can say that a year's quota is, say, Q1 + Q3 + Q4 (Q2 had none).
A team's or the company's quota is the sum of its reps' quotas, each found as above.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from domain.values import require_period


@dataclass(frozen=True)
class Quota:
    amount: Decimal
    periods: tuple[str, ...]  # the quotas as set that ``amount`` adds up, in time order


PeriodKind = Literal["month", "quarter", "year"]


def current_period(kind: PeriodKind, day: date) -> str:
    """The period of ``kind`` holding ``day``, as quotas (and the API) name periods."""
    if kind == "month":
        return f"{day.year}-{day.month:02d}"
    if kind == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"FY{day.year}"


def kind_of(period: str) -> PeriodKind:
    """Whether ``period`` is a month, a quarter or a year."""
    require_period("period", period)
    if period.startswith("FY"):
        return "year"
    return "quarter" if "-Q" in period else "month"


def parts_of(period: str) -> list[str]:
    """A year's quarters, a quarter's months; a month has no parts."""
    require_period("period", period)
    if period.startswith("FY"):
        return [f"{period[2:]}-Q{q}" for q in range(1, 5)]
    year, part = period.split("-")
    if part.startswith("Q"):
        first = 3 * (int(part[1]) - 1) + 1
        return [f"{year}-{m:02d}" for m in range(first, first + 3)]
    return []


def months_of(period: str) -> list[str]:
    """The ``YYYY-MM`` months a period covers."""
    return [p for p in within(period) if not parts_of(p)]


def days_of(period: str) -> tuple[date, date]:
    """The period's first day and the first day after it."""
    months = months_of(period)
    first_year, first_month = (int(x) for x in months[0].split("-"))
    last_year, last_month = (int(x) for x in months[-1].split("-"))
    after = date(last_year + 1, 1, 1) if last_month == 12 else date(last_year, last_month + 1, 1)
    return date(first_year, first_month, 1), after


def within(period: str) -> list[str]:
    """The period and its parts, theirs too: every period whose quota may count for it."""
    return [period, *(p for part in parts_of(period) for p in within(part))]


def quota_of(period: str, set_quotas: Mapping[str, Decimal]) -> Quota | None:
    """The quota set for ``period``, else the sum of its parts' quotas; None if neither."""
    if period in set_quotas:
        return Quota(Decimal(set_quotas[period]), (period,))
    return total(quota_of(part, set_quotas) for part in parts_of(period))


def total(quotas: Iterable[Quota | None]) -> Quota | None:
    """The sum of the quotas there are (of several parts, or of several reps); None if none."""
    found = [q for q in quotas if q is not None]
    if not found:
        return None
    periods = sorted({p for q in found for p in q.periods}, key=_in_time)
    return Quota(sum((q.amount for q in found), Decimal(0)), tuple(periods))


def _in_time(period: str) -> tuple[int, int, int]:
    """By the first month, the longer period first: FY2026, 2026-Q1, 2026-01, 2026-02, ..."""
    if period.startswith("FY"):
        return int(period[2:]), 1, 0
    year, part = period.split("-")
    if part.startswith("Q"):
        return int(year), 3 * int(part[1]) - 2, 1
    return int(year), int(part), 2
