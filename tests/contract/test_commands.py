"""Command handling through the store, on SQLite and PostgreSQL: idempotency, rejections,
optimistic concurrency and duplicate detection."""

from decimal import Decimal

import pytest

from domain.errors import (
    InsufficientStockError,
    LeadAlreadyConvertedError,
    RepDepartedError,
    ValidationError,
)
from infra.errors import ConflictError, IdempotencyKeyReusedError
from tests.conftest import ctx


def _team(sales):
    manager = sales.reps.hire(ctx(), name="Mia Manager", email="mia@example.com",
                              role="manager", team="north", region="north")
    reps = [sales.reps.hire(ctx(), name=f"Rep {i}", email=f"rep{i}@example.com", role="rep",
                            team="north", region="north", manager_id=str(manager.stream_id))
            for i in range(2)]
    return str(manager.stream_id), [str(r.stream_id) for r in reps]


def test_retried_create_with_the_same_idempotency_key_creates_once(sales):
    first = sales.stock.register(ctx(), sku="S-1", name="Sensor", base_price=Decimal("10"))
    lead_ctx = ctx(idempotency_key="client-42")
    created = sales.leads.capture(lead_ctx, person="Ann", company="Acme", email="a@acme.io",
                                  channel="web_form")
    events_before = sales.store.max_position()

    again = sales.leads.capture(lead_ctx, person="Ann", company="Acme", email="a@acme.io",
                                channel="web_form")

    assert again.replayed and again.stream_id == created.stream_id
    assert again.events == created.events
    assert sales.store.max_position() == events_before
    assert first.version == 1


def test_reusing_an_idempotency_key_for_another_request_is_refused(sales):
    key = ctx(idempotency_key="client-43")
    sales.leads.capture(key, person="Ann", company="Acme", email="a@acme.io", channel="web_form")
    before = sales.store.max_position()

    with pytest.raises(IdempotencyKeyReusedError):
        sales.leads.capture(key, person="Bob", company="Acme", email="b@acme.io",
                            channel="web_form")
    assert sales.store.max_position() == before


def test_a_refused_command_writes_nothing(sales):
    _, (rep_id, _) = _team(sales)
    before = sales.store.max_position()

    with pytest.raises(ValidationError) as invalid:
        sales.leads.capture(ctx(), person="Ann", company="Acme", email="not-an-email",
                            channel="web_form")
    with pytest.raises(ValidationError):
        sales.reps.set_quota(ctx(), rep_id, period="2026-13", amount=Decimal(1))

    assert invalid.value.field == "email"
    assert sales.store.max_position() == before


def test_duplicate_leads_are_flagged_not_created_twice_silently(sales):
    first = sales.leads.capture(ctx(), person="Ann Meyer", company="Acme GmbH",
                                email="Ann.Meyer@acme.io", phone="+49 30 1234567",
                                channel="web_form")
    by_email = sales.leads.capture(ctx(), person="A. Meyer", company="Other",
                                   email="ann.meyer+fair@ACME.io", channel="event")
    by_phone = sales.leads.capture(ctx(), person="Someone", company="Else",
                                   email="x@else.io", phone="0049 30 1234567", channel="event")
    by_name = sales.leads.capture(ctx(), person="ann meyer", company="ACME",
                                  email="other@mail.io", channel="social")
    fresh = sales.leads.capture(ctx(), person="Bob", company="Beta", email="bob@beta.io",
                                channel="social")

    origin = str(first.stream_id)
    assert [r.events[0].duplicate_of for r in (by_email, by_phone, by_name, fresh)] == [
        origin, origin, origin, None]


def test_a_contact_of_a_converted_lead_is_found_as_duplicate(sales):
    _, (rep_id, _) = _team(sales)
    account = sales.accounts.open(ctx(), name="Acme", region="north", owner_id=rep_id)
    sales.accounts.add_contact(ctx(), str(account.stream_id), contact_id="c-1", name="Cleo Chen",
                               email="cleo@acme.io")

    lead = sales.leads.capture(ctx(), person="Cleo", company="Acme", email="CLEO@acme.io",
                               channel="referral")

    assert lead.events[0].duplicate_of == "c-1"


def test_expected_version_mismatch_is_a_conflict_and_writes_nothing(sales):
    manager, (rep_id, _) = _team(sales)
    account = sales.accounts.open(ctx(), name="Acme", region="north", owner_id=rep_id)
    opp = sales.opportunities.open(ctx(), account_id=str(account.stream_id), owner_id=rep_id,
                                   name="Deal", amount=Decimal(1000),
                                   expected_close=ctx().now.date())
    sales.opportunities.change_stage(ctx(), str(opp.stream_id), stage="qualification",
                                     expected_version=1)
    before = sales.store.max_position()

    with pytest.raises(ConflictError):
        sales.opportunities.change_stage(ctx(), str(opp.stream_id), stage="proposal",
                                         expected_version=1)
    assert sales.store.max_position() == before
    assert sales.opportunities.get(str(opp.stream_id)).stage == "qualification"


def test_nothing_can_be_assigned_to_a_departed_rep(sales):
    _, (leaving, successor) = _team(sales)
    lead = sales.leads.capture(ctx(), person="Ann", company="Acme", email="a@acme.io",
                               channel="web_form")
    sales.departure.depart(ctx(), leaving, successor_id=successor)

    with pytest.raises(RepDepartedError):
        sales.leads.assign(ctx(), str(lead.stream_id), rep_id=leaving)
    with pytest.raises(RepDepartedError):
        sales.accounts.open(ctx(), name="Acme", region="north", owner_id=leaving)


def test_converted_lead_accepts_no_further_change(sales):
    _, (rep_id, _) = _team(sales)
    lead = sales.leads.capture(ctx(), person="Ann", company="Acme", email="a@acme.io",
                               channel="web_form", region="north")
    sales.leads.assign(ctx(), str(lead.stream_id), rep_id=rep_id)
    sales.conversion.convert(ctx(), str(lead.stream_id))

    with pytest.raises(LeadAlreadyConvertedError):
        sales.leads.qualify(ctx(), str(lead.stream_id))
    with pytest.raises(LeadAlreadyConvertedError):
        sales.conversion.convert(ctx(), str(lead.stream_id))


def test_orders_beyond_available_stock_are_refused_without_writing(sales):
    _, (rep_id, _) = _team(sales)
    account = sales.accounts.open(ctx(), name="Acme", region="north", owner_id=rep_id)
    sales.stock.register(ctx(), sku="S-1", name="Sensor", base_price=Decimal("10"))
    sales.stock.receive(ctx(), "S-1", quantity=5)
    before = sales.store.max_position()

    with pytest.raises(InsufficientStockError) as refused:
        sales.orders.place(ctx(), account_id=str(account.stream_id), lines=[("S-1", 6)])

    assert (refused.value.code, refused.value.available) == ("insufficient_stock", 5)
    assert sales.store.max_position() == before
