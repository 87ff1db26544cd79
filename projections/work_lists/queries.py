"""The lists: leads, accounts, opportunities, orders and reps, each a ``paging.Listing`` with
its filters. Every item names the people and records it refers to (``owner_name``,
``account_name``, ``manager_name``), joined from the model's own tables at query time, so a
name is current even when the record changed owner or the owner moved team."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from domain.stages import OPEN_STAGES
from projections.base import Reader, Row
from projections.funnel.queries import STUCK_AFTER_DAYS
from projections.paging import Condition, Listing, Page, PageRequest, Scope, page
from projections.work_lists.projection import ACCOUNTS, LEADS, OPPORTUNITIES, ORDERS, REPS

OWNER_NAME = "LEFT JOIN lists_reps r ON r.rep_id = {}"
LEAD_LIST = Listing(
    source="FROM lists_leads l " + OWNER_NAME.format("l.owner_id"),
    columns="l.lead_id, l.person, l.company, l.email, l.status, l.score, l.channel, l.region, "
            "l.owner_id, r.name AS owner_name, l.captured_at, l.last_contact_at",
    key="l.lead_id", default_sort="-captured_at", owner="l.owner_id", search="l.search",
    sorts={"captured_at": "l.captured_at", "score": "l.score", "person": "l.person",
           "company": "l.company"},
    tables=(LEADS,))
ACCOUNT_LIST = Listing(
    source="FROM lists_accounts a " + OWNER_NAME.format("a.owner_id"),
    columns="a.account_id, a.name, a.region, a.industry, a.grade, a.owner_id, "
            "r.name AS owner_name, a.open_opportunities, a.opened_at, a.last_contact_at",
    key="a.account_id", default_sort="name", owner="a.owner_id", search="a.search",
    sorts={"name": "a.name", "opened_at": "a.opened_at"}, tables=(ACCOUNTS,))
OPPORTUNITY_LIST = Listing(
    source="FROM lists_opportunities o " + OWNER_NAME.format("o.owner_id")
           + " LEFT JOIN lists_accounts a ON a.account_id = o.account_id",
    columns="o.opportunity_id, o.name, o.account_id, a.name AS account_name, o.stage, "
            "o.probability, o.amount, o.currency, o.weighted_amount, o.owner_id, "
            "r.name AS owner_name, o.expected_close, o.opened_at, o.stage_entered_at, "
            "o.last_contact_at, o.open",
    key="o.opportunity_id", default_sort="expected_close", owner="o.owner_id",
    search="o.search",
    sorts={"expected_close": "o.expected_close", "amount": "o.amount",
           "opened_at": "o.opened_at", "name": "o.name"},
    tables=(OPPORTUNITIES,))
ORDER_LIST = Listing(
    source="FROM lists_orders d LEFT JOIN lists_accounts a ON a.account_id = d.account_id "
           + OWNER_NAME.format("a.owner_id"),
    columns="d.order_id, d.account_id, a.name AS account_name, a.owner_id, "
            "r.name AS owner_name, d.status, d.total, d.paid, d.currency, d.placed_at",
    key="d.order_id", default_sort="-placed_at", owner="a.owner_id",
    sorts={"placed_at": "d.placed_at", "total": "d.total"}, tables=(ORDERS,))
REP_LIST = Listing(
    source="FROM lists_reps p LEFT JOIN lists_reps m ON m.rep_id = p.manager_id",
    columns="p.rep_id, p.name, p.email, p.role, p.team, p.region, p.manager_id, "
            "m.name AS manager_name, p.active, p.hired_at",
    key="p.rep_id", default_sort="name", owner="p.rep_id", search="p.search",
    sorts={"name": "p.name", "hired_at": "p.hired_at"}, tables=(REPS,))


@dataclass(frozen=True)
class LeadFilters:
    status: str | None = None
    owner_id: str | None = None
    channel: str | None = None
    region: str | None = None
    min_score: int | None = None
    unassigned: bool = False


@dataclass(frozen=True)
class OpportunityFilters:
    stage: str | None = None
    owner_id: str | None = None
    team: str | None = None
    region: str | None = None
    closing_after: date | None = None
    closing_before: date | None = None
    no_contact_days: int | None = None
    stuck: bool = False
    open: bool | None = None


def _equal(**columns: Any) -> list[Condition]:
    """``column = ?`` for each filter given (None: not filtered)."""
    return [(f"{column} = ?", [value]) for column, value in columns.items()
            if value is not None]


class WorkListQueries:
    def __init__(self, read: Reader) -> None:
        self.read = read

    def leads(self, scope: Scope, request: PageRequest, f: LeadFilters = LeadFilters()) -> Page:
        conditions = _equal(**{"l.status": f.status, "l.owner_id": f.owner_id,
                               "l.channel": f.channel, "l.region": f.region})
        if f.min_score is not None:
            conditions.append(("l.score >= ?", [f.min_score]))
        if f.unassigned:
            conditions.append(("l.owner_id IS NULL", []))
        return page(self.read, LEAD_LIST, scope, request, conditions)

    def accounts(self, scope: Scope, request: PageRequest, owner_id: str | None = None,
                 region: str | None = None, grade: str | None = None) -> Page:
        conditions = _equal(**{"a.owner_id": owner_id, "a.region": region, "a.grade": grade})
        return page(self.read, ACCOUNT_LIST, scope, request, conditions)

    def opportunities(self, scope: Scope, request: PageRequest, now: datetime,
                      f: OpportunityFilters = OpportunityFilters()) -> Page:
        conditions = _equal(**{"o.stage": f.stage, "o.owner_id": f.owner_id, "r.team": f.team,
                               "a.region": f.region})
        stored = self.read.stored
        if f.open is not None:
            conditions.append(("o.open = ?", [stored("bool", f.open)]))
        if f.closing_after is not None:
            conditions.append(("o.expected_close >= ?", [stored("date", f.closing_after)]))
        if f.closing_before is not None:
            conditions.append(("o.expected_close <= ?", [stored("date", f.closing_before)]))
        if f.no_contact_days is not None:  # open deals silent since then (or since opening)
            silent_since = stored("timestamp", now - timedelta(days=f.no_contact_days))
            conditions.append(("o.open = ? AND COALESCE(o.last_contact_at, o.opened_at) <= ?",
                               [stored("bool", True), silent_since]))
        if f.stuck:
            conditions.append(self._stuck(now))
        found = page(self.read, OPPORTUNITY_LIST, scope, request, conditions)
        return Page([_with_days_in_stage(deal, now) for deal in found.items],
                    found.next_cursor)

    def _stuck(self, now: datetime) -> Condition:
        """Open deals longer in their stage than its threshold (``GET /v1/opportunities/stuck``'s
        rule): more than N whole days in it means entered N + 1 days before ``now`` or earlier."""
        stored, clauses, params = self.read.stored, [], []
        for stage in OPEN_STAGES:
            clauses.append("(o.stage = ? AND o.stage_entered_at <= ?)")
            params += [stage.value, stored("timestamp", _entered_by(now, stage))]
        return "(" + " OR ".join(clauses) + ")", params

    def orders(self, scope: Scope, request: PageRequest, account_id: str | None = None,
               status: str | None = None) -> Page:
        conditions = _equal(**{"d.account_id": account_id, "d.status": status})
        return page(self.read, ORDER_LIST, scope, request, conditions)

    def reps(self, scope: Scope, request: PageRequest, team: str | None = None,
             region: str | None = None, active: bool | None = None) -> Page:
        conditions = _equal(**{"p.team": team, "p.region": region})
        if active is not None:
            conditions.append(("p.active = ?", [self.read.stored("bool", active)]))
        return page(self.read, REP_LIST, scope, request, conditions)


def _entered_by(now: datetime, stage: str) -> datetime:
    """The latest entry into ``stage`` that makes a deal stuck at ``now``."""
    return now - timedelta(days=STUCK_AFTER_DAYS[stage] + 1)


def _with_days_in_stage(deal: Row, now: datetime) -> Row:
    in_stage = (now - deal["stage_entered_at"]).days
    silent_since = deal["last_contact_at"] or deal["opened_at"]
    stuck = deal["open"] and in_stage > STUCK_AFTER_DAYS.get(deal["stage"], in_stage)
    return {**deal, "days_in_stage": in_stage, "stuck": bool(stuck),
            "days_without_contact": (now - silent_since).days if deal["open"] else None}
