"""Leads through the service layer: capture, duplicate detection, distribution, idempotency."""

import pytest

from domain.errors import LeadAlreadyConvertedError, RepDepartedError, ValidationError
from domain.lead import LeadAssigned, LeadCaptured, LeadQualified, LeadScored
from infra.errors import ConflictError, IdempotencyKeyReusedError
from tests.conftest import ctx
from tests.service.world import Service


def _capture(svc: Service, **fields):
    return svc.sales.leads.capture(ctx(), **{"person": "Ann Meyer", "company": "Acme GmbH",
                                             "email": "ann@acme.io", "channel": "web_form",
                                             **fields})


def test_a_captured_lead_is_stored_with_its_keys_and_score(svc):
    answer = _capture(svc, phone="+49 30 1234567", region="north")

    lead_id = str(answer.stream_id)
    captured, scored = svc.then()
    assert captured == LeadCaptured(lead_id, "web_form", "Ann Meyer", "Acme GmbH", "ann@acme.io",
                                    "+49 30 1234567", None, None, "north", (),
                                    ("email:ann@acme.io", "phone:49301234567",
                                     "name:acme|ann meyer"), None)
    assert isinstance(scored, LeadScored) and scored.score == 13
    assert (answer.version, answer.events) == (2, (captured, scored))
    assert svc.sales.leads.get(lead_id).status == "open"


def test_duplicate_leads_are_flagged_not_created_twice_silently(svc):
    first = _capture(svc, person="Ann Meyer", email="Ann.Meyer@acme.io", phone="+49 30 1234567")
    by_email = _capture(svc, person="A. Meyer", company="Other", email="ann.meyer+fair@ACME.io",
                        channel="event")
    by_phone = _capture(svc, person="Someone", company="Else", email="x@else.io",
                        phone="0049 30 1234567", channel="event")
    by_name = _capture(svc, person="ann meyer", company="ACME", email="other@mail.io",
                       channel="social")
    fresh = _capture(svc, person="Bob", company="Beta", email="bob@beta.io", channel="social")

    origin = str(first.stream_id)
    assert [r.events[0].duplicate_of for r in (by_email, by_phone, by_name, fresh)] == [
        origin, origin, origin, None]


def test_a_duplicate_is_found_by_the_keys_stored_before_it(svc):
    """Given a lead stored with its claims (no command of this process saw it)."""
    svc.given("8d3c7f84-0c1c-4e8a-9f59-2d9a4b6f0a01", LeadCaptured(
        "8d3c7f84-0c1c-4e8a-9f59-2d9a4b6f0a01", "web_form", "Ann Meyer", "Acme", "ann@acme.io",
        None, None, None, None, (), ("email:ann@acme.io",), None),
        claims=[("email:ann@acme.io", "8d3c7f84-0c1c-4e8a-9f59-2d9a4b6f0a01")])

    answer = _capture(svc, person="Someone Else", company="Other", email="ANN@acme.io")

    assert answer.events[0].duplicate_of == "8d3c7f84-0c1c-4e8a-9f59-2d9a4b6f0a01"
    assert svc.sales.store.find_claims(["email:ann@acme.io"]) == {
        "email:ann@acme.io": "8d3c7f84-0c1c-4e8a-9f59-2d9a4b6f0a01"}


def test_a_contact_of_an_account_is_found_as_duplicate(svc):
    _, (rep_id, _) = svc.team()
    account_id = svc.account(rep_id)
    svc.sales.accounts.add_contact(ctx(), account_id, contact_id="c-1", name="Cleo Chen",
                                   email="cleo@acme.io")

    lead = _capture(svc, person="Cleo", email="CLEO@acme.io", channel="referral")

    assert lead.events[0].duplicate_of == "c-1"


def test_retried_create_with_the_same_idempotency_key_creates_once(svc):
    key = ctx(idempotency_key="client-42")
    created = svc.sales.leads.capture(key, person="Ann", company="Acme", email="a@acme.io",
                                      channel="web_form")
    svc.then()

    again = svc.sales.leads.capture(key, person="Ann", company="Acme", email="a@acme.io",
                                    channel="web_form")

    assert again.replayed and again.stream_id == created.stream_id
    assert again.events == created.events
    assert svc.then() == []


