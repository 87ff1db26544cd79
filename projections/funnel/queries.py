"""Funnel queries: stage summary, stuck deals, conversion and win rates, cycle length."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from domain.stages import OPEN_STAGES, Stage
from projections.base import Reader, Row
from projections.deal_intervals.as_of import AsOf, Seen
from projections.money import split_by_currency

STUCK_AFTER_DAYS: Mapping[str, int] = MappingProxyType({
    Stage.PROSPECTING: 14, Stage.QUALIFICATION: 21, Stage.PROPOSAL: 30, Stage.NEGOTIATION: 30,
})
STAGE_ORDER = [s.value for s in Stage]
MONEY = ("amount", "weighted_amount")
STUCK_COLUMNS = ("o.opportunity_id, o.name, o.stage, o.owner_id, r.name AS owner_name, "
                 "o.account_id, a.name AS account_name, o.stage_entered_at, o.opened_at, "
                 "o.last_contact_at")


@dataclass(frozen=True)
class Filters:
    rep_id: str | None = None
    team: str | None = None
    region: str | None = None


def stage_summary(totals: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every stage, in funnel order, from totals per stage and currency (``stage``,
    ``currency``, ``count``, ``amount``, ``weighted_amount``)."""
    found: dict[str, list[Mapping[str, Any]]] = {}
    for row in totals:
        found.setdefault(row["stage"], []).append(row)
    return [{"stage": s, **split_by_currency(found.get(s, []), MONEY, ("count",))}
            for s in STAGE_ORDER]


def summary_as_of(as_of: AsOf, seen: Seen) -> list[dict[str, Any]]:
    """``FunnelQueries.summary`` as it stood at ``as_of``'s instant, of the deals ``seen``
    keeps (``projections.deal_intervals.as_of``)."""
    return stage_summary(
        {"stage": stage, "currency": currency, "count": deals, "amount": amount,
         "weighted_amount": weighted}
        for (stage, currency), (deals, amount, weighted) in as_of.totals(
            "funnel", seen, by=("stage", "currency")).items())


class FunnelQueries:
    def __init__(self, read: Reader) -> None:
        self.read = read

    def _where(self, f: Filters) -> tuple[str, list[Any]]:
        clauses, params = [], []
        for column, value in (("o.owner_id", f.rep_id), ("r.team", f.team), ("a.region", f.region)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def _select(self, columns: str, f: Filters, tail: str = "") -> list[Row]:
        where, params = self._where(f)
        return self.read.rows(f"SELECT {columns} FROM funnel_opportunities o "
                              "LEFT JOIN funnel_reps r ON r.rep_id = o.owner_id "
                              "LEFT JOIN funnel_accounts a ON a.account_id = o.account_id"
                              + where + tail, params)

    def summary(self, f: Filters = Filters()) -> list[dict[str, Any]]:
        """Every stage, in funnel order, with count, amount and weighted amount per currency
        (``money.split_by_currency``), from the running totals per stage, owner, region and
        currency, not from every deal."""
        where, params = self._where(f)
        statement = ("SELECT o.stage AS stage, o.currency AS currency, SUM(o.deals) AS count, "
                     "SUM(o.amount) AS amount, SUM(o.weighted_amount) AS weighted_amount "
                     "FROM funnel_totals o LEFT JOIN funnel_reps r ON r.rep_id = o.owner_id"
                     + where.replace("a.region", "o.region") + " GROUP BY o.stage, o.currency")
        return stage_summary(self.read.rows(statement, params))

    def stuck(self, now: datetime, f: Filters = Filters(),
              thresholds: Mapping[str, int] = STUCK_AFTER_DAYS,
              no_contact_days: int | None = None) -> list[dict[str, Any]]:
        """Open deals longer in their stage than that stage's threshold, longest first; with
        ``no_contact_days``, instead, open deals nobody contacted for that many days (since
        their last interaction, or since they opened), longest silent first. Each names its
        deal, owner and account."""
        found = []
        for row in self._select(STUCK_COLUMNS, f):
            if row["stage"] not in OPEN_STAGES:
                continue
            deal = self._stuck_deal(row, now)
            if no_contact_days is None and deal["days_in_stage"] > thresholds[row["stage"]]:
                found.append(deal)
            elif no_contact_days is not None and deal["days_without_contact"] >= no_contact_days:
                found.append(deal)
        order = "days_in_stage" if no_contact_days is None else "days_without_contact"
        return sorted(found, key=lambda r: (-r[order], r["id"]))

    def _stuck_deal(self, row: Row, now: datetime) -> dict[str, Any]:
        entered = self.read.value("timestamp", row["stage_entered_at"])
        contact = self.read.value("timestamp", row["last_contact_at"])
        silent_since = contact or self.read.value("timestamp", row["opened_at"])
        return {"id": row["opportunity_id"], "name": row["name"], "stage": row["stage"],
                "days_in_stage": (now - entered).days, "owner_id": row["owner_id"],
                "owner_name": row["owner_name"], "account_id": row["account_id"],
                "account_name": row["account_name"], "last_contact_at": contact,
                "days_without_contact": (now - silent_since).days}

    def conversion_rates(self) -> list[dict[str, Any]]:
        """Share of the deals that reached a stage which went on to reach the next one."""
        reached = {row["stage"]: row["reached"]
                   for row in self.read.rows("SELECT stage, reached FROM funnel_stage_reached")}
        path = [s.value for s in OPEN_STAGES] + [Stage.CLOSED_WON.value]
        return [{"from_stage": a, "to_stage": b, "reached": reached.get(a, 0),
                 "rate": round(reached.get(b, 0) / reached[a], 4) if reached.get(a) else None}
                for a, b in zip(path, path[1:], strict=False)]

    def win_rate_and_cycle(self, f: Filters = Filters()) -> dict[str, Any]:
        (row,) = self._select(
            "SUM(CASE WHEN o.won THEN 1 ELSE 0 END) AS won, "
            "SUM(CASE WHEN o.won = FALSE THEN 1 ELSE 0 END) AS lost, "
            "AVG(CASE WHEN o.won THEN o.cycle_days END) AS cycle", f)
        won, lost = int(row["won"] or 0), int(row["lost"] or 0)
        return {"won": won, "lost": lost,
                "win_rate": round(won / (won + lost), 4) if won + lost else None,
                "average_cycle_days": (round(float(row["cycle"]), 1)
                                       if row["cycle"] is not None else None)}
