"""Customer timeline read model: real commands, exact events and states, SQLite and PostgreSQL."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from infra.bootstrap import read_models as open_read_models
from infra.readside.queries.timeline import TimelineQueries, domain_event
from infra.service.commands import CommandContext
from infra.settings import Settings
from projections.customer_timeline.projection import CustomerTimelineProjection
from tests.conftest import at


@pytest.fixture
def models(database_url, sales):
    m = open_read_models(Settings(database_url=database_url), [CustomerTimelineProjection()])
    yield m
    m.close()


@dataclass
class World:
    ann: str
    bob: str
    lead: str
    account: str
    contact: str
    deal: str
    order: str
    cancelled: str
    beta: str
    beta_deal: str
    beta_order: str
    graded_ctx: CommandContext
    graded_position: int
    graded_event_id: str


def _other_customer(sales, bob):
    beta = str(sales.accounts.open(at(2), name="Beta", region="south", owner_id=bob).stream_id)
    deal = str(sales.opportunities.open(at(2), account_id=beta, owner_id=bob, name="beta deal",
                                        amount=Decimal(5000),
                                        expected_close=date(2027, 1, 31)).stream_id)
    order = str(sales.orders.place(at(3), account_id=beta, lines=[("W-1", 1)]).stream_id)
    return beta, deal, order


def _world(sales):
    ann = str(sales.reps.hire(at(1), name="Ann", email="ann@example.com", role="rep",
                              team="north", region="north").stream_id)
    bob = str(sales.reps.hire(at(1), name="Bob", email="bob@example.com", role="rep",
                              team="south", region="south").stream_id)
    sales.stock.register(at(1), sku="W-1", name="Widget", base_price=Decimal(100))
    sales.stock.receive(at(1), "W-1", quantity=50)
    lead = str(sales.leads.capture(at(2), person="Lea Park", company="Acme", email="lea@acme.com",
                                   channel="web_form", region="north").stream_id)
    beta, beta_deal, beta_order = _other_customer(sales, bob)
    sales.leads.assign(at(3), lead, rep_id=ann)
    sales.leads.log_interaction(at(3, 15), lead, interaction_id="i1", kind="call", notes="keen")
    sales.leads.qualify(at(4), lead)
    converted = sales.conversion.convert(at(5), lead)
    account, deal = converted.account_id, converted.opportunity_id
    sales.opportunities.change_stage(at(8), deal, stage="proposal")
    graded_ctx = at(9)
    graded = sales.accounts.grade(graded_ctx, account, grade="A")
    sales.opportunities.change_stage(at(12), deal, stage="closed_won")
    order = str(sales.orders.place(at(13), account_id=account, lines=[("W-1", 5)],
                                   opportunity_id=deal).stream_id)
    sales.orders.confirm(at(14), order)
    sales.orders.ship(at(15), order, shipment_id="s1", lines=[("W-1", 5)])
    cancelled = str(sales.orders.place(at(16), account_id=account, lines=[("W-1", 2)]).stream_id)
    sales.orders.cancel(at(17), cancelled, reason="changed their mind")
    return World(ann, bob, lead, account, converted.contact_id, deal, order, cancelled, beta,
                 beta_deal, beta_order, graded_ctx, graded.position, graded.event_ids[0])


def _queries(models):
    models.catch_up()
    return TimelineQueries(models.db, models.conn, models.log, models.log_conn)


def test_the_leads_earlier_events_then_account_deal_order_and_stock_in_global_order(sales, models):
    w = _world(sales)
    q = _queries(models)

    events = q.timeline(w.account)

    assert [(e["stream_type"], e["type"], e["stream_id"]) for e in events] == [
        ("Lead", "LeadCaptured", w.lead), ("Lead", "LeadScored", w.lead),
        ("Lead", "LeadAssigned", w.lead), ("Lead", "LeadInteractionLogged", w.lead),
        ("Lead", "LeadQualified", w.lead), ("Lead", "LeadConverted", w.lead),
        ("Account", "AccountOpened", w.account), ("Account", "ContactAdded", w.account),
        ("Opportunity", "OpportunityOpened", w.deal),
        ("Opportunity", "OpportunityStageChanged", w.deal),
        ("Account", "AccountGraded", w.account),
        ("Opportunity", "OpportunityStageChanged", w.deal),
        ("Opportunity", "OpportunityWon", w.deal),
        ("Order", "OrderPlaced", w.order), ("StockItem", "StockReserved", events[14]["stream_id"]),
        ("Order", "OrderReserved", w.order), ("Order", "OrderConfirmed", w.order),
        ("Order", "OrderShipped", w.order), ("StockItem", "StockShipped", events[14]["stream_id"]),
        ("Order", "OrderPlaced", w.cancelled),
        ("StockItem", "StockReserved", events[14]["stream_id"]),
        ("Order", "OrderReserved", w.cancelled), ("Order", "OrderCancelled", w.cancelled),
        ("StockItem", "StockReservationReleased", events[14]["stream_id"]),
    ]
    positions = [e["position"] for e in events]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    stock = [(e["type"], e["data"]) for e in events if e["stream_type"] == "StockItem"]
    assert stock == [
        ("StockReserved", {"order_id": w.order, "quantity": 5}),
        ("StockShipped", {"order_id": w.order, "shipment_id": "s1", "quantity": 5}),
        ("StockReserved", {"order_id": w.cancelled, "quantity": 2}),
        ("StockReservationReleased", {"order_id": w.cancelled, "quantity": 2}),
    ]
    assert [e["version"] for e in events if e["stream_id"] == w.lead] == [1, 2, 3, 4, 5, 6]


def test_each_event_carries_who_why_and_when_and_its_data_as_stored(sales, models):
    w = _world(sales)
    q = _queries(models)

    graded = next(e for e in q.timeline(w.account) if e["type"] == "AccountGraded")
    logged = next(e for e in q.timeline(w.account) if e["type"] == "LeadInteractionLogged")

    assert graded == {
        "position": w.graded_position, "event_id": w.graded_event_id, "stream_type": "Account",
        "stream_id": w.account, "version": 3, "type": "AccountGraded",
        "occurred_at": "2026-11-09T09:00:00+00:00", "actor": "tester",
        "correlation_id": w.graded_ctx.correlation_id,
        "causation_id": w.graded_ctx.correlation_id, "data": {"grade": "A"},
    }
    assert (logged["occurred_at"], logged["data"]) == (
        "2026-11-03T15:00:00+00:00",
        {"interaction_id": "i1", "kind": "call", "notes": "keen", "outcome": None})


def test_another_accounts_events_never_appear(sales, models):
    w = _world(sales)
    q = _queries(models)

    ours = {e["stream_id"] for e in q.timeline(w.account) if e["stream_type"] != "StockItem"}
    theirs = q.timeline(w.beta)

    assert ours == {w.lead, w.account, w.deal, w.order, w.cancelled}
    assert [(e["type"], e["stream_id"]) for e in theirs] == [
        ("AccountOpened", w.beta), ("OpportunityOpened", w.beta_deal),
        ("OrderPlaced", w.beta_order), ("StockReserved", theirs[3]["stream_id"]),
        ("OrderReserved", w.beta_order)]
    assert theirs[3]["data"] == {"order_id": w.beta_order, "quantity": 1}
    assert q.timeline("00000000-0000-0000-0000-000000000000") == []


def test_as_of_between_two_events_gives_the_earlier_ones_and_the_state_then(sales, models):
    w = _world(sales)
    q = _queries(models)
    everything = q.timeline(w.account)

    before = q.history(w.account, as_of=datetime(2026, 11, 10, tzinfo=UTC))
    after = q.history(w.account, as_of=datetime(2026, 11, 12, 9, tzinfo=UTC))

    assert before["events"] == everything[:11]  # up to AccountGraded on Nov 9
    assert after["events"] == everything[:13]  # the win at 09:00 on Nov 12 is included
    deal = {"id": w.deal, "name": "Acme: first deal", "stage": "proposal", "probability": 50,
            "amount": "10000", "currency": "EUR", "expected_close": "2027-02-03",
            "owner_id": w.ann, "products": [], "quotes": {}}
    assert before["state"]["opportunities"] == [deal]
    assert after["state"]["opportunities"] == [{**deal, "stage": "closed_won", "probability": 100}]
    assert (before["state"]["as_of"], before["state"]["position"]) == (
        "2026-11-10T00:00:00+00:00", everything[10]["position"])
    assert before["state"]["account"]["grade"] == "A" and before["state"]["orders"] == []


def test_as_of_before_the_conversion_shows_only_the_lead(sales, models):
    w = _world(sales)
    q = _queries(models)

    state = q.state_as_of(w.account, datetime(2026, 11, 4, 12))  # naive: taken as UTC

    assert state == {
        "as_of": "2026-11-04T12:00:00+00:00", "position": q.timeline(w.account)[4]["position"],
        "account": None, "opportunities": [], "orders": [],
        "leads": [{"id": w.lead, "status": "qualified", "person": "Lea Park", "company": "Acme",
                   "email": "lea@acme.com", "owner_id": w.ann,
                   "score": sales.leads.get(w.lead).score}],
    }


def test_state_now_folds_account_contacts_deals_and_orders(sales, models):
    w = _world(sales)
    q = _queries(models)

    state = q.state_as_of(w.account)

    line = {"sku": "W-1", "list_price": "100", "unit_price": "92.00",
            "price_rule": "base_price+grade_discount:A(-8%)"}
    assert state["account"] == {
        "id": w.account, "name": "Acme", "industry": None, "size": None, "region": "north",
        "owner_id": w.ann, "segment": None, "potential": None, "grade": "A",
        "handover_status": None,
        "contacts": [{"contact_id": w.contact, "name": "Lea Park", "email": "lea@acme.com",
                      "phone": None, "role": None, "preferences": []}],
        "follow_ups": [],
    }
    assert [lead["status"] for lead in state["leads"]] == ["converted"]
    assert [(o["id"], o["stage"]) for o in state["opportunities"]] == [(w.deal, "closed_won")]
    assert state["orders"] == [
        {"id": w.order, "status": "shipped", "total": "460.00", "currency": "EUR", "invoiced": "0",
         "paid": "0",
         "lines": [{**line, "quantity": 5, "line_total": "460.00"}],
         "shipped": [{"sku": "W-1", "quantity": 5}]},
        {"id": w.cancelled, "status": "cancelled", "total": "184.00", "currency": "EUR",
         "invoiced": "0",
         "paid": "0", "lines": [{**line, "quantity": 2, "line_total": "184.00"}],
         "shipped": []},
    ]
    assert (state["as_of"], state["position"]) == (None, q.timeline(w.account)[-1]["position"])


def test_old_event_shapes_are_upcast_before_folding():
    """An OpportunityOpened stored before ``currency`` existed (v1) still folds, in EUR."""
    v1 = {"opportunity_id": "o1", "account_id": "a1", "owner_id": "r1", "name": "old",
          "amount": "1200", "expected_close": "2027-01-31", "products": ["W-1"],
          "stage": "prospecting", "probability": 10, "source_lead_id": None}

    event = domain_event("OpportunityOpened", v1)

    assert (event.currency, event.amount) == ("EUR", Decimal(1200))  # type: ignore[attr-defined]
