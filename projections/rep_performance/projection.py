"""Rep performance: who wins what, against which quota, and what it earns them.

Every count is kept per rep and per calendar month (UTC) of the event, so the query can
answer for any month, quarter or fiscal year (= calendar year) by adding months up.

Tables
- ``performance_reps``: rep -> name, team, region, manager, active (false once departed),
  and the current commission plan: ``commission_rate`` on won revenue and
  ``accelerated_rate`` on won revenue above quota (null: not tiered; both null: no plan).
- ``performance_quotas``: (rep, period) -> quota ``amount``; ``period`` exactly as set:
  ``2026-11`` (month), ``2026-Q4`` (quarter) or ``FY2026`` (fiscal year).
- ``performance_wins``: one row per won opportunity: the rep credited (the deal's owner when
  it was won), amount and currency, ``won_at`` (when it was won) and ``won_month``
  (``YYYY-MM`` of ``won_at``).
- ``performance_counts``: (rep, month ``YYYY-MM``) -> ``new_customers`` (accounts opened
  with the rep as owner), ``activities`` (interactions logged on a lead or account the rep
  owned at that moment: the record's owner gets the credit, not the event's actor, who may
  be an assistant, a manager or a system), ``leads_assigned`` (assignments to the rep, by
  rule or by hand; a hand-over on departure is not counted) and ``leads_converted`` (leads
  converted while the rep owned them).
- ``performance_owners``: lead, account or opportunity id -> its ``kind`` and current
  ``owner_id`` (who gets the win, the conversion or the activity).
"""

from datetime import UTC

from domain.account import (
    AccountHandedOver,
    AccountInteractionLogged,
    AccountOpened,
    AccountOwnerChanged,
)
from domain.lead import LeadAssigned, LeadConverted, LeadHandedOver, LeadInteractionLogged
from domain.opportunity import (
    OpportunityHandedOver,
    OpportunityOpened,
    OpportunityOwnerChanged,
    OpportunityWon,
)
from domain.rep import RepCommissionPlanSet, RepDeparted, RepHired, RepMoved, RepQuotaSet
from projections.base import Column, EventRecord, Projection, Rows, Table, on

REPS = Table("performance_reps", (
    Column("rep_id"), Column("name"), Column("team"), Column("region"), Column("manager_id"),
    Column("active", "bool"), Column("commission_rate", "numeric"),
    Column("accelerated_rate", "numeric"),
), key=("rep_id",), indexes=(("team",),))
QUOTAS = Table("performance_quotas", (Column("rep_id"), Column("period"),
                                      Column("amount", "numeric")), key=("rep_id", "period"))
WINS = Table("performance_wins", (
    Column("opportunity_id"), Column("rep_id"), Column("amount", "numeric"), Column("currency"),
    Column("won_at", "timestamp"), Column("won_month"),
), key=("opportunity_id",), indexes=(("won_month",),))
COUNTS = Table("performance_counts", (
    Column("rep_id"), Column("month"), Column("new_customers", "int"),
    Column("activities", "int"), Column("leads_assigned", "int"),
    Column("leads_converted", "int"),
), key=("rep_id", "month"), indexes=(("month",),))
OWNERS = Table("performance_owners", (Column("record_id"), Column("kind"), Column("owner_id")),
               key=("record_id",))
COUNTERS = ("new_customers", "activities", "leads_assigned", "leads_converted")


def month_of(e: EventRecord) -> str:
    return e.occurred_at.astimezone(UTC).strftime("%Y-%m")


