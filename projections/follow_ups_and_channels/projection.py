"""Activities: follow-ups due and overdue per rep, interactions logged, and what each channel brings.

Tables
- ``activities_records``: every lead, account and opportunity -> ``record_kind`` lead | account |
  opportunity (version 3), its ``name`` (a lead's person and company), its current
  ``owner_id`` (None for a lead not assigned yet; hand-overs and owner changes move it),
  ``channel`` the lead came from (None for accounts), ``still_open`` (False once a lead is
  converted or disqualified: it accepts no changes, so its open follow-ups can never be done).
- ``activities_reps``: rep -> name, beside every owner id.
- ``activities_follow_ups``: one row per follow-up (key: record, follow-up id) -> ``due``,
  ``note``, ``scheduled_at``, ``scheduled_by`` (the actor), ``done``, ``completed_at``,
  ``outcome``. Its owner is the record's *current* owner, so queries join on the record.
- ``activities_interactions``: append-only log keyed by ``event_position`` -> record,
  ``interaction_id``, ``kind`` (call, email, meeting, visit), ``outcome``, ``contact_id``
  (accounts), ``actor`` (who logged it: the event's actor), ``owner_id`` (the record's owner
  then), ``logged_at``.
- ``activities_channels``: per lead channel -> ``leads`` captured, of which ``duplicates``
  flagged, ``qualified``, ``converted``, ``won_deals`` (won opportunities opened from its leads).
  Costs are configuration, so cost per lead and per won deal are computed at query time.
- ``activities_channel_revenue``: per channel and currency -> ``won_deals`` and
  ``won_revenue`` (their won amounts): amounts of different currencies are never added
  (version 2; version 1 kept one sum per channel).
- ``activities_deals``: opportunity -> ``source_lead_id`` and its ``channel`` (only deals opened
  from a lead), so a win can be credited to the channel.
"""

from decimal import Decimal
from typing import Any

from domain.account import (
    AccountFollowUpCompleted,
    AccountFollowUpScheduled,
    AccountHandedOver,
    AccountInteractionLogged,
    AccountOpened,
    AccountOwnerChanged,
)
from domain.lead import (
    LeadAssigned,
    LeadCaptured,
    LeadConverted,
    LeadDisqualified,
    LeadFollowUpCompleted,
    LeadFollowUpScheduled,
    LeadHandedOver,
    LeadInteractionLogged,
    LeadQualified,
)
from domain.opportunity import (
    OpportunityFollowUpCompleted,
    OpportunityFollowUpScheduled,
    OpportunityHandedOver,
    OpportunityInteractionLogged,
    OpportunityOpened,
    OpportunityOwnerChanged,
    OpportunityWon,
)
from domain.rep import RepHired
from projections.base import Column, EventRecord, Projection, Row, Rows, Table, on

RECORDS = Table("activities_records", (
    Column("record_id"), Column("record_kind"), Column("owner_id"), Column("channel"),
    Column("still_open", "bool"), Column("name"),
), key=("record_id",), indexes=(("owner_id",),))
REPS = Table("activities_reps", (Column("rep_id"), Column("name")), key=("rep_id",))

FOLLOW_UPS = Table("activities_follow_ups", (
    Column("record_id"), Column("follow_up_id"), Column("record_kind"), Column("due", "date"),
    Column("note"), Column("scheduled_at", "timestamp"), Column("scheduled_by"),
    Column("done", "bool"), Column("completed_at", "timestamp"), Column("outcome"),
), key=("record_id", "follow_up_id"), indexes=(("due",),))

INTERACTIONS = Table("activities_interactions", (
    Column("event_position", "bigint"), Column("record_kind"), Column("record_id"),
    Column("interaction_id"), Column("kind"), Column("outcome"), Column("contact_id"),
    Column("actor"), Column("owner_id"), Column("logged_at", "timestamp"),
), key=("event_position",), indexes=(("record_id",), ("actor",)), append_only=True)

