"""Work lists: one row per lead, account, opportunity, order and rep, as the lists show it.

Tables (each searchable one has ``search``: the words of its names and email, lower case,
``projections.base.search_text``; an erased person's placeholder is no word)
- ``lists_leads``: person, company, email, status (open, qualified, disqualified, converted),
  score, channel, region, owner (None until assigned), captured_at, last_contact_at (the last
  interaction logged on the lead).
- ``lists_accounts``: name, region, industry, grade, owner, opened_at, ``open_opportunities``
  (deals on it not closed yet), last_contact_at (on the account or any of its deals).
- ``lists_opportunities``: name, account, stage, probability, amount, currency, weighted
  amount, owner, expected close, opened_at, stage_entered_at (days in stage are counted at
  query time), last_contact_at, ``open``; its words are the deal's and the account's names.
- ``lists_orders``: account, status (as ``domain.order`` folds it), total, paid, currency,
  placed_at.
- ``lists_reps``: name, email, role, team, region, manager, active (false once departed),
  hired_at: the names beside every owner id, and the reps' own list.
"""

from decimal import Decimal

from domain.account import (
    AccountGraded,
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
    LeadHandedOver,
    LeadInteractionLogged,
    LeadQualified,
    LeadScored,
)
from domain.opportunity import (
    OpportunityAmountChanged,
    OpportunityCloseDateChanged,
    OpportunityHandedOver,
    OpportunityInteractionLogged,
    OpportunityOpened,
    OpportunityOwnerChanged,
    OpportunityStageChanged,
)
from domain.order import (
    OrderBackOrdered,
    OrderCancelled,
    OrderConfirmed,
    OrderInvoiced,
    OrderPaid,
    OrderPlaced,
    OrderRejected,
    OrderReserved,
    OrderShipped,
)
from domain.rep import RepDeparted, RepHired, RepMoved
from domain.stages import Stage, is_open
from projections.base import Column, EventRecord, Projection, Row, Rows, Table, on, search_text

ERASED = "[erased]"  # how a destroyed subject key reads (infra.eventstore.subjects.ERASED)

LEADS = Table("lists_leads", (
    Column("lead_id"), Column("person"), Column("company"), Column("email"), Column("status"),
    Column("score", "int"), Column("channel"), Column("region"), Column("owner_id"),
    Column("captured_at", "timestamp"), Column("last_contact_at", "timestamp"),
    Column("search"),
), key=("lead_id",), search="search", indexes=(
    ("captured_at", "lead_id"), ("owner_id", "captured_at", "lead_id"), ("score", "lead_id"),
    ("status", "captured_at", "lead_id"), ("person", "lead_id"), ("company", "lead_id")))

ACCOUNTS = Table("lists_accounts", (
    Column("account_id"), Column("name"), Column("region"), Column("industry"),
    Column("grade"), Column("owner_id"), Column("opened_at", "timestamp"),
    Column("open_opportunities", "int"), Column("last_contact_at", "timestamp"),
    Column("search"),
), key=("account_id",), search="search", indexes=(
    ("name", "account_id"), ("owner_id", "name", "account_id"), ("opened_at", "account_id")))

OPPORTUNITIES = Table("lists_opportunities", (
    Column("opportunity_id"), Column("name"), Column("account_id"), Column("stage"),
    Column("probability", "int"), Column("amount", "numeric"), Column("currency"),
    Column("weighted_amount", "numeric"), Column("owner_id"), Column("expected_close", "date"),
    Column("opened_at", "timestamp"), Column("stage_entered_at", "timestamp"),
    Column("last_contact_at", "timestamp"), Column("open", "bool"), Column("search"),
), key=("opportunity_id",), search="search", indexes=(
    ("expected_close", "opportunity_id"), ("owner_id", "expected_close", "opportunity_id"),
    ("stage", "expected_close", "opportunity_id"), ("opened_at", "opportunity_id"),
    ("amount", "opportunity_id"), ("name", "opportunity_id"), ("account_id",)))

ORDERS = Table("lists_orders", (
    Column("order_id"), Column("account_id"), Column("status"), Column("total", "numeric"),
    Column("paid", "numeric"), Column("currency"), Column("placed_at", "timestamp"),
), key=("order_id",), indexes=(("placed_at", "order_id"), ("account_id", "placed_at", "order_id")))

REPS = Table("lists_reps", (
    Column("rep_id"), Column("name"), Column("email"), Column("role"), Column("team"),
    Column("region"), Column("manager_id"), Column("active", "bool"),
    Column("hired_at", "timestamp"), Column("search"),
), key=("rep_id",), search="search", indexes=(("name", "rep_id"), ("team", "name", "rep_id")))

LEAD_STATUS = {LeadQualified: "qualified", LeadDisqualified: "disqualified",
               LeadConverted: "converted"}
