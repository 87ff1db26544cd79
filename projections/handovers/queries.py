"""Hand-over queries: a departure and its items, status counts, and what was left unassigned."""

from typing import Any

from domain.handover import HandOverStatus
from domain.values import Tier
from projections.base import Reader

TIER_ORDER = {Tier.LOWER.value: 0, Tier.MIDDLE.value: 1, Tier.UPPER.value: 2}
LEFTOVERS = ("SELECT o.owner_id, o.kind, o.item_id, o.name FROM handover_ownership o "
             "JOIN handover_reps r ON r.rep_id = o.owner_id "
             "WHERE r.departed = TRUE AND o.still_open = TRUE")


class HandOverQueries:
    def __init__(self, read: Reader) -> None:
        self.read = read

    def _select(self, statement: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        return self.read.rows(statement, params)

    def departure(self, rep_id: str) -> dict[str, Any] | None:
        """Who departed, when, their successor and their manager; None if the rep has not."""
        found = self._select(
            "SELECT r.rep_id, r.name, r.manager_id, m.name AS manager_name, r.successor_id, "
            "s.name AS successor_name, r.effective_date FROM handover_reps r "
            "LEFT JOIN handover_reps m ON m.rep_id = r.manager_id "
            "LEFT JOIN handover_reps s ON s.rep_id = r.successor_id "
            "WHERE r.rep_id = ? AND r.departed = TRUE", (rep_id,))
        if not found:
            return None
        row = found[0]
        row["effective_date"] = self.read.value("date", row["effective_date"])
        return row

    def items_for(self, departing_rep_id: str) -> list[dict[str, Any]]:
        """Every item the rep handed over: lower tier first, then middle, upper; then kind, id."""
        found = self._select(
            "SELECT i.kind, i.item_id, o.name, i.tier, i.action, i.actor_id, "
            "a.name AS actor_name, i.successor_id, s.name AS successor_name, i.status, i.due "
            "FROM handover_items i LEFT JOIN handover_ownership o ON o.item_id = i.item_id "
            "LEFT JOIN handover_reps a ON a.rep_id = i.actor_id "
            "LEFT JOIN handover_reps s ON s.rep_id = i.successor_id "
            "WHERE i.departing_rep_id = ?", (departing_rep_id,))
        items = [{**{k: v for k, v in r.items() if k != "item_id"}, "id": r["item_id"],
                  "due": self.read.value("date", r["due"])} for r in found]
        return sorted(items, key=lambda i: (TIER_ORDER[i["tier"]], i["kind"], i["id"]))

    def summary(self, departing_rep_id: str | None = None) -> dict[str, int]:
        """How many items are pending, introduced and completed (of one rep, or of everyone)."""
        where, params = ("WHERE departing_rep_id = ? ", (departing_rep_id,)) \
            if departing_rep_id is not None else ("", ())
        found = self._select(f"SELECT status, COUNT(*) AS n FROM handover_items {where}"
                             "GROUP BY status", params)
        counts = {r["status"]: int(r["n"]) for r in found}
        return {s.value: counts.get(s.value, 0) for s in HandOverStatus}

    def unassigned_for(self, rep_id: str) -> list[dict[str, str]]:
        """Open items a departed rep still owns (none for a rep still here), by kind and id."""
        found = self._select(LEFTOVERS + " AND o.owner_id = ?", (rep_id,))
        return sorted(({"kind": r["kind"], "id": r["item_id"], "name": r["name"]}
                       for r in found),
                      key=lambda i: (i["kind"], i["id"]))

    def departed_with_leftovers(self) -> list[dict[str, Any]]:
        """Every departed rep who still owns an open item (an error to show), by rep id."""
        by_rep: dict[str, list[dict[str, str]]] = {}
        for r in self._select(LEFTOVERS):
            by_rep.setdefault(r["owner_id"], []).append(
                {"kind": r["kind"], "id": r["item_id"], "name": r["name"]})
        return [{"rep_id": rep, "successor_id": (self.departure(rep) or {}).get("successor_id"),
                 "items": sorted(items, key=lambda i: (i["kind"], i["id"]))}
                for rep, items in sorted(by_rep.items())]
