"""Deal intervals: each deal's facts (stage, probability, amount, currency, owner, expected
close, open) with the interval of time they held, so any instant can be answered exactly
from the events' own times — not by replaying the store per request.

Tables
- ``intervals_deals``: one row per deal and interval, numbered ``seq`` from 1 — the facts as
  they stood from ``valid_from`` (the instant of the event that set them, UTC) until
  ``valid_to`` (the instant of the next change; null while they still hold). ``position``
  and ``change`` are that event's place in the global order and its type; ``actor`` who
  recorded it. A deal holds the facts of the row with ``valid_from <= t < valid_to`` (or
  ``valid_to`` null) at instant ``t``; before its first ``valid_from`` it did not exist.
  An event that changes none of the facts (a quote, a hand-over step, an interaction)
  opens no interval.
- ``intervals_owner_moves``: each owner change of a deal (its interval ``seq``, ``at``, the
  owners before and after, when the deal opened), in a table of its own so that the changes
  after an instant of the deals open by then are read together.
- ``intervals_deal_heads``: each deal's current ``seq`` (the row with ``valid_to`` null),
  its ``name`` and ``products`` (a deal keeps those it opened with) and its current ``stay``.
- ``intervals_stays``: one row per stay of a deal in a stage — the ``seq`` of the interval
  it began with, ``stage``, ``entered_at``, ``left_at`` (null while it is there) and the
  ``owner_id`` when it entered: stages over time, and the time per stage by rep and team.
- ``intervals_handovers``: one row per hand-over of a deal — when (``at``), its ``tier``,
  from and to whom — so its outcome can be read beside deals never handed over.
- ``intervals_reps`` and ``intervals_rep_heads``: the same for each rep — ``team``,
  ``region``, ``manager_id`` and ``active`` (false from the departure on) with their
  intervals, and the rep's ``name``: whose team a deal's owner was in at any instant.
- ``intervals_quotas``: every quota set, with when (``set_at``): the quotas as they stood.
- ``intervals_plans``: every commission plan set, with when it was recorded (``set_at``) and
  the day it applies from (``effective_from``; a plan recorded without one, from the day it
  was recorded); ``intervals_credit_policies`` the same for the hand-over credit policy.
- ``intervals_accounts``: account -> ``region`` (a deal's region is its account's when it
  opened; an account's region never changes).
- ``intervals_totals`` and the tables beside it: the funnel's and the forecast's totals now,
  at the start of each month and changed per day (``projections.deal_intervals.totals``).

Version 2 added the region, the win (``won_amount``, ``won_currency``, ``won_at``: a win
opens an interval), the deal's ``products`` on its head, the quotas and the totals; version 3
the commission plans and credit policies; version 4 each total's change by each event
(``intervals_totals_moves``) and each deal's owner changes (``intervals_owner_moves``), so
an answer as of an instant reads neither the day's changed deals nor every deal handed
over since one by one.
"""

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from domain.account import AccountOpened
from domain.opportunity import (
    OpportunityAmountChanged,
    OpportunityCloseDateChanged,
    OpportunityHandedOver,
    OpportunityOpened,
    OpportunityOwnerChanged,
    OpportunityStageChanged,
    OpportunityWon,
)
from domain.policies import HandOverCreditPolicySet
from domain.rep import RepCommissionPlanSet, RepDeparted, RepHired, RepMoved, RepQuotaSet
from domain.stages import Stage, is_open
from projections.base import Column, EventRecord, Projection, Rows, Table, on
from projections.deal_intervals.totals import (
    DAYS,
    MARKS,
    MONTHS,
    MOVES,
    OWNER_TOTALS,
    TOTALS,
    move_shares,
)

INTERVAL = (Column("seq", "int"), Column("valid_from", "timestamp"),
            Column("valid_to", "timestamp"), Column("position", "bigint"), Column("change"),
            Column("actor"))
DEALS = Table("intervals_deals", (
    Column("opportunity_id"), *INTERVAL, Column("stage"), Column("probability", "int"),
    Column("amount", "numeric"), Column("currency"), Column("owner_id"), Column("account_id"),
    Column("expected_close", "date"), Column("open", "bool"), Column("region"),
    Column("won_amount", "numeric"), Column("won_currency"), Column("won_at", "timestamp"),
), key=("opportunity_id", "seq"),
    indexes=(("valid_from",), ("owner_id", "valid_from"), ("won_at",)))