CHANNELS = Table("activities_channels", (
    Column("channel"), Column("leads", "int"), Column("duplicates", "int"),
    Column("qualified", "int"), Column("converted", "int"), Column("won_deals", "int"),
), key=("channel",))

REVENUE = Table("activities_channel_revenue", (
    Column("channel"), Column("currency"), Column("won_deals", "int"),
    Column("won_revenue", "numeric"),
), key=("channel", "currency"))

DEALS = Table("activities_deals", (
    Column("opportunity_id"), Column("source_lead_id"), Column("channel"), Column("currency"),
), key=("opportunity_id",))


class FollowUpsAndChannelsProjection(Projection):
    name = "activities"
    version = 3
    cost = 3
    tables = (RECORDS, FOLLOW_UPS, INTERACTIONS, CHANNELS, REVENUE, DEALS, REPS)

    @on(RepHired)
    def _rep_hired(self, e: EventRecord, rep: RepHired, rows: Rows) -> None:
        rows.put(REPS.name, {"rep_id": e.stream_id, "name": rep.name})

    # --- records and their owners ---------------------------------------------------------
    @on(LeadCaptured)
    def _lead_captured(self, e: EventRecord, lead: LeadCaptured, rows: Rows) -> None:
        rows.put(RECORDS.name, {"record_id": e.stream_id, "record_kind": "lead", "owner_id": None,
                                "channel": lead.channel, "still_open": True,
                                "name": f"{lead.person} ({lead.company})"})
        _count(rows, lead.channel, "leads")
        if lead.duplicate_of is not None:
            _count(rows, lead.channel, "duplicates")

    @on(AccountOpened)
    def _account_opened(self, e: EventRecord, account: AccountOpened, rows: Rows) -> None:
        rows.put(RECORDS.name, {"record_id": e.stream_id, "record_kind": "account",
                                "owner_id": account.owner_id, "channel": None,
                                "still_open": True, "name": account.name})

    @on(LeadAssigned)
    def _lead_assigned(self, e: EventRecord, assigned: LeadAssigned, rows: Rows) -> None:
        _change(rows, e, owner_id=assigned.rep_id)

    @on(LeadHandedOver, AccountHandedOver, OpportunityHandedOver)
    def _handed_over(self, e: EventRecord,
                     handed: LeadHandedOver | AccountHandedOver | OpportunityHandedOver,
                     rows: Rows) -> None:
        _change(rows, e, owner_id=handed.to_rep_id)

    @on(AccountOwnerChanged, OpportunityOwnerChanged)
    def _owner_changed(self, e: EventRecord,
                       changed: AccountOwnerChanged | OpportunityOwnerChanged,
                       rows: Rows) -> None:
        _change(rows, e, owner_id=changed.owner_id)

    # --- lead outcomes, counted per channel -----------------------------------------------
    @on(LeadQualified)
    def _qualified(self, e: EventRecord, _: LeadQualified, rows: Rows) -> None:
        _count(rows, _record(rows, e)["channel"], "qualified")

    @on(LeadDisqualified)
    def _disqualified(self, e: EventRecord, _: LeadDisqualified, rows: Rows) -> None:
        _change(rows, e, still_open=False)

    @on(LeadConverted)
    def _converted(self, e: EventRecord, _: LeadConverted, rows: Rows) -> None:
        lead = _change(rows, e, still_open=False)
        _count(rows, lead["channel"], "converted")

    @on(OpportunityOpened)
    def _deal_opened(self, e: EventRecord, opened: OpportunityOpened, rows: Rows) -> None:
        # a closed deal's follow-ups can still be completed: it stays open for them
        rows.put(RECORDS.name, {"record_id": e.stream_id, "record_kind": "opportunity",
                                "owner_id": opened.owner_id, "channel": None,
                                "still_open": True, "name": opened.name})
        lead_id = opened.source_lead_id
        lead = rows.get(RECORDS.name, (lead_id,)) if lead_id else None
        if lead is not None:
            rows.put(DEALS.name, {"opportunity_id": e.stream_id, "source_lead_id": lead_id,
                                  "channel": lead["channel"], "currency": opened.currency})

    @on(OpportunityWon)
    def _deal_won(self, e: EventRecord, won: OpportunityWon, rows: Rows) -> None:
        deal = rows.get(DEALS.name, (e.stream_id,))
        if deal is not None:
            _count(rows, deal["channel"], "won_deals")
            _won(rows, deal["channel"], won.currency, won.amount)

    # --- interactions and follow-ups ------------------------------------------------------
    @on(LeadInteractionLogged, AccountInteractionLogged, OpportunityInteractionLogged)
    def _interaction(self, e: EventRecord, logged: LeadInteractionLogged
                     | AccountInteractionLogged | OpportunityInteractionLogged,
                     rows: Rows) -> None:
        record = _record(rows, e)
        contact_id = logged.contact_id if isinstance(logged, AccountInteractionLogged) else None
        rows.put(INTERACTIONS.name, {
            "event_position": e.position, "record_kind": record["record_kind"],
            "record_id": e.stream_id, "interaction_id": logged.interaction_id,
            "kind": logged.kind, "outcome": logged.outcome, "contact_id": contact_id,
            "actor": e.meta.get("actor"), "owner_id": record["owner_id"],
            "logged_at": e.occurred_at,
        })

    @on(LeadFollowUpScheduled, AccountFollowUpScheduled, OpportunityFollowUpScheduled)
    def _scheduled(self, e: EventRecord, scheduled: LeadFollowUpScheduled
                   | AccountFollowUpScheduled | OpportunityFollowUpScheduled,
                   rows: Rows) -> None:
        rows.put(FOLLOW_UPS.name, {
            "record_id": e.stream_id, "follow_up_id": scheduled.follow_up_id,
            "record_kind": _record(rows, e)["record_kind"], "due": scheduled.due,
            "note": scheduled.note, "scheduled_at": e.occurred_at,
            "scheduled_by": e.meta.get("actor"), "done": False, "completed_at": None,
            "outcome": None,
        })

    @on(LeadFollowUpCompleted, AccountFollowUpCompleted, OpportunityFollowUpCompleted)
    def _completed(self, e: EventRecord, completed: LeadFollowUpCompleted
                   | AccountFollowUpCompleted | OpportunityFollowUpCompleted,
                   rows: Rows) -> None:
        follow_up = rows.get(FOLLOW_UPS.name, (e.stream_id, completed.follow_up_id))
        if follow_up is None:
            raise LookupError(f"{e.type}: no follow-up {completed.follow_up_id} on {e.stream_id}")
        follow_up.update(done=True, completed_at=e.occurred_at, outcome=completed.outcome)
        rows.put(FOLLOW_UPS.name, follow_up)


def _record(rows: Rows, e: EventRecord) -> Row:
    record = rows.get(RECORDS.name, (e.stream_id,))
    if record is None:
        raise LookupError(f"{e.type} for {e.stream_id}, which was never captured or opened")
    return record


def _change(rows: Rows, e: EventRecord, **changes: Any) -> Row:
    record = _record(rows, e)
    record.update(changes)
    rows.put(RECORDS.name, record)
    return record


def _count(rows: Rows, channel: str, column: str) -> None:
    entry = rows.get(CHANNELS.name, (channel,)) or {
        "channel": channel, "leads": 0, "duplicates": 0, "qualified": 0, "converted": 0,
        "won_deals": 0}
    entry[column] += 1
    rows.put(CHANNELS.name, entry)


def _won(rows: Rows, channel: str, currency: str, amount: Decimal) -> None:
    entry = rows.get(REVENUE.name, (channel, currency)) or {
        "channel": channel, "currency": currency, "won_deals": 0, "won_revenue": Decimal(0)}
    entry["won_deals"] += 1
    entry["won_revenue"] += amount
    rows.put(REVENUE.name, entry)
