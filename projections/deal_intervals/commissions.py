"""Commission statements: every deal credited to a rep in a period, its share, the plan in force
at its close, and the commission — as known at an instant, so a past statement is re-issued
exactly.

Credit: a deal won without a hand-over is its owner's (share 1). A deal won after a hand-over
is credited to the departing rep of the last hand-over before the win by the hand-over credit
policy in force on the day of the win (``upper``, ``middle`` or ``lower``, by the deal's tier
then; no policy: 0) and to its owner at the win for the rest. Plan: the rep's plan with the
latest ``effective_from`` on or before the day of the win. Commission: ``rate`` x the credited
amount; with an ``accelerated_rate``, the credited amount above the rep's quota for the period
(the deals in the order they were won) earns that rate instead — only while the period's
credited deals are in one currency (a quota has none). ``known_at``: only what was recorded by
then counts (wins, hand-overs, plans, policies and quotas), so a plan or policy recorded late
with an earlier effective day changes the statements issued after it, not those before.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domain.quotas import quota_of
from projections.base import Reader, Row
from projections.deal_intervals.as_of import AsOf

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Effective:
    """A plan or policy as set: from which day, recorded when."""

    effective_from: date
    position: int
    values: dict[str, Any]


def in_force(found: list[Effective], day: date) -> Effective | None:
    """The one with the latest ``effective_from`` on or before ``day`` (the later recorded
    of two from the same day)."""
    return max((e for e in found if e.effective_from <= day),
               key=lambda e: (e.effective_from, e.position), default=None)


class CommissionQueries:
    def __init__(self, read: Reader) -> None:
        self.read = read

    def statement(self, rep_id: str, period: str, start: datetime, end: datetime,
                  known_at: datetime) -> dict[str, Any]:
        stamp = self.read.stored("timestamp", known_at)
        plans = self._effective("SELECT position, effective_from, rate, accelerated_rate FROM "
                                "intervals_plans WHERE rep_id = ? AND set_at <= ?",
                                (rep_id, stamp), ("rate", "accelerated_rate"))
        policies = self._effective("SELECT position, effective_from, upper, middle, lower FROM "
                                   "intervals_credit_policies WHERE set_at <= ?", (stamp,),
                                   ("upper", "middle", "lower"))
        quota = self._quota(rep_id, period, known_at)
        items = [item for win in self._wins(rep_id, start, end, known_at)
                 if (item := _credited(rep_id, win, self._last_handover(win, stamp),
                                       policies, plans)) is not None]
        _commission(items, quota)
        names = self.read.rows("SELECT name FROM intervals_rep_heads WHERE rep_id = ?", (rep_id,))
        return {"rep_id": rep_id, "rep_name": names[0]["name"] if names else None,
                "period": period, "as_of": known_at, "quota": quota, "items": items,
                "totals": _totals(items)}

    def _effective(self, statement: str, params: tuple[Any, ...],
                   names: tuple[str, ...]) -> list[Effective]:
        return [Effective(self.read.value("date", r["effective_from"]), int(r["position"]),
                          {n: self.read.value("numeric", r[n]) for n in names})
                for r in self.read.rows(statement, params)]

    def _quota(self, rep_id: str, period: str, known_at: datetime) -> Decimal | None:
        """The rep's quota for the period as set by ``known_at``."""
        found = quota_of(period, {q["period"]: q["amount"]
                                  for q in AsOf(self.read, known_at).quotas()
                                  if q["rep_id"] == rep_id})
        return None if found is None else _cents(found.amount)

    def _wins(self, rep_id: str, start: datetime, end: datetime,
              known_at: datetime) -> list[dict[str, Any]]:
        """The deals won in [start, end) by known_at that the rep owned at the win or handed
        over before it, in the order they were won."""
        until = min(end, known_at)
        found: dict[str, dict[str, Any]] = {}
        for row in self.read.rows(
                "SELECT i.opportunity_id, i.seq, i.won_at, i.won_amount, i.won_currency, "
                "i.owner_id, h.name FROM intervals_deals i JOIN intervals_deal_heads h "
                "ON h.opportunity_id = i.opportunity_id WHERE i.won_at >= ? AND i.won_at < ? "
                "AND i.valid_from = i.won_at AND i.won_at <= ? AND (i.owner_id = ? OR "
                "i.opportunity_id IN (SELECT opportunity_id FROM intervals_handovers "
                "WHERE from_rep_id = ?)) ORDER BY i.won_at, i.opportunity_id, i.seq",
                (self.read.stored("timestamp", start), self.read.stored("timestamp", end),
                 self.read.stored("timestamp", until), rep_id, rep_id)):
            found.setdefault(row["opportunity_id"], {
                "opportunity_id": row["opportunity_id"], "name": row["name"],
                "won_at": self.read.value("timestamp", row["won_at"]),
                "currency": row["won_currency"], "owner_id": row["owner_id"],
                "won_amount": self.read.value("numeric", row["won_amount"])})
        return list(found.values())

    def _last_handover(self, win: dict[str, Any], stamp: Any) -> Row | None:
        found = self.read.rows(
            "SELECT at, tier, from_rep_id, to_rep_id FROM intervals_handovers WHERE "
            "opportunity_id = ? AND at <= ? AND at <= ? ORDER BY at DESC, position DESC",
            (win["opportunity_id"], self.read.stored("timestamp", win["won_at"]), stamp))
        return found[0] if found else None