OWNER_MOVES = Table("intervals_owner_moves", (
    Column("opportunity_id"), Column("seq", "int"), Column("at", "timestamp"),
    Column("from_owner"), Column("to_owner"), Column("opened_at", "timestamp"),
), key=("opportunity_id", "seq"), indexes=(("at",),), append_only=True)
DEAL_HEADS = Table("intervals_deal_heads", (
    Column("opportunity_id"), Column("seq", "int"), Column("name"), Column("stay", "int"),
    Column("products", "json"),
), key=("opportunity_id",))
STAYS = Table("intervals_stays", (
    Column("opportunity_id"), Column("seq", "int"), Column("stage"),
    Column("entered_at", "timestamp"), Column("left_at", "timestamp"), Column("owner_id"),
), key=("opportunity_id", "seq"), indexes=(("left_at",),))
HANDOVERS = Table("intervals_handovers", (
    Column("opportunity_id"), Column("position", "bigint"), Column("at", "timestamp"),
    Column("tier"), Column("from_rep_id"), Column("to_rep_id"),
), key=("opportunity_id", "position"), indexes=(("at",),), append_only=True)
REPS = Table("intervals_reps", (
    Column("rep_id"), *INTERVAL, Column("team"), Column("region"), Column("manager_id"),
    Column("active", "bool"),
), key=("rep_id", "seq"))
REP_HEADS = Table("intervals_rep_heads", (Column("rep_id"), Column("seq", "int"), Column("name")),
                  key=("rep_id",))
QUOTAS = Table("intervals_quotas", (
    Column("rep_id"), Column("period"), Column("position", "bigint"),
    Column("set_at", "timestamp"), Column("amount", "numeric"),
), key=("rep_id", "period", "position"), append_only=True)
PLANS = Table("intervals_plans", (
    Column("rep_id"), Column("position", "bigint"), Column("set_at", "timestamp"),
    Column("effective_from", "date"), Column("rate", "numeric"),
    Column("accelerated_rate", "numeric"),
), key=("rep_id", "position"), append_only=True)
CREDIT_POLICIES = Table("intervals_credit_policies", (
    Column("position", "bigint"), Column("set_at", "timestamp"), Column("effective_from", "date"),
    Column("upper", "numeric"), Column("middle", "numeric"), Column("lower", "numeric"),
), key=("position",), append_only=True)
ACCOUNTS = Table("intervals_accounts", (Column("account_id"), Column("region")),
                 key=("account_id",))


@dataclass(frozen=True)
class Kind:
    """What has intervals: its table, its heads table, its id column and its facts."""

    table: Table
    heads: Table
    id: str

    @cached_property
    def facts(self) -> tuple[str, ...]:
        skip = {self.id, *(c.name for c in INTERVAL)}
        return tuple(c.name for c in self.table.columns if c.name not in skip)


DEAL = Kind(DEALS, DEAL_HEADS, "opportunity_id")
REP = Kind(REPS, REP_HEADS, "rep_id")


