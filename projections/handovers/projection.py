"""Hand-over state: what each departing rep handed over, to whom, who must act, and what is left.

Tables
- ``handover_reps``: rep -> name, role, manager (current), and once departed: ``departed``,
  ``effective_date``, ``successor_id``, ``manager_id`` as it was at departure, ``departed_at``.
  A departure in steps: ``stage`` noticed -> approved -> departed (None: no departure),
  ``noticed_at``, ``approved_at``, and ``plan`` (item id -> successor id, the manager's
  split; every other item goes to ``successor_id``). ``first_tiers_open``: the lower- and
  middle-tier items handed over and not completed yet; ``upper_due``: when the upper tier is
  due, None while any of those is open (it counts from the later of the effective date and
  the day the last of them was completed).
- ``handover_items``: one row per item a departing rep handed over (key: departing rep, item).
  ``kind`` lead | account | opportunity; ``tier`` upper | middle | lower; ``action`` what is due;
  ``actor_id`` who must act (lower: the manager, middle: the departing rep, upper: the
  successor); ``successor_id`` the new owner; ``status`` pending -> introduced -> completed;
  ``due`` by when (the upper tier: see ``upper_due``); ``handed_over_at`` and
  ``status_changed_at`` when those happened; ``next_meeting_at`` the meeting agreed with the
  customer at the introduction.
- ``handover_ownership``: every lead, account and opportunity -> ``owner_id`` now (None for a
  lead not assigned yet), ``still_open`` (False once a lead is converted or disqualified, or a
  deal closed won or lost; accounts stay open) and ``last_departing_rep_id``, the rep its latest
  hand-over came from (``*HandOverAdvanced`` carries no rep: it advances that hand-over);
  an opportunity's ``probability`` and ``account_id`` (a planned hand-over's tier).
  An open item whose owner has departed was left unassigned: an error to show.
"""

from domain.account import (
    AccountHandedOver,
    AccountHandOverAdvanced,
    AccountOpened,
    AccountOwnerChanged,
)
from domain.handover import FIRST_TIERS, UPPER_TIER_DELAY, HandOverStatus
from domain.lead import (
    LeadAssigned,
    LeadCaptured,
    LeadConverted,
    LeadDisqualified,
    LeadHandedOver,
    LeadHandOverAdvanced,
)
from domain.opportunity import (
    OpportunityHandedOver,
    OpportunityHandOverAdvanced,
    OpportunityOpened,
    OpportunityOwnerChanged,
    OpportunityStageChanged,
)
from domain.rep import (
    RepDeparted,
    RepHandOverApproved,
    RepHandOverPlanned,
    RepHired,
    RepMoved,
    RepNoticeGiven,
)
from domain.stages import Stage, is_open
from domain.values import Tier
from projections.base import Column, EventRecord, Projection, Row, Rows, Table, on

REPS = Table("handover_reps", (
    Column("rep_id"), Column("name"), Column("role"), Column("manager_id"),
    Column("departed", "bool"), Column("effective_date", "date"), Column("successor_id"),
    Column("departed_at", "timestamp"), Column("stage"), Column("noticed_at", "timestamp"),
    Column("approved_at", "timestamp"), Column("plan", "json"),
    Column("first_tiers_open", "int"), Column("upper_due", "date"),
), key=("rep_id",))

ITEMS = Table("handover_items", (
    Column("departing_rep_id"), Column("kind"), Column("item_id"), Column("tier"),
    Column("action"), Column("actor_id"), Column("successor_id"), Column("status"),
    Column("due", "date"), Column("handed_over_at", "timestamp"),
    Column("status_changed_at", "timestamp"), Column("next_meeting_at", "timestamp"),
), key=("departing_rep_id", "item_id"), indexes=(("actor_id",), ("successor_id",)))

OWNERSHIP = Table("handover_ownership", (
    Column("item_id"), Column("kind"), Column("owner_id"), Column("still_open", "bool"),
    Column("last_departing_rep_id"), Column("name"), Column("probability", "int"),
    Column("account_id"),
), key=("item_id",), indexes=(("owner_id",),))


HandedOver = LeadHandedOver | AccountHandedOver | OpportunityHandedOver
HandOverAdvanced = LeadHandOverAdvanced | AccountHandOverAdvanced | OpportunityHandOverAdvanced


