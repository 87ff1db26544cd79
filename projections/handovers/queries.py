"""Hand-over queries: a departure and its items, status counts, and what was left unassigned."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.handover import WORK_ORDER, HandOverStatus
from projections.base import Reader

LEFTOVERS = ("SELECT o.owner_id, o.kind, o.item_id, o.name FROM handover_ownership o "
             "JOIN handover_reps r ON r.rep_id = o.owner_id "
             "WHERE r.departed = TRUE AND o.still_open = TRUE")


ITEM_ORDER = ("CASE i.tier "
              + " ".join(f"WHEN '{tier.value}' THEN {n}" for n, tier in enumerate(WORK_ORDER))
              + " END, i.kind, i.item_id")


@dataclass(frozen=True)
class ItemFilter:
    """Which of a departure's items: of a ``tier``, in a ``status``, overdue on a day (due
    before it and not completed), and only those a person (``visible_to``) takes over or
    must act on."""

    tier: str | None = None
    status: str | None = None
    overdue_on: date | None = None
    visible_to: str | None = None


class HandOverQueries:
    def __init__(self, read: Reader) -> None:
        self.read = read

    def _select(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
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

    def _where(self, departing_rep_id: str | None, f: ItemFilter) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for condition, value in (("i.departing_rep_id = ?", departing_rep_id),
                                 ("i.tier = ?", f.tier), ("i.status = ?", f.status)):
            if value is not None:
                clauses.append(condition)
                params.append(value)
        if f.overdue_on is not None:
            clauses.append("i.due < ? AND i.status <> 'completed'")
            params.append(self.read.stored("date", f.overdue_on))
        if f.visible_to is not None:
            clauses.append("(i.successor_id = ? OR i.actor_id = ?)")
            params += [f.visible_to, f.visible_to]
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def items_for(self, departing_rep_id: str, f: ItemFilter = ItemFilter(),
                  limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
        """The rep's items ``f`` keeps: lower tier first, then middle, upper; then kind, id;
        ``limit`` of them from ``offset`` (every one without a limit)."""
        where, params = self._where(departing_rep_id, f)
        page = "" if limit is None else " LIMIT ? OFFSET ?"
        found = self._select(
            "SELECT i.kind, i.item_id, o.name, i.tier, i.action, i.actor_id, "
            "a.name AS actor_name, i.successor_id, s.name AS successor_name, i.status, i.due "
            "FROM handover_items i LEFT JOIN handover_ownership o ON o.item_id = i.item_id "
            "LEFT JOIN handover_reps a ON a.rep_id = i.actor_id "
            "LEFT JOIN handover_reps s ON s.rep_id = i.successor_id"
            f"{where} ORDER BY {ITEM_ORDER}{page}",
            (*params, *(() if limit is None else (limit, offset))))
        return [{**{k: v for k, v in r.items() if k != "item_id"}, "id": r["item_id"],
                 "due": self.read.value("date", r["due"])} for r in found]

    def count(self, departing_rep_id: str, f: ItemFilter = ItemFilter()) -> int:
        """How many of the rep's items ``f`` keeps."""
        where, params = self._where(departing_rep_id, f)
        return int(self._select(f"SELECT COUNT(*) AS n FROM handover_items i{where}",
                                params)[0]["n"])

    def summary(self, departing_rep_id: str | None = None,
                visible_to: str | None = None) -> dict[str, int]:
        """How many items are pending, introduced and completed (of one rep, or of everyone;
        only those ``visible_to`` takes over or must act on, if named)."""
        where, params = self._where(departing_rep_id, ItemFilter(visible_to=visible_to))
        found = self._select(f"SELECT i.status, COUNT(*) AS n FROM handover_items i{where} "
                             "GROUP BY i.status", params)
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
