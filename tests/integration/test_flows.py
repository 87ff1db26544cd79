"""Cross-aggregate flows on SQLite and PostgreSQL: a crash between two steps, resuming, races.
The flows' decisions themselves are tested on the in-memory store (tests/service)."""

from decimal import Decimal
from uuid import uuid4

import pytest

from domain import order
from domain.errors import InsufficientStockError
from domain.pricing import PriceRequest
from infra.eventstore.group_commit import GroupCommitter
from infra.service.commands import Unit
from infra.service.flows.departure import DepartureFlow
from infra.service.flows.orders import ORDER
from tests.conftest import ctx


class Crash(Exception):
    """Stands in for the process dying between two steps of a flow."""


def _team(sales):
    manager = sales.reps.hire(ctx(), name="Mia Manager", email="mia@example.com",
                              role="manager", team="north", region="north")
    reps = [sales.reps.hire(ctx(), name=f"Rep {i}", email=f"rep{i}@example.com", role="rep",
                            team="north", region="north", manager_id=str(manager.stream_id))
            for i in range(2)]
    return str(manager.stream_id), [str(r.stream_id) for r in reps]


def _assigned_lead(sales, rep_id, email="ann@acme.io"):
    lead = sales.leads.capture(ctx(), person="Ann Meyer", company="Acme GmbH", email=email,
                               channel="referral", region="north", industry="software",
                               interests=("Gateway",))
    sales.leads.assign(ctx(), str(lead.stream_id), rep_id=rep_id)
    return str(lead.stream_id)


def _counts(sales):
    return {k: v for k, v in sales.store.counts_by_type().items()
            if k in ("AccountOpened", "ContactAdded", "OpportunityOpened")}


@pytest.mark.parametrize("crash_in", ["add_contact", "open_opportunity"])
def test_an_interrupted_conversion_completes_on_resume_without_duplicates(
        sales, monkeypatch, crash_in):
    _, (rep_id, _) = _team(sales)
    lead_id = _assigned_lead(sales, rep_id)
    target = (sales.accounts, "add_contact") if crash_in == "add_contact" else (
        sales.opportunities, "open")
    monkeypatch.setattr(*target, lambda *a, **k: (_ for _ in ()).throw(Crash()))

    with pytest.raises(Crash):
        sales.conversion.convert(ctx(), lead_id)
    monkeypatch.undo()
    assert sales.flows.resume() == 1
    assert sales.flows.resume() == 0  # checkpoint recorded: nothing left to do

    assert _counts(sales) == {"AccountOpened": 1, "ContactAdded": 1, "OpportunityOpened": 1}
    conversion = sales.leads.get(lead_id).conversion
    assert sales.opportunities.get(conversion.opportunity_id).account_id == conversion.account_id


def test_resuming_a_completed_conversion_adds_nothing(sales):
    _, (rep_id, _) = _team(sales)
    sales.conversion.convert(ctx(), _assigned_lead(sales, rep_id))
    before = sales.store.max_position()

    sales.flows.resume()

    assert sales.store.max_position() == before


def _stocked_account(sales, rep_id, quantity=10):
    account = sales.accounts.open(ctx(), name="Acme", region="north", owner_id=rep_id)
    sales.accounts.grade(ctx(), str(account.stream_id), grade="A")
    sales.stock.register(ctx(), sku="S-1", name="Sensor", base_price=Decimal("100.00"))
    sales.stock.receive(ctx(), "S-1", quantity=quantity)
    return str(account.stream_id)


def _placed_not_reserved(sales, account_id, sku, quantity):
    """An order stored with its ``OrderPlaced`` only, as a crash in an earlier version's
    three-step placement left it."""
    customer, item, now = sales.accounts.get(account_id), sales.stock.get(sku), ctx().now
    stream_id = uuid4()
    command = order.PlaceOrder(str(stream_id), account_id, (PriceRequest(
        sku, item.base_price, quantity, customer.grade, customer.region, now),),
        sales.orders.rules)
    sales.bus.handle(ORDER, stream_id, command, ctx())
    return str(stream_id)


def test_an_order_placed_but_not_reserved_completes_on_resume(sales):
    _, (rep_id, _) = _team(sales)
    account_id = _stocked_account(sales, rep_id)
    order_id = _placed_not_reserved(sales, account_id, "S-1", 3)
    assert sales.orders.get(order_id).status == "placed"

    sales.flows.resume()
    sales.flows.resume()

    assert sales.orders.get(order_id).status == "reserved"
    assert sales.stock.get("S-1").reservations == {order_id: 3}


def test_placing_stores_the_order_and_its_reservations_in_one_transaction(sales):
    _, (rep_id, _) = _team(sales)
    account_id = _stocked_account(sales, rep_id)
    before = sales.store.max_position()

    placed = sales.orders.place(ctx(), account_id=account_id, lines=[("S-1", 3)])

    stored = sales.store.notifications(before, limit=10)
    assert [n.topic for n in stored] == ["OrderPlaced", "StockReserved", "OrderReserved"]
    assert placed.position == stored[-1].id
    assert [e.type_name() for e in placed.events] == ["OrderPlaced", "StockReserved",
                                                      "OrderReserved"]