class HandOverProjection(Projection):
    name = "handover"
    # 2: every item's name (a lead's person and company, an account's, a deal's)
    # 3: departures in steps (notice, plan, approval), the upper tier's due date after the
    #    first tiers, the next meeting agreed at an introduction
    version = 3
    cost = 2
    tables = (REPS, ITEMS, OWNERSHIP)

    # --- reps -----------------------------------------------------------------------------
    @on(RepHired)
    def _rep_hired(self, e: EventRecord, rep: RepHired, rows: Rows) -> None:
        rows.put(REPS.name, {"rep_id": e.stream_id, "name": rep.name, "role": rep.role,
                             "manager_id": rep.manager_id, "departed": False,
                             "effective_date": None, "successor_id": None, "departed_at": None,
                             "stage": None, "noticed_at": None, "approved_at": None,
                             "plan": {}, "first_tiers_open": 0, "upper_due": None})

    @on(RepMoved)
    def _rep_moved(self, e: EventRecord, moved: RepMoved, rows: Rows) -> None:
        rep = _existing(rows, REPS, e)
        rep["manager_id"] = moved.manager_id
        rows.put(REPS.name, rep)

    @on(RepDeparted)
    def _rep_departed(self, e: EventRecord, departed: RepDeparted, rows: Rows) -> None:
        rep = _existing(rows, REPS, e)
        rep.update(departed=True, effective_date=departed.effective_date,
                   successor_id=departed.successor_id, departed_at=e.occurred_at,
                   stage="departed")
        _schedule_upper_tier(rep, e)
        rows.put(REPS.name, rep)

    @on(RepNoticeGiven)
    def _notice_given(self, e: EventRecord, notice: RepNoticeGiven, rows: Rows) -> None:
        rep = _existing(rows, REPS, e)
        rep.update(stage="noticed", effective_date=notice.effective_date,
                   successor_id=notice.successor_id, noticed_at=e.occurred_at)
        rows.put(REPS.name, rep)

    @on(RepHandOverPlanned)
    def _planned(self, e: EventRecord, planned: RepHandOverPlanned, rows: Rows) -> None:
        rep = _existing(rows, REPS, e)
        rep.update(stage="noticed", approved_at=None,
                   plan={a.item_id: a.successor_id for a in planned.assignments})
        rows.put(REPS.name, rep)

    @on(RepHandOverApproved)
    def _approved(self, e: EventRecord, _: RepHandOverApproved, rows: Rows) -> None:
        rep = _existing(rows, REPS, e)
        rep.update(stage="approved", approved_at=e.occurred_at)
        rows.put(REPS.name, rep)

    # --- who owns what, and is it still open ----------------------------------------------
    @on(LeadCaptured)
    def _lead_captured(self, e: EventRecord, lead: LeadCaptured, rows: Rows) -> None:
        _own(rows, e.stream_id, "lead", None, f"{lead.person} ({lead.company})")

    @on(AccountOpened)
    def _account_opened(self, e: EventRecord, account: AccountOpened, rows: Rows) -> None:
        _own(rows, e.stream_id, "account", account.owner_id, account.name)

    @on(OpportunityOpened)
    def _opportunity_opened(self, e: EventRecord, deal: OpportunityOpened, rows: Rows) -> None:
        _own(rows, e.stream_id, "opportunity", deal.owner_id, deal.name,
             probability=deal.probability, account_id=deal.account_id)

    @on(LeadAssigned)
    def _lead_assigned(self, e: EventRecord, assigned: LeadAssigned, rows: Rows) -> None:
        _change_owner(rows, e, assigned.rep_id)

    @on(AccountOwnerChanged, OpportunityOwnerChanged)
    def _owner_changed(self, e: EventRecord,
                       changed: AccountOwnerChanged | OpportunityOwnerChanged,
                       rows: Rows) -> None:
        _change_owner(rows, e, changed.owner_id)

    @on(LeadConverted, LeadDisqualified)
    def _lead_closed(self, e: EventRecord, _: LeadConverted | LeadDisqualified,
                     rows: Rows) -> None:
        _close(rows, e)

    @on(OpportunityStageChanged)
    def _stage_changed(self, e: EventRecord, changed: OpportunityStageChanged,
                       rows: Rows) -> None:
        item = _existing(rows, OWNERSHIP, e)
        item.update(probability=changed.probability,
                    still_open=bool(item["still_open"]) and is_open(Stage(changed.to_stage)))
        rows.put(OWNERSHIP.name, item)

    # --- hand-overs -----------------------------------------------------------------------
    @on(LeadHandedOver)
    def _lead_handed_over(self, e: EventRecord, handed: LeadHandedOver, rows: Rows) -> None:
        _handed_over(rows, e, handed, "lead")

    @on(AccountHandedOver)
    def _account_handed_over(self, e: EventRecord, handed: AccountHandedOver,
                             rows: Rows) -> None:
        _handed_over(rows, e, handed, "account")

    @on(OpportunityHandedOver)
    def _opportunity_handed_over(self, e: EventRecord, handed: OpportunityHandedOver,
                                 rows: Rows) -> None:
        _handed_over(rows, e, handed, "opportunity")

    @on(LeadHandOverAdvanced, AccountHandOverAdvanced, OpportunityHandOverAdvanced)
    def _advanced(self, e: EventRecord, advanced: HandOverAdvanced, rows: Rows) -> None:
        owner = _existing(rows, OWNERSHIP, e)
        key = (owner["last_departing_rep_id"], e.stream_id)
        handed = rows.get(ITEMS.name, key)
        if handed is None:
            raise LookupError(f"{e.type} for {e.stream_id}, which was never handed over")
        handed.update(status=advanced.status, status_changed_at=e.occurred_at)
        if advanced.next_meeting_at is not None:
            handed["next_meeting_at"] = advanced.next_meeting_at
        rows.put(ITEMS.name, handed)
        if advanced.status == HandOverStatus.COMPLETED and Tier(handed["tier"]) in FIRST_TIERS:
            rep = _existing_rep(rows, handed["departing_rep_id"], e)
            rep["first_tiers_open"] -= 1
            _schedule_upper_tier(rep, e)
            rows.put(REPS.name, rep)