class DealIntervalsProjection(Projection):
    name = "intervals"
    version = 4
    cost = 2
    tables = (DEALS, DEAL_HEADS, OWNER_MOVES, STAYS, HANDOVERS, REPS, REP_HEADS, QUOTAS,
              PLANS, CREDIT_POLICIES, ACCOUNTS, TOTALS, MONTHS, DAYS, MOVES, OWNER_TOTALS, MARKS)

    @on(RepHired)
    def _hired(self, e: EventRecord, hired: RepHired, rows: Rows) -> None:
        _begin(rows, REP, e, 1, {"team": hired.team, "region": hired.region,
                                 "manager_id": hired.manager_id, "active": True}, hired.name)

    @on(RepMoved)
    def _moved(self, e: EventRecord, moved: RepMoved, rows: Rows) -> None:
        _change(rows, REP, e, team=moved.team, region=moved.region, manager_id=moved.manager_id)

    @on(RepDeparted)
    def _departed(self, e: EventRecord, _: RepDeparted, rows: Rows) -> None:
        _change(rows, REP, e, active=False)

    @on(RepQuotaSet)
    def _quota_set(self, e: EventRecord, quota: RepQuotaSet, rows: Rows) -> None:
        rows.put(QUOTAS.name, {"rep_id": e.stream_id, "period": quota.period,
                               "position": e.position, "set_at": e.occurred_at,
                               "amount": quota.amount})

    @on(RepCommissionPlanSet)
    def _plan_set(self, e: EventRecord, plan: RepCommissionPlanSet, rows: Rows) -> None:
        rows.put(PLANS.name, {"rep_id": e.stream_id, "position": e.position,
                              "set_at": e.occurred_at,
                              "effective_from": plan.effective_from or e.occurred_at.date(),
                              "rate": plan.rate, "accelerated_rate": plan.accelerated_rate})

    @on(HandOverCreditPolicySet)
    def _credit_policy_set(self, e: EventRecord, policy: HandOverCreditPolicySet,
                           rows: Rows) -> None:
        rows.put(CREDIT_POLICIES.name, {"position": e.position, "set_at": e.occurred_at,
                                        "effective_from": policy.effective_from,
                                        "upper": policy.upper, "middle": policy.middle,
                                        "lower": policy.lower})

    @on(AccountOpened)
    def _account_opened(self, e: EventRecord, account: AccountOpened, rows: Rows) -> None:
        rows.put(ACCOUNTS.name, {"account_id": e.stream_id, "region": account.region})

    @on(OpportunityOpened)
    def _opened(self, e: EventRecord, opened: OpportunityOpened, rows: Rows) -> None:
        account = rows.get(ACCOUNTS.name, (opened.account_id,))
        facts = {"stage": opened.stage, "probability": opened.probability,
                 "amount": opened.amount, "currency": opened.currency,
                 "owner_id": opened.owner_id, "account_id": opened.account_id,
                 "expected_close": opened.expected_close,
                 "open": is_open(Stage(opened.stage)),
                 "region": account["region"] if account else "",
                 "won_amount": None, "won_currency": None, "won_at": None}
        products = sorted(set(opened.products))
        _begin(rows, DEAL, e, 1, facts, opened.name, products=products)
        _enter(rows, e, 1, opened.stage, opened.owner_id)
        move_shares(rows, None, facts, products, e.occurred_at, e.position)

    @on(OpportunityStageChanged)
    def _stage(self, e: EventRecord, changed: OpportunityStageChanged, rows: Rows) -> None:
        before = rows.get(DEAL_HEADS.name, (e.stream_id,))
        _change_deal(rows, e, stage=changed.to_stage, probability=changed.probability,
                     open=is_open(Stage(changed.to_stage)))
        head = rows.get(DEAL_HEADS.name, (e.stream_id,))
        assert before is not None and head is not None
        stay = rows.get(STAYS.name, (e.stream_id, before["stay"]))
        if stay is not None and stay["stage"] != changed.to_stage:
            rows.put(STAYS.name, {**stay, "left_at": e.occurred_at})
            current = rows.get(DEALS.name, (e.stream_id, head["seq"]))
            assert current is not None
            _enter(rows, e, head["seq"], changed.to_stage, current["owner_id"])

    @on(OpportunityAmountChanged)
    def _amount(self, e: EventRecord, changed: OpportunityAmountChanged, rows: Rows) -> None:
        _change_deal(rows, e, amount=changed.amount)

    @on(OpportunityCloseDateChanged)
    def _close_date(self, e: EventRecord, changed: OpportunityCloseDateChanged,
                    rows: Rows) -> None:
        _change_deal(rows, e, expected_close=changed.expected_close)

    @on(OpportunityOwnerChanged)
    def _owner(self, e: EventRecord, changed: OpportunityOwnerChanged, rows: Rows) -> None:
        _change_deal(rows, e, owner_id=changed.owner_id)

    @on(OpportunityHandedOver)
    def _handed_over(self, e: EventRecord, handed: OpportunityHandedOver, rows: Rows) -> None:
        _change_deal(rows, e, owner_id=handed.to_rep_id)
        rows.put(HANDOVERS.name, {"opportunity_id": e.stream_id, "position": e.position,
                                  "at": e.occurred_at, "tier": handed.tier,
                                  "from_rep_id": handed.from_rep_id,
                                  "to_rep_id": handed.to_rep_id})

    @on(OpportunityWon)
    def _won(self, e: EventRecord, won: OpportunityWon, rows: Rows) -> None:
        """The win is recorded with the stage change to closed won, at the same instant: it
        completes that interval instead of opening an empty one."""
        head = rows.get(DEAL_HEADS.name, (e.stream_id,))
        assert head is not None
        current = rows.get(DEALS.name, (e.stream_id, head["seq"]))
        assert current is not None
        won_facts = {"won_amount": won.amount, "won_currency": won.currency,
                     "won_at": e.occurred_at}
        if current["valid_from"] != e.occurred_at:
            _change_deal(rows, e, **won_facts)
            return
        rows.put(DEALS.name, {**current, **won_facts})
        move_shares(rows, current, {**current, **won_facts}, head["products"] or [],
                    e.occurred_at, e.position)


