"""Hand-over state: what each departing rep handed over, to whom, who must act, and what is left.

Tables
- ``handover_reps``: rep -> name, role, manager (current), and once departed: ``departed``,
  ``effective_date``, ``successor_id``, ``manager_id`` as it was at departure, ``departed_at``.
- ``handover_items``: one row per item a departing rep handed over (key: departing rep, item).
  ``kind`` lead | account | opportunity; ``tier`` upper | middle | lower; ``action`` what is due;
  ``actor_id`` who must act (lower: the manager, middle: the departing rep, upper: the
  successor); ``successor_id`` the new owner; ``status`` pending -> introduced -> completed;
  ``due`` by when; ``handed_over_at`` and ``status_changed_at`` when those happened.
- ``handover_ownership``: every lead, account and opportunity -> ``owner_id`` now (None for a
  lead not assigned yet), ``still_open`` (False once a lead is converted or disqualified, or a
  deal closed won or lost; accounts stay open) and ``last_departing_rep_id``, the rep its latest
  hand-over came from (``*HandOverAdvanced`` carries no rep: it advances that hand-over).
  An open item whose owner has departed was left unassigned: an error to show.
"""

from domain.stages import Stage, is_open
from projections.base import Column, EventRecord, Projection, Row, Rows, Table, day

REPS = Table("handover_reps", (
    Column("rep_id"), Column("name"), Column("role"), Column("manager_id"),
    Column("departed", "bool"), Column("effective_date", "date"), Column("successor_id"),
    Column("departed_at", "timestamp"),
), key=("rep_id",))

ITEMS = Table("handover_items", (
    Column("departing_rep_id"), Column("kind"), Column("item_id"), Column("tier"),
    Column("action"), Column("actor_id"), Column("successor_id"), Column("status"),
    Column("due", "date"), Column("handed_over_at", "timestamp"),
    Column("status_changed_at", "timestamp"),
), key=("departing_rep_id", "item_id"), indexes=(("actor_id",), ("successor_id",)))

OWNERSHIP = Table("handover_ownership", (
    Column("item_id"), Column("kind"), Column("owner_id"), Column("still_open", "bool"),
    Column("last_departing_rep_id"),
), key=("item_id",), indexes=(("owner_id",),))


class HandOverProjection(Projection):
    name = "handover"
    version = 1
    cost = 2
    tables = (REPS, ITEMS, OWNERSHIP)
    topics = (
        "RepHired", "RepMoved", "RepDeparted",
        "LeadCaptured", "LeadAssigned", "LeadConverted", "LeadDisqualified",
        "LeadHandedOver", "LeadHandOverAdvanced",
        "AccountOpened", "AccountOwnerChanged", "AccountHandedOver", "AccountHandOverAdvanced",
        "OpportunityOpened", "OpportunityOwnerChanged", "OpportunityStageChanged",
        "OpportunityHandedOver", "OpportunityHandOverAdvanced",
    )

    def apply(self, event: EventRecord, rows: Rows) -> None:
        handler = getattr(self, f"_on_{event.type}")
        handler(event, rows)

    # --- reps -----------------------------------------------------------------------------
    def _on_RepHired(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        d = e.data
        rows.put(REPS.name, {"rep_id": e.stream_id, "name": d["name"], "role": d["role"],
                             "manager_id": d["manager_id"], "departed": False,
                             "effective_date": None, "successor_id": None, "departed_at": None})

    def _on_RepMoved(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        rep = _existing(rows, REPS, e)
        rep["manager_id"] = e.data["manager_id"]
        rows.put(REPS.name, rep)

    def _on_RepDeparted(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        rep = _existing(rows, REPS, e)
        rep.update(departed=True, effective_date=day(e.data["effective_date"]),
                   successor_id=e.data["successor_id"], departed_at=e.occurred_at)
        rows.put(REPS.name, rep)

    # --- who owns what, and is it still open ----------------------------------------------
    def _on_LeadCaptured(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        _own(rows, e.stream_id, "lead", None)

    def _on_AccountOpened(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        _own(rows, e.stream_id, "account", e.data["owner_id"])

    def _on_OpportunityOpened(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        _own(rows, e.stream_id, "opportunity", e.data["owner_id"])

    def _on_LeadAssigned(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        _change_owner(rows, e, e.data["rep_id"])

    def _on_AccountOwnerChanged(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        _change_owner(rows, e, e.data["owner_id"])

    def _on_OpportunityOwnerChanged(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        _change_owner(rows, e, e.data["owner_id"])

    def _on_LeadConverted(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        _close(rows, e)

    def _on_LeadDisqualified(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        _close(rows, e)

    def _on_OpportunityStageChanged(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        if not is_open(Stage(e.data["to_stage"])):
            _close(rows, e)

    # --- hand-overs -----------------------------------------------------------------------
    def _on_LeadHandedOver(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        _handed_over(rows, e, "lead")

    def _on_AccountHandedOver(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        _handed_over(rows, e, "account")

    def _on_OpportunityHandedOver(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        _handed_over(rows, e, "opportunity")

    def _on_LeadHandOverAdvanced(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        _advanced(rows, e)

    def _on_AccountHandOverAdvanced(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        _advanced(rows, e)

    def _on_OpportunityHandOverAdvanced(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        _advanced(rows, e)


def _existing(rows: Rows, table: Table, e: EventRecord) -> Row:
    row = rows.get(table.name, (e.stream_id,))
    if row is None:
        raise LookupError(f"{e.type} for {e.stream_id}, which {table.name} has never seen")
    return row


def _own(rows: Rows, item_id: str, kind: str, owner_id: str | None) -> None:
    rows.put(OWNERSHIP.name, {"item_id": item_id, "kind": kind, "owner_id": owner_id,
                              "still_open": True, "last_departing_rep_id": None})


def _change_owner(rows: Rows, e: EventRecord, owner_id: str) -> None:
    item = _existing(rows, OWNERSHIP, e)
    item["owner_id"] = owner_id
    rows.put(OWNERSHIP.name, item)


def _close(rows: Rows, e: EventRecord) -> None:
    item = _existing(rows, OWNERSHIP, e)
    item["still_open"] = False
    rows.put(OWNERSHIP.name, item)


def _handed_over(rows: Rows, e: EventRecord, kind: str) -> None:
    d = e.data
    item = _existing(rows, OWNERSHIP, e)
    item.update(owner_id=d["to_rep_id"], last_departing_rep_id=d["from_rep_id"])
    rows.put(OWNERSHIP.name, item)
    rows.put(ITEMS.name, {
        "departing_rep_id": d["from_rep_id"], "kind": kind, "item_id": e.stream_id,
        "tier": d["tier"], "action": d["action"], "actor_id": d["actor_id"],
        "successor_id": d["to_rep_id"], "status": "pending", "due": day(d["due"]),
        "handed_over_at": e.occurred_at, "status_changed_at": e.occurred_at,
    })


def _advanced(rows: Rows, e: EventRecord) -> None:
    owner = _existing(rows, OWNERSHIP, e)
    key = (owner["last_departing_rep_id"], e.stream_id)
    handed = rows.get(ITEMS.name, key)
    if handed is None:
        raise LookupError(f"{e.type} for {e.stream_id}, which was never handed over")
    handed.update(status=e.data["status"], status_changed_at=e.occurred_at)
    rows.put(ITEMS.name, handed)