ORDER_STATUS = {OrderReserved: "reserved", OrderBackOrdered: "back_ordered",
                OrderRejected: "rejected", OrderConfirmed: "confirmed",
                OrderInvoiced: "invoiced", OrderCancelled: "cancelled"}


def weighted(amount: Decimal, probability: int) -> Decimal:
    return (amount * probability / 100).quantize(Decimal("0.01"))


class WorkListsProjection(Projection):
    name = "lists"
    cost = 3
    tables = (LEADS, ACCOUNTS, OPPORTUNITIES, ORDERS, REPS)

    # --- leads ------------------------------------------------------------------------------
    @on(LeadCaptured)
    def _lead_captured(self, e: EventRecord, lead: LeadCaptured, rows: Rows) -> None:
        rows.put(LEADS.name, {
            "lead_id": e.stream_id, "person": lead.person, "company": lead.company,
            "email": lead.email, "status": "open", "score": 0, "channel": lead.channel,
            "region": lead.region, "owner_id": None, "captured_at": e.occurred_at,
            "last_contact_at": None,
            "search": search_text(lead.person, lead.company, lead.email, skip=(ERASED,))})

    @on(LeadScored)
    def _lead_scored(self, e: EventRecord, scored: LeadScored, rows: Rows) -> None:
        _update(rows, LEADS, e, score=scored.score)

    @on(LeadAssigned)
    def _lead_assigned(self, e: EventRecord, assigned: LeadAssigned, rows: Rows) -> None:
        _update(rows, LEADS, e, owner_id=assigned.rep_id)

    @on(LeadQualified, LeadDisqualified, LeadConverted)
    def _lead_status(self, e: EventRecord,
                     event: LeadQualified | LeadDisqualified | LeadConverted,
                     rows: Rows) -> None:
        _update(rows, LEADS, e, status=LEAD_STATUS[type(event)])

    @on(LeadInteractionLogged)
    def _lead_contacted(self, e: EventRecord, _: LeadInteractionLogged, rows: Rows) -> None:
        _update(rows, LEADS, e, last_contact_at=e.occurred_at)

    # --- accounts ---------------------------------------------------------------------------
    @on(AccountOpened)
    def _account_opened(self, e: EventRecord, account: AccountOpened, rows: Rows) -> None:
        rows.put(ACCOUNTS.name, {
            "account_id": e.stream_id, "name": account.name, "region": account.region,
            "industry": account.industry, "grade": None, "owner_id": account.owner_id,
            "opened_at": e.occurred_at, "open_opportunities": 0, "last_contact_at": None,
            "search": search_text(account.name)})

    @on(AccountGraded)
    def _account_graded(self, e: EventRecord, graded: AccountGraded, rows: Rows) -> None:
        _update(rows, ACCOUNTS, e, grade=graded.grade)

    @on(AccountInteractionLogged)
    def _account_contacted(self, e: EventRecord, _: AccountInteractionLogged,
                           rows: Rows) -> None:
        _update(rows, ACCOUNTS, e, last_contact_at=e.occurred_at)

    # --- owners of leads, accounts and deals ------------------------------------------------
    @on(LeadHandedOver, AccountHandedOver, OpportunityHandedOver)
    def _handed_over(self, e: EventRecord,
                     handed: LeadHandedOver | AccountHandedOver | OpportunityHandedOver,
                     rows: Rows) -> None:
        _update(rows, _table_of(handed), e, owner_id=handed.to_rep_id)

    @on(AccountOwnerChanged, OpportunityOwnerChanged)
    def _owner_changed(self, e: EventRecord,
                       changed: AccountOwnerChanged | OpportunityOwnerChanged,
                       rows: Rows) -> None:
        _update(rows, _table_of(changed), e, owner_id=changed.owner_id)

    # --- opportunities ----------------------------------------------------------------------
    @on(OpportunityOpened)
    def _deal_opened(self, e: EventRecord, opened: OpportunityOpened, rows: Rows) -> None:
        account = rows.get(ACCOUNTS.name, (opened.account_id,))
        rows.put(OPPORTUNITIES.name, {
            "opportunity_id": e.stream_id, "name": opened.name,
            "account_id": opened.account_id, "stage": opened.stage,
            "probability": opened.probability, "amount": opened.amount,
            "currency": opened.currency,
            "weighted_amount": weighted(opened.amount, opened.probability),
            "owner_id": opened.owner_id, "expected_close": opened.expected_close,
            "opened_at": e.occurred_at, "stage_entered_at": e.occurred_at,
            "last_contact_at": None, "open": True,
            "search": search_text(opened.name, account["name"] if account else None)})
        _count_open_deal(rows, opened.account_id, +1)

    @on(OpportunityStageChanged)
    def _stage_changed(self, e: EventRecord, changed: OpportunityStageChanged,
                       rows: Rows) -> None:
        deal = _row(rows, OPPORTUNITIES, e)
        still_open = is_open(Stage(changed.to_stage))
        if deal["open"] and not still_open:
            _count_open_deal(rows, deal["account_id"], -1)
        deal.update(stage=changed.to_stage, probability=changed.probability,
                    weighted_amount=weighted(deal["amount"], changed.probability),
                    stage_entered_at=e.occurred_at, open=still_open)
        rows.put(OPPORTUNITIES.name, deal)

    @on(OpportunityAmountChanged)
    def _amount_changed(self, e: EventRecord, changed: OpportunityAmountChanged,
                        rows: Rows) -> None:
        deal = _row(rows, OPPORTUNITIES, e)
        deal.update(amount=changed.amount,
                    weighted_amount=weighted(changed.amount, deal["probability"]))
        rows.put(OPPORTUNITIES.name, deal)

    @on(OpportunityCloseDateChanged)
    def _close_date_changed(self, e: EventRecord, changed: OpportunityCloseDateChanged,
                            rows: Rows) -> None:
        _update(rows, OPPORTUNITIES, e, expected_close=changed.expected_close)

    @on(OpportunityInteractionLogged)
    def _deal_contacted(self, e: EventRecord, _: OpportunityInteractionLogged,
                        rows: Rows) -> None:
        deal = _update(rows, OPPORTUNITIES, e, last_contact_at=e.occurred_at)
        account = rows.get(ACCOUNTS.name, (deal["account_id"],))
        if account is not None:
            account["last_contact_at"] = e.occurred_at
            rows.put(ACCOUNTS.name, account)

    # --- orders -----------------------------------------------------------------------------
    @on(OrderPlaced)
    def _order_placed(self, e: EventRecord, placed: OrderPlaced, rows: Rows) -> None:
        rows.put(ORDERS.name, {
            "order_id": e.stream_id, "account_id": placed.account_id, "status": "placed",
            "total": placed.total, "paid": Decimal(0), "currency": placed.currency,
            "placed_at": e.occurred_at})

    @on(OrderReserved, OrderBackOrdered, OrderRejected)
    def _order_reserved(self, e: EventRecord,
                        event: OrderReserved | OrderBackOrdered | OrderRejected,
                        rows: Rows) -> None:
        _update(rows, ORDERS, e, status=ORDER_STATUS[type(event)])

    @on(OrderConfirmed, OrderInvoiced, OrderCancelled)
    def _order_moved(self, e: EventRecord, event: OrderConfirmed | OrderInvoiced | OrderCancelled,
                     rows: Rows) -> None:
        _update(rows, ORDERS, e, status=ORDER_STATUS[type(event)])

    @on(OrderShipped)
    def _order_shipped(self, e: EventRecord, shipped: OrderShipped, rows: Rows) -> None:
        _update(rows, ORDERS, e, status="shipped" if shipped.complete else "partially_shipped")

    @on(OrderPaid)
    def _order_paid(self, e: EventRecord, paid: OrderPaid, rows: Rows) -> None:
        order = _row(rows, ORDERS, e)
        order["paid"] += paid.amount
        order["status"] = "paid" if order["paid"] >= order["total"] else "invoiced"
        rows.put(ORDERS.name, order)

    # --- reps -------------------------------------------------------------------------------
    @on(RepHired)
    def _rep_hired(self, e: EventRecord, rep: RepHired, rows: Rows) -> None:
        rows.put(REPS.name, {
            "rep_id": e.stream_id, "name": rep.name, "email": rep.email, "role": rep.role,
            "team": rep.team, "region": rep.region, "manager_id": rep.manager_id,
            "active": True, "hired_at": e.occurred_at,
            "search": search_text(rep.name, rep.email)})

    @on(RepMoved)
    def _rep_moved(self, e: EventRecord, moved: RepMoved, rows: Rows) -> None:
        _update(rows, REPS, e, team=moved.team, region=moved.region,
                manager_id=moved.manager_id)

    @on(RepDeparted)
    def _rep_departed(self, e: EventRecord, _: RepDeparted, rows: Rows) -> None:
        _update(rows, REPS, e, active=False)


def _table_of(event: object) -> Table:
    if isinstance(event, LeadHandedOver):
        return LEADS
    return ACCOUNTS if isinstance(event, AccountHandedOver | AccountOwnerChanged) else OPPORTUNITIES


def _row(rows: Rows, table: Table, e: EventRecord) -> Row:
    row = rows.get(table.name, (e.stream_id,))
    if row is None:
        raise LookupError(f"{e.type} for {e.stream_id}, which {table.name} never had")
    return row


def _update(rows: Rows, table: Table, e: EventRecord, **changes: object) -> Row:
    row = _row(rows, table, e)
    row.update(changes)
    rows.put(table.name, row)
    return row


def _count_open_deal(rows: Rows, account_id: str, change: int) -> None:
    account = rows.get(ACCOUNTS.name, (account_id,))
    if account is not None:
        account["open_opportunities"] += change
        rows.put(ACCOUNTS.name, account)