def test_a_crash_while_placing_stores_nothing(sales, monkeypatch):
    _, (rep_id, _) = _team(sales)
    account_id = _stocked_account(sales, rep_id)
    before = sales.store.max_position()
    monkeypatch.setattr(GroupCommitter, "append", lambda *a, **k: (_ for _ in ()).throw(Crash()))

    with pytest.raises(Crash):
        sales.orders.place(ctx(), account_id=account_id, lines=[("S-1", 3)])

    assert sales.store.max_position() == before
    monkeypatch.undo()
    assert sales.stock.get("S-1").reserved == 0


def test_shipping_takes_stock_out_once_even_when_resumed(sales):
    _, (rep_id, _) = _team(sales)
    account_id = _stocked_account(sales, rep_id)
    order_id = str(sales.orders.place(ctx(), account_id=account_id, lines=[("S-1", 4)]).stream_id)
    sales.orders.confirm(ctx(), order_id)

    sales.orders.ship(ctx(), order_id, shipment_id="S-A", lines=[("S-1", 4)])
    sales.flows.resume()
    sales.orders.resume(ctx(), order_id)

    item = sales.stock.get("S-1")
    assert (item.on_hand, item.reserved) == (6, 0)
    assert sales.orders.get(order_id).status == "shipped"


def test_a_lost_race_for_stock_is_decided_again_and_refused_with_nothing_stored(
        sales, monkeypatch):
    _, (rep_id, _) = _team(sales)
    account_id = _stocked_account(sales, rep_id, quantity=5)
    sales.stock.register(ctx(), sku="S-2", name="Cable", base_price=Decimal("5"))
    sales.stock.receive(ctx(), "S-2", quantity=5)
    real_commit, raced = Unit.commit, []

    def competitor_first(unit, committer):
        if not raced:  # another writer takes the stock after the decision, before the commit
            raced.append(None)  # (the competitor's own commit passes here too)
            raced[0] = sales.stock.adjust(ctx(), "S-2", delta=-4, reason="damaged in a race")
        return real_commit(unit, committer)

    monkeypatch.setattr(Unit, "commit", competitor_first)
    before = sales.store.max_position()
    with pytest.raises(InsufficientStockError) as refused:
        sales.orders.place(ctx(), account_id=account_id, lines=[("S-1", 2), ("S-2", 3)])

    assert (refused.value.sku, refused.value.available) == ("S-2", 1)
    assert sales.store.max_position() == raced[0].position == before + 1
    assert (sales.stock.get("S-1").reserved, sales.stock.get("S-2").reserved) == (0, 0)
    assert sales.store.notifications(0, topics=["OrderPlaced", "OrderRejected"]) == []


def test_an_interrupted_departure_hands_over_the_rest_on_resume(sales, monkeypatch):
    _, (leaving, successor) = _team(sales)
    lead_ids = [_assigned_lead(sales, leaving, email=f"l{i}@beta.io") for i in range(3)]
    real_run = DepartureFlow._run
    calls = []

    def crash_after_first(self, aggregate, item_id, command, context):
        if calls:
            raise Crash()
        calls.append(item_id)
        return real_run(self, aggregate, item_id, command, context)

    monkeypatch.setattr(DepartureFlow, "_run", crash_after_first)
    with pytest.raises(Crash):
        sales.departure.depart(ctx(), leaving, successor_id=successor)
    monkeypatch.undo()
    assert sum(sales.leads.get(i).owner_id == successor for i in lead_ids) == 1

    sales.flows.resume()

    assert [sales.leads.get(i).owner_id for i in lead_ids] == [successor] * 3
    assert len(sales.store.notifications(0, topics=["LeadHandedOver"])) == 3


def test_a_flow_the_domain_refuses_for_good_is_passed_and_later_flows_still_complete(
        sales, monkeypatch):
    from domain.errors import ValidationError

    _, (rep_id, _) = _team(sales)
    account_id = _stocked_account(sales, rep_id)
    refused = _assigned_lead(sales, rep_id, email="refused@acme.io")
    monkeypatch.setattr(sales.accounts, "add_contact",
                        lambda *a, **k: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        sales.conversion.convert(ctx(), refused)
    monkeypatch.undo()
    later = _placed_not_reserved(sales, account_id, "S-1", 2)  # a flow started after it
    monkeypatch.setattr(sales.conversion, "complete",
                        lambda *a, **k: (_ for _ in ()).throw(ValidationError("lead_id", "no")))

    assert sales.flows.resume() >= 2  # the refused one is passed, not retried for ever
    assert sales.orders.get(later).status == "reserved"
    assert sales.flows.resume() == 0


def test_the_flow_runner_executes_an_approved_departure_once_its_day_has_come(sales):
    """``sfa flows resume`` and the serving processes' timer: an approved plan whose
    effective date has come is carried out, each item to its planned successor; once."""
    from datetime import timedelta

    manager, (leaving, successor) = _team(sales)
    leads = [_assigned_lead(sales, leaving, email=f"d{i}@beta.io") for i in range(2)]
    soon = ctx().now.date() + timedelta(days=1)  # a day after the test clock's: past now
    sales.departure.give_notice(ctx(), leaving, effective_date=soon)
    sales.departure.plan(ctx(), leaving, [(leads[0], successor)])  # the other: the manager
    assert not sales.departure.approve(ctx(), leaving).events[1:]  # not its day yet
    assert sales.reps.get(leaving).active

    assert sales.flows.execute_due_departures() == 1
    assert sales.flows.execute_due_departures() == 0

    assert not sales.reps.get(leaving).active
    assert [sales.leads.get(lead).owner_id for lead in leads] == [successor, manager]