def test_a_replayed_answer_keeps_the_position_of_the_first_one(svc):
    key = ctx(idempotency_key="client-44")
    created = svc.sales.leads.capture(key, person="Ann", company="Acme", email="a@acme.io",
                                      channel="web_form")
    _capture(svc)  # others write meanwhile: the store's head moves on
    assert svc.sales.store.max_position() > created.position

    again = svc.sales.leads.capture(key, person="Ann", company="Acme", email="a@acme.io",
                                    channel="web_form")

    assert again.replayed
    assert (again.position, again.version) == (created.position, created.version)


def test_reusing_an_idempotency_key_for_another_request_is_refused(svc):
    key = ctx(idempotency_key="client-43")
    svc.sales.leads.capture(key, person="Ann", company="Acme", email="a@acme.io",
                            channel="web_form")
    svc.then()

    with pytest.raises(IdempotencyKeyReusedError):
        svc.sales.leads.capture(key, person="Bob", company="Acme", email="b@acme.io",
                                channel="web_form")
    assert svc.then() == []


def test_a_refused_command_writes_nothing(svc):
    _, (rep_id, _) = svc.team()

    with pytest.raises(ValidationError) as invalid:
        _capture(svc, email="not-an-email")
    with pytest.raises(ValidationError):
        svc.sales.reps.set_quota(ctx(), rep_id, period="2026-13", amount=1)

    assert invalid.value.field == "email"
    assert svc.then() == []


def test_distribution_takes_turns_among_the_reps_of_the_territory(svc):
    _, (rob, sam) = svc.team()
    svc.rep("Zoe", region="south")
    leads = [str(_capture(svc, email=f"l{i}@acme.io", person=f"P{i}", region="north").stream_id)
             for i in range(3)]
    svc.then()

    for lead_id in leads:
        svc.sales.leads.distribute(ctx(), lead_id)

    owners = [e.rep_id for e in svc.then()]
    assert set(owners[:2]) == {rob, sam} and owners[2] == owners[0]
    assert all(isinstance(e, LeadAssigned) for e in svc.stream(leads[0])[-1:])


def test_least_loaded_distribution_picks_the_rep_with_fewest_open_leads(svc):
    _, (rob, sam) = svc.team()
    busy = [str(_capture(svc, email=f"b{i}@acme.io", person=f"B{i}", region="north").stream_id)
            for i in range(2)]
    for lead_id in busy:
        svc.sales.leads.assign(ctx(), lead_id, rep_id=rob)
    new = str(_capture(svc, email="n@acme.io", person="N", region="north").stream_id)
    svc.then()

    svc.sales.leads.distribute(ctx(), new, rule="least_loaded")

    assert svc.then() == [LeadAssigned(sam, "least_loaded", None)]


def test_an_assignment_at_a_stale_version_is_a_conflict_and_writes_nothing(svc):
    _, (rob, sam) = svc.team()
    lead_id = str(_capture(svc).stream_id)
    svc.sales.leads.assign(ctx(), lead_id, rep_id=rob, expected_version=2)
    svc.then()

    with pytest.raises(ConflictError):
        svc.sales.leads.assign(ctx(), lead_id, rep_id=sam, expected_version=2)

    assert svc.then() == []
    assert svc.sales.leads.get(lead_id).owner_id == rob


def test_nothing_can_be_assigned_to_a_departed_rep(svc):
    _, (leaving, successor) = svc.team()
    lead_id = str(_capture(svc).stream_id)
    svc.sales.departure.depart(ctx(), leaving, successor_id=successor)
    svc.then()

    with pytest.raises(RepDepartedError):
        svc.sales.leads.assign(ctx(), lead_id, rep_id=leaving)
    with pytest.raises(RepDepartedError):
        svc.sales.accounts.open(ctx(), name="Acme", region="north", owner_id=leaving)
    assert svc.then() == []


def test_a_converted_lead_accepts_no_further_change(svc):
    _, (rep_id, _) = svc.team()
    lead_id = str(_capture(svc, region="north", owner_id=rep_id).stream_id)
    svc.sales.leads.qualify(ctx(), lead_id)
    assert svc.then()[-1] == LeadQualified()
    svc.sales.conversion.convert(ctx(), lead_id)
    svc.then()

    with pytest.raises(LeadAlreadyConvertedError):
        svc.sales.leads.qualify(ctx(), lead_id)
    with pytest.raises(LeadAlreadyConvertedError):
        svc.sales.conversion.convert(ctx(), lead_id)
    assert svc.then() == []