class RepPerformanceProjection(Projection):
    name = "performance"
    version = 1
    cost = 2
    tables = (REPS, QUOTAS, WINS, COUNTS, OWNERS)

    # --- reps -----------------------------------------------------------------------------
    @on(RepHired)
    def _rep_hired(self, e: EventRecord, rep: RepHired, rows: Rows) -> None:
        rows.put(REPS.name, {"rep_id": e.stream_id, "name": rep.name, "team": rep.team,
                             "region": rep.region, "manager_id": rep.manager_id,
                             "active": True, "commission_rate": None, "accelerated_rate": None})

    @on(RepMoved)
    def _rep_moved(self, e: EventRecord, moved: RepMoved, rows: Rows) -> None:
        self._update_rep(rows, e, team=moved.team, region=moved.region,
                         manager_id=moved.manager_id)

    @on(RepDeparted)
    def _rep_departed(self, e: EventRecord, _: RepDeparted, rows: Rows) -> None:
        self._update_rep(rows, e, active=False)

    @on(RepCommissionPlanSet)
    def _commission_plan_set(self, e: EventRecord, plan: RepCommissionPlanSet,
                             rows: Rows) -> None:
        self._update_rep(rows, e, commission_rate=plan.rate,
                         accelerated_rate=plan.accelerated_rate)

    @on(RepQuotaSet)
    def _quota_set(self, e: EventRecord, quota: RepQuotaSet, rows: Rows) -> None:
        rows.put(QUOTAS.name, {"rep_id": e.stream_id, "period": quota.period,
                               "amount": quota.amount})

    @staticmethod
    def _update_rep(rows: Rows, e: EventRecord, **changes: object) -> None:
        rep = rows.get(REPS.name, (e.stream_id,))
        if rep is None:
            raise LookupError(f"rep {e.stream_id} was never hired")
        rep.update(changes)
        rows.put(REPS.name, rep)

    # --- who owns what --------------------------------------------------------------------
    @on(OpportunityOpened, OpportunityOwnerChanged)
    def _opportunity_owner(self, e: EventRecord,
                           owned: OpportunityOpened | OpportunityOwnerChanged,
                           rows: Rows) -> None:
        self._own(rows, e.stream_id, "opportunity", owned.owner_id)

    @on(OpportunityHandedOver)
    def _opportunity_handed_over(self, e: EventRecord, handed: OpportunityHandedOver,
                                 rows: Rows) -> None:
        self._own(rows, e.stream_id, "opportunity", handed.to_rep_id)

    @on(AccountOwnerChanged)
    def _account_owner_changed(self, e: EventRecord, changed: AccountOwnerChanged,
                               rows: Rows) -> None:
        self._own(rows, e.stream_id, "account", changed.owner_id)

    @on(AccountHandedOver)
    def _account_handed_over(self, e: EventRecord, handed: AccountHandedOver,
                             rows: Rows) -> None:
        self._own(rows, e.stream_id, "account", handed.to_rep_id)

    @on(LeadHandedOver)
    def _lead_handed_over(self, e: EventRecord, handed: LeadHandedOver, rows: Rows) -> None:
        self._own(rows, e.stream_id, "lead", handed.to_rep_id)

    # --- what counts ----------------------------------------------------------------------
    @on(OpportunityWon)
    def _won(self, e: EventRecord, won: OpportunityWon, rows: Rows) -> None:
        rows.put(WINS.name, {
            "opportunity_id": e.stream_id, "rep_id": self._owner(rows, e.stream_id),
            "amount": won.amount, "currency": won.currency,
            "won_at": e.occurred_at, "won_month": month_of(e)})

    @on(AccountOpened)
    def _account_opened(self, e: EventRecord, account: AccountOpened, rows: Rows) -> None:
        self._own(rows, e.stream_id, "account", account.owner_id)
        self._count(rows, account.owner_id, e, "new_customers")

    @on(LeadAssigned)
    def _lead_assigned(self, e: EventRecord, assigned: LeadAssigned, rows: Rows) -> None:
        self._own(rows, e.stream_id, "lead", assigned.rep_id)
        self._count(rows, assigned.rep_id, e, "leads_assigned")

    @on(LeadConverted)
    def _lead_converted(self, e: EventRecord, _: LeadConverted, rows: Rows) -> None:
        self._count(rows, self._owner(rows, e.stream_id), e, "leads_converted")

    @on(LeadInteractionLogged, AccountInteractionLogged)
    def _interaction(self, e: EventRecord, _: LeadInteractionLogged | AccountInteractionLogged,
                     rows: Rows) -> None:
        self._count(rows, self._owner(rows, e.stream_id), e, "activities")

    # --- helpers --------------------------------------------------------------------------
    @staticmethod
    def _own(rows: Rows, record_id: str, kind: str, owner_id: str) -> None:
        rows.put(OWNERS.name, {"record_id": record_id, "kind": kind, "owner_id": owner_id})

    @staticmethod
    def _owner(rows: Rows, record_id: str) -> str | None:
        """The current owner; None for a lead nobody was assigned yet."""
        found = rows.get(OWNERS.name, (record_id,))
        return found["owner_id"] if found else None

    @staticmethod
    def _count(rows: Rows, rep_id: str | None, e: EventRecord, counter: str) -> None:
        if rep_id is None:
            return  # an interaction on an unassigned lead is nobody's activity
        month = month_of(e)
        entry = rows.get(COUNTS.name, (rep_id, month)) or {
            "rep_id": rep_id, "month": month, **{c: 0 for c in COUNTERS}}
        entry[counter] += 1
        rows.put(COUNTS.name, entry)
