"""Hand-over queries: a departure and its items, status counts, and what was left unassigned."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.handover import (
    FIRST_TIERS,
    WORK_ORDER,
    Departure,
    HandOverStatus,
    OpenItem,
    plan_departure,
)
from domain.values import Tier
from projections.base import Reader

LEFTOVERS = ("SELECT o.owner_id, o.kind, o.item_id, o.name FROM handover_ownership o "
             "JOIN handover_reps r ON r.rep_id = o.owner_id "
             "WHERE r.departed = TRUE AND o.still_open = TRUE")


# the upper tier is due once the first tiers are done (``handover_reps.upper_due``)
DUE = "CASE WHEN i.tier = 'upper' THEN d.upper_due ELSE i.due END"
ITEMS_FROM = ("handover_items i JOIN handover_reps d ON d.rep_id = i.departing_rep_id")
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
        """Who departs or departed, when, their successor, their manager, the ``stage``
        (noticed, approved, departed) and the ``plan``; None if the rep has not given
        notice or departed."""
        found = self._select(
            "SELECT r.rep_id, r.name, r.manager_id, m.name AS manager_name, r.successor_id, "
            "s.name AS successor_name, r.effective_date, r.stage, r.noticed_at, "
            "r.approved_at, r.plan FROM handover_reps r "
            "LEFT JOIN handover_reps m ON m.rep_id = r.manager_id "
            "LEFT JOIN handover_reps s ON s.rep_id = r.successor_id "
            "WHERE r.rep_id = ? AND r.stage IS NOT NULL", (rep_id,))
        if not found:
            return None
        row = found[0]
        for column, kind in (("effective_date", "date"), ("noticed_at", "timestamp"),
                             ("approved_at", "timestamp"), ("plan", "json")):
            row[column] = self.read.value(kind, row[column])
        return row

    def planned(self, departure: dict[str, Any]) -> list[dict[str, Any]]:
        """The plan of a departure not executed yet: every open item the rep owns now, who
        takes it over, its tier, action, actor and due date, with status ``planned`` — in
        the order the items of a departure are listed."""
        rep_id = departure["rep_id"]
        owned = self._select(
            "SELECT kind, item_id, name, account_id, probability FROM handover_ownership "
            "WHERE owner_id = ? AND still_open = TRUE ORDER BY kind, item_id", (rep_id,))
        leaving = Departure(rep_id, departure["successor_id"], departure["manager_id"],
                            departure["effective_date"])
        items = [OpenItem(o["kind"], o["item_id"], o["account_id"], o["probability"] or 0)
                 for o in owned]
        planned = plan_departure(items, leaving, departure["plan"] or {})
        item_names = {o["item_id"]: o["name"] for o in owned}
        first_tiers = any(p.plan.tier in FIRST_TIERS for p in planned)
        names = self._names({p.successor_id for p in planned}
                            | {p.plan.actor_id for p in planned})
        listed = [{
            "kind": p.item.kind, "id": p.item.item_id,
            "name": item_names[p.item.item_id],
            "tier": p.plan.tier.value, "action": p.plan.action, "actor_id": p.plan.actor_id,
            "actor_name": names.get(p.plan.actor_id), "successor_id": p.successor_id,
            "successor_name": names.get(p.successor_id), "status": HandOverStatus.PLANNED.value,
            "due": None if p.plan.tier is Tier.UPPER and first_tiers else p.plan.due,
            "waiting": p.plan.tier is Tier.UPPER and first_tiers, "next_meeting_at": None,
        } for p in planned]
        return sorted(listed, key=lambda i: (WORK_ORDER.index(Tier(i["tier"])), i["kind"],
                                             i["id"]))

    def _names(self, rep_ids: set[str]) -> dict[str, str]:
        if not rep_ids:
            return {}
        where, params = self.read.one_of("rep_id", sorted(rep_ids))
        return {r["rep_id"]: r["name"]
                for r in self._select(f"SELECT rep_id, name FROM handover_reps WHERE {where}",
                                      params)}

    def _where(self, departing_rep_id: str | None, f: ItemFilter) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for condition, value in (("i.departing_rep_id = ?", departing_rep_id),
                                 ("i.tier = ?", f.tier), ("i.status = ?", f.status)):
            if value is not None:
                clauses.append(condition)
                params.append(value)
        if f.overdue_on is not None:
            clauses.append(f"{DUE} < ? AND i.status <> 'completed'")
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
            "a.name AS actor_name, i.successor_id, s.name AS successor_name, i.status, "
            f"{DUE} AS due, i.next_meeting_at "
            f"FROM {ITEMS_FROM} LEFT JOIN handover_ownership o ON o.item_id = i.item_id "
            "LEFT JOIN handover_reps a ON a.rep_id = i.actor_id "
            "LEFT JOIN handover_reps s ON s.rep_id = i.successor_id"
            f"{where} ORDER BY {ITEM_ORDER}{page}",
            (*params, *(() if limit is None else (limit, offset))))
        return [{**{k: v for k, v in r.items() if k != "item_id"}, "id": r["item_id"],
                 "due": self.read.value("date", r["due"]),
                 "next_meeting_at": self.read.value("timestamp", r["next_meeting_at"]),
                 "waiting": r["tier"] == Tier.UPPER and r["due"] is None} for r in found]

    def count(self, departing_rep_id: str, f: ItemFilter = ItemFilter()) -> int:
        """How many of the rep's items ``f`` keeps."""
        where, params = self._where(departing_rep_id, f)
        return int(self._select(f"SELECT COUNT(*) AS n FROM {ITEMS_FROM}{where}",
                                params)[0]["n"])

    def summary(self, departing_rep_id: str | None = None,
                visible_to: str | None = None) -> dict[str, int]:
        """How many items are pending, introduced and completed (of one rep, or of everyone;
        only those ``visible_to`` takes over or must act on, if named)."""
        where, params = self._where(departing_rep_id, ItemFilter(visible_to=visible_to))
        found = self._select(f"SELECT i.status, COUNT(*) AS n FROM {ITEMS_FROM}{where} "
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


def kept(items: list[dict[str, Any]], f: ItemFilter) -> list[dict[str, Any]]:
    """The items of a listing (``planned``) that ``f`` keeps, as ``items_for`` keeps rows."""
    return [i for i in items
            if (f.tier is None or i["tier"] == f.tier)
            and (f.status is None or i["status"] == f.status)
            and (f.overdue_on is None or (i["due"] is not None and i["due"] < f.overdue_on
                                          and i["status"] != HandOverStatus.COMPLETED))
            and (f.visible_to is None or f.visible_to in (i["successor_id"], i["actor_id"]))]
