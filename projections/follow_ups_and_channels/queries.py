"""Activities queries: follow-ups due and overdue, interactions per rep, channel effectiveness
(won revenue per currency, never added over currencies: ``money.split_by_currency``)."""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from projections.base import Reader
from projections.money import split_by_currency

CENT = Decimal("0.01")
OPEN_FOLLOW_UPS = (
    "SELECT f.record_kind, f.record_id, r.name AS record_name, f.follow_up_id, r.owner_id, "
    "p.name AS owner_name, f.due, f.note "
    "FROM activities_follow_ups f JOIN activities_records r ON r.record_id = f.record_id "
    "LEFT JOIN activities_reps p ON p.rep_id = r.owner_id "
    # A follow-up on a converted or disqualified lead can never be completed: it is moot.
    "WHERE f.done = FALSE AND r.still_open = TRUE")


class FollowUpsAndChannelsQueries:
    def __init__(self, read: Reader) -> None:
        self.read = read

    def _select(self, statement: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        return self.read.rows(statement, params)

    def follow_ups(self, today: date, rep_id: str | None = None) -> list[dict[str, Any]]:
        """Open follow-ups (of one rep, the record's current owner), soonest due first."""
        where, params = (" AND r.owner_id = ?", (rep_id,)) if rep_id is not None else ("", ())
        found = []
        for r in self._select(OPEN_FOLLOW_UPS + where, params):
            due = self.read.value("date", r["due"])
            found.append({**r, "due": due, "due_today": due == today, "overdue": due < today})
        return sorted(found, key=lambda f: (f["due"], f["record_id"], f["follow_up_id"]))

    def overdue_counts(self, today: date) -> dict[str | None, int]:
        """Overdue follow-ups per current owner (None: leads nobody was assigned yet)."""
        found = self._select(
            f"SELECT owner_id, COUNT(*) AS n FROM ({OPEN_FOLLOW_UPS} AND f.due < ?) o "
            "GROUP BY owner_id", (self.read.stored("date", today),))
        return {r["owner_id"]: int(r["n"]) for r in found}

    def interactions(self, actor: str | None = None) -> list[dict[str, Any]]:
        """The interaction log (of one actor), in the order logged."""
        where, params = (" WHERE actor = ?", (actor,)) if actor is not None else ("", ())
        found = self._select(
            "SELECT record_kind, record_id, interaction_id, kind, outcome, contact_id, actor, "
            "owner_id, logged_at FROM activities_interactions" + where +
            " ORDER BY event_position", params)
        return [{**r, "logged_at": self.read.value("timestamp", r["logged_at"])} for r in found]

    def interactions_per_rep(self, by: Literal["actor", "owner_id"] = "actor",
                             ) -> dict[str | None, dict[str, int]]:
        """Interaction counts by kind per rep: who logged them, or who owned the record then."""
        column = {"actor": "actor", "owner_id": "owner_id"}[by]
        counts: dict[str | None, dict[str, int]] = {}
        for r in self._select(f"SELECT {column} AS rep, kind, COUNT(*) AS n "
                              "FROM activities_interactions GROUP BY 1, 2"):
            counts.setdefault(r["rep"], {})[r["kind"]] = int(r["n"])
        return counts

    def channel_effectiveness(self, costs: Mapping[str, Mapping[str, Decimal]],
                              ) -> list[dict[str, Any]]:
        """Per channel (with leads or a cost): leads to wins, and cost per lead and per won deal
        in each currency of its ``costs`` (channel -> currency -> cost: its campaigns')."""
        found = {r["channel"]: r for r in self._select(
            "SELECT channel, leads, duplicates, qualified, converted, won_deals "
            "FROM activities_channels")}
        revenue: dict[str, list[dict[str, Any]]] = {}
        for r in self._select("SELECT channel, currency, won_deals, won_revenue "
                              "FROM activities_channel_revenue"):
            revenue.setdefault(r["channel"], []).append(r)
        return [{**_effectiveness(channel, found.get(channel), costs.get(channel, {})),
                 **split_by_currency(revenue.get(channel, []), ("won_revenue",), ("won_deals",))}
                for channel in sorted(set(found) | set(costs))]


def _effectiveness(channel: str, row: dict[str, Any] | None,
                   costs: Mapping[str, Decimal]) -> dict[str, Any]:
    """The channel's counts, and its cost figures per currency (``costs``); the cost fields
    hold the one currency's figures, and are null with none or several."""
    counts = {c: int(row[c]) if row else 0
              for c in ("leads", "duplicates", "qualified", "converted", "won_deals")}
    per_currency = [{"currency": currency, "cost": cost.quantize(CENT),
                     "cost_per_lead": _per(cost, counts["leads"]),
                     "cost_per_won_deal": _per(cost, counts["won_deals"])}
                    for currency, cost in sorted(costs.items())]
    single = per_currency[0] if len(per_currency) == 1 else {}
    return {"channel": channel, **counts, "cost": single.get("cost"),
            "cost_per_lead": single.get("cost_per_lead"),
            "cost_per_won_deal": single.get("cost_per_won_deal"),
            "cost_currency": single.get("currency"), "costs": per_currency}


def _per(cost: Decimal, count: int) -> Decimal | None:
    return (cost / count).quantize(CENT) if count else None
