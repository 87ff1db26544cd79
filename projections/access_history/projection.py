"""Who could see what, when: the facts the access rule reads, each with its interval.

Tables
- ``access_records``: every lead, account, opportunity, order and rep -> ``kind``, when it
  was ``created_at``, an order's ``account_id`` (an order is seen through its account), a
  rep's ``name``.
- ``access_facts``: the fact holding now, per subject: a record's ``owner`` (a rep id; none
  for a lead nobody owns yet), a rep's ``team``, ``since`` when.
- ``access_fact_history``: every earlier value of those facts, ``valid_from`` to
  ``valid_to`` (a value replaced at the instant it was set leaves no interval).
- ``access_tokens``: every token (by its stream) -> ``token_id``, ``role``, ``rep_id``,
  ``label``, ``issued_at``, ``revoked_at`` (none while valid). The secret never enters the
  store; the token table keeps its hash.
"""

from datetime import datetime

from domain.account import AccountHandedOver, AccountOpened, AccountOwnerChanged
from domain.lead import LeadAssigned, LeadCaptured, LeadHandedOver
from domain.opportunity import (
    OpportunityHandedOver,
    OpportunityOpened,
    OpportunityOwnerChanged,
)
from domain.order import OrderPlaced
from domain.rep import RepHired, RepMoved
from domain.token import TokenIssued, TokenRevoked
from projections.base import Column, EventRecord, Projection, Rows, Table, on

RECORDS = Table("access_records", (
    Column("record_id"), Column("kind"), Column("created_at", "timestamp"),
    Column("account_id"), Column("name"),
), key=("record_id",))

FACTS = Table("access_facts", (
    Column("subject_id"), Column("fact"), Column("value"), Column("since", "timestamp"),
), key=("subject_id", "fact"), indexes=(("fact", "value"),))

HISTORY = Table("access_fact_history", (
    Column("subject_id"), Column("fact"), Column("valid_from", "timestamp"),
    Column("valid_to", "timestamp"), Column("value"),
), key=("subject_id", "fact", "valid_from"))

TOKENS = Table("access_tokens", (
    Column("stream_id"), Column("token_id"), Column("role"), Column("rep_id"),
    Column("label"), Column("issued_at", "timestamp"), Column("revoked_at", "timestamp"),
), key=("stream_id",), indexes=(("issued_at",),))

OWNER, TEAM = "owner", "team"


class AccessHistoryProjection(Projection):
    name = "access_history"
    version = 1
    tables = (RECORDS, FACTS, HISTORY, TOKENS)
    splittable = True  # every row is one stream's: a record's, a rep's or a token's

    # --- records and their owners -----------------------------------------------------------
    @on(RepHired)
    def _rep_hired(self, e: EventRecord, rep: RepHired, rows: Rows) -> None:
        _record(rows, e, "rep", name=rep.name)
        _set(rows, e.stream_id, OWNER, e.stream_id, e.occurred_at)  # a rep is their own
        _set(rows, e.stream_id, TEAM, rep.team, e.occurred_at)

    @on(RepMoved)
    def _rep_moved(self, e: EventRecord, moved: RepMoved, rows: Rows) -> None:
        _set(rows, e.stream_id, TEAM, moved.team, e.occurred_at)

    @on(LeadCaptured)
    def _lead_captured(self, e: EventRecord, _: LeadCaptured, rows: Rows) -> None:
        _record(rows, e, "lead")
        _set(rows, e.stream_id, OWNER, None, e.occurred_at)

    @on(AccountOpened)
    def _account_opened(self, e: EventRecord, opened: AccountOpened, rows: Rows) -> None:
        _record(rows, e, "account")
        _set(rows, e.stream_id, OWNER, opened.owner_id, e.occurred_at)

    @on(OpportunityOpened)
    def _deal_opened(self, e: EventRecord, opened: OpportunityOpened, rows: Rows) -> None:
        _record(rows, e, "opportunity")
        _set(rows, e.stream_id, OWNER, opened.owner_id, e.occurred_at)

    @on(OrderPlaced)
    def _order_placed(self, e: EventRecord, placed: OrderPlaced, rows: Rows) -> None:
        _record(rows, e, "order", account_id=placed.account_id)

    @on(LeadAssigned)
    def _lead_assigned(self, e: EventRecord, assigned: LeadAssigned, rows: Rows) -> None:
        _set(rows, e.stream_id, OWNER, assigned.rep_id, e.occurred_at)

    @on(AccountOwnerChanged, OpportunityOwnerChanged)
    def _owner_changed(self, e: EventRecord,
                       changed: AccountOwnerChanged | OpportunityOwnerChanged,
                       rows: Rows) -> None:
        _set(rows, e.stream_id, OWNER, changed.owner_id, e.occurred_at)

    @on(LeadHandedOver, AccountHandedOver, OpportunityHandedOver)
    def _handed_over(self, e: EventRecord,
                     handed: LeadHandedOver | AccountHandedOver | OpportunityHandedOver,
                     rows: Rows) -> None:
        _set(rows, e.stream_id, OWNER, handed.to_rep_id, e.occurred_at)

    # --- tokens -----------------------------------------------------------------------------
    @on(TokenIssued)
    def _token_issued(self, e: EventRecord, issued: TokenIssued, rows: Rows) -> None:
        rows.put(TOKENS.name, {"stream_id": e.stream_id, "token_id": issued.token_id,
                               "role": issued.role, "rep_id": issued.rep_id,
                               "label": issued.label, "issued_at": e.occurred_at,
                               "revoked_at": None})

    @on(TokenRevoked)
    def _token_revoked(self, e: EventRecord, _: TokenRevoked, rows: Rows) -> None:
        found = rows.get(TOKENS.name, (e.stream_id,))
        if found is None:
            raise LookupError(f"TokenRevoked for {e.stream_id}, never issued")
        found["revoked_at"] = e.occurred_at
        rows.put(TOKENS.name, found)


def _record(rows: Rows, e: EventRecord, kind: str, *, account_id: str | None = None,
            name: str | None = None) -> None:
    rows.put(RECORDS.name, {"record_id": e.stream_id, "kind": kind,
                            "created_at": e.occurred_at, "account_id": account_id,
                            "name": name})


def _set(rows: Rows, subject_id: str, fact: str, value: str | None, at: datetime) -> None:
    """``fact`` of ``subject_id`` is ``value`` from ``at``; the value it replaces goes to the
    history with its interval."""
    now = rows.get(FACTS.name, (subject_id, fact))
    if now is not None:
        if now["value"] == value:
            return
        if now["since"] < at:
            rows.put(HISTORY.name, {"subject_id": subject_id, "fact": fact,
                                    "valid_from": now["since"], "valid_to": at,
                                    "value": now["value"]})
    rows.put(FACTS.name, {"subject_id": subject_id, "fact": fact, "value": value,
                          "since": at if now is None else max(at, now["since"])})