def _begin(rows: Rows, kind: Kind, e: EventRecord, seq: int, facts: dict[str, Any],
           name: str | None, moved_from: str | None = None, **head_facts: Any) -> None:
    rows.put(kind.table.name, {kind.id: e.stream_id, "seq": seq, "valid_from": e.occurred_at,
                               "valid_to": None, "position": e.position, "change": e.type,
                               "actor": e.meta.get("actor"), **facts})
    if moved_from is not None:  # an owner change of a deal
        first = rows.get(DEALS.name, (e.stream_id, 1))
        assert first is not None
        rows.put(OWNER_MOVES.name, {"opportunity_id": e.stream_id, "seq": seq,
                                    "at": e.occurred_at, "from_owner": moved_from,
                                    "to_owner": facts["owner_id"],
                                    "opened_at": first["valid_from"]})
    head = rows.get(kind.heads.name, (e.stream_id,)) or {}
    rows.put(kind.heads.name, {**head, **head_facts, kind.id: e.stream_id, "seq": seq,
                               "name": name})


def _enter(rows: Rows, e: EventRecord, seq: int, stage: str, owner_id: str) -> None:
    """The deal's stay in ``stage`` begins with its interval ``seq``."""
    rows.put(STAYS.name, {"opportunity_id": e.stream_id, "seq": seq, "stage": stage,
                          "entered_at": e.occurred_at, "left_at": None, "owner_id": owner_id})
    head = rows.get(DEAL_HEADS.name, (e.stream_id,))
    assert head is not None
    rows.put(DEAL_HEADS.name, {**head, "stay": seq})


def _change_deal(rows: Rows, e: EventRecord, **changes: Any) -> None:
    """``_change`` for a deal, whose shares of the totals move with its facts."""
    moved = _change(rows, DEAL, e, **changes)
    if moved is not None:
        head = rows.get(DEAL_HEADS.name, (e.stream_id,))
        assert head is not None
        move_shares(rows, *moved, head["products"] or [], e.occurred_at, e.position)


def _change(rows: Rows, kind: Kind, e: EventRecord,
            **changes: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Ends the record's current interval at the event's instant and begins the next with
    the facts changed, and returns the facts before and after; nothing when no fact
    changes."""
    head = rows.get(kind.heads.name, (e.stream_id,))
    if head is None:
        raise LookupError(f"{kind.id} {e.stream_id} has no first event")
    current = rows.get(kind.table.name, (e.stream_id, head["seq"]))
    assert current is not None, f"the head interval of {e.stream_id} is missing"
    facts = {name: current[name] for name in kind.facts}
    if all(facts[name] == value for name, value in changes.items()):
        return None
    rows.put(kind.table.name, {**current, "valid_to": e.occurred_at})
    after = {**facts, **changes}
    moved_from = facts["owner_id"] if after.get("owner_id") != facts.get("owner_id") else None
    _begin(rows, kind, e, head["seq"] + 1, after, head["name"], moved_from)
    return facts, after