def _credited(rep_id: str, win: dict[str, Any], handover: Row | None,
              policies: list[Effective], plans: list[Effective]) -> dict[str, Any] | None:
    """The rep's credit for the win (None: none), with the plan in force at the win."""
    day = win["won_at"].date()
    tier, departing = (handover["tier"], handover["from_rep_id"]) if handover else (None, None)
    policy = in_force(policies, day)
    departing_share = (policy.values[tier] if policy is not None and tier is not None
                       else Decimal(0))
    share = Decimal(0)
    if departing == rep_id:
        share += departing_share
    if win["owner_id"] == rep_id:
        share += Decimal(1) - departing_share if departing is not None else Decimal(1)
    if not share:
        return None
    plan = in_force(plans, day)
    return {**{k: v for k, v in win.items() if k != "owner_id"},
            "role": "owner" if win["owner_id"] == rep_id else "departing", "tier": tier,
            "handed_over_by": departing, "share": share,
            "credited_amount": _cents(win["won_amount"] * share),
            "plan": None if plan is None else {"effective_from": plan.effective_from,
                                               **plan.values},
            "commission": None}


def _commission(items: list[dict[str, Any]], quota: Decimal | None) -> None:
    """Each item's commission by its plan; above the quota at the accelerated rate, while
    the items are in one currency."""
    one_currency = len({item["currency"] for item in items}) == 1
    so_far = Decimal(0)
    for item in items:
        plan, credited = item["plan"], item["credited_amount"]
        if plan is None:
            continue
        above = Decimal(0)
        if one_currency and quota is not None and plan["accelerated_rate"] is not None:
            above = min(credited, max(Decimal(0), so_far + credited - quota))
        item["commission"] = _cents((credited - above) * plan["rate"]
                                    + above * (plan["accelerated_rate"] or 0))
        item["accelerated_amount"] = _cents(above)
        so_far += credited


def _totals(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for item in items:
        total = found.setdefault(item["currency"], {"currency": item["currency"], "deals": 0,
                                                    "credited": Decimal(0),
                                                    "commission": Decimal(0)})
        total["deals"] += 1
        total["credited"] += item["credited_amount"]
        total["commission"] += item["commission"] or 0
    return [found[c] for c in sorted(found)]


def _cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


def credit_policies(read: Reader) -> list[dict[str, Any]]:
    """Every hand-over credit policy set, by the day it applies from (then as recorded)."""
    return [{"effective_from": read.value("date", r["effective_from"]),
             "set_at": read.value("timestamp", r["set_at"]),
             **{t: read.value("numeric", r[t]) for t in ("upper", "middle", "lower")}}
            for r in read.rows("SELECT effective_from, set_at, upper, middle, lower FROM "
                               "intervals_credit_policies ORDER BY effective_from, position")]