def _existing(rows: Rows, table: Table, e: EventRecord) -> Row:
    row = rows.get(table.name, (e.stream_id,))
    if row is None:
        raise LookupError(f"{e.type} for {e.stream_id}, which {table.name} has never seen")
    return row


def _existing_rep(rows: Rows, rep_id: str, e: EventRecord) -> Row:
    rep = rows.get(REPS.name, (rep_id,))
    if rep is None:
        raise LookupError(f"{e.type} for {e.stream_id} names rep {rep_id}, never hired")
    return rep


def _schedule_upper_tier(rep: Row, e: EventRecord) -> None:
    """The upper tier is due a week after the later of the effective date and the day the
    last lower- or middle-tier item was completed; not yet while any of those is open."""
    if rep["first_tiers_open"] > 0 or rep["effective_date"] is None:
        rep["upper_due"] = None
        return
    start = max(rep["effective_date"], e.occurred_at.date())
    rep["upper_due"] = start + UPPER_TIER_DELAY


def _own(rows: Rows, item_id: str, kind: str, owner_id: str | None, name: str,
         probability: int = 0, account_id: str | None = None) -> None:
    rows.put(OWNERSHIP.name, {"item_id": item_id, "kind": kind, "owner_id": owner_id,
                              "still_open": True, "last_departing_rep_id": None, "name": name,
                              "probability": probability, "account_id": account_id})


def _change_owner(rows: Rows, e: EventRecord, owner_id: str) -> None:
    item = _existing(rows, OWNERSHIP, e)
    item["owner_id"] = owner_id
    rows.put(OWNERSHIP.name, item)


def _close(rows: Rows, e: EventRecord) -> None:
    item = _existing(rows, OWNERSHIP, e)
    item["still_open"] = False
    rows.put(OWNERSHIP.name, item)


def _handed_over(rows: Rows, e: EventRecord, handed: HandedOver, kind: str) -> None:
    if Tier(handed.tier) in FIRST_TIERS:
        rep = _existing_rep(rows, handed.from_rep_id, e)
        rep["first_tiers_open"] += 1
        _schedule_upper_tier(rep, e)
        rows.put(REPS.name, rep)
    item = _existing(rows, OWNERSHIP, e)
    item.update(owner_id=handed.to_rep_id, last_departing_rep_id=handed.from_rep_id)
    rows.put(OWNERSHIP.name, item)
    rows.put(ITEMS.name, {
        "departing_rep_id": handed.from_rep_id, "kind": kind, "item_id": e.stream_id,
        "tier": handed.tier, "action": handed.action, "actor_id": handed.actor_id,
        "successor_id": handed.to_rep_id, "status": "pending", "due": handed.due,
        "handed_over_at": e.occurred_at, "status_changed_at": e.occurred_at,
        "next_meeting_at": None,
    })
