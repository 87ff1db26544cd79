"""Accounts and reps through the service layer, and the departure hand-over flow."""

from datetime import date
from decimal import Decimal

import pytest

from domain.account import (
    AccountClassified,
    AccountFollowUpCompleted,
    AccountFollowUpScheduled,
    AccountGraded,
    AccountOpened,
    AccountOwnerChanged,
    ContactAdded,
    ContactRemoved,
)
from domain.errors import NotFoundError, RepDepartedError, RuleViolationError
from domain.rep import RepDeparted, RepHired, RepMoved, RepQuotaSet
from tests.conftest import FIXED_NOW, ctx
from tests.service.world import Service


def test_an_account_is_opened_for_an_active_rep(svc):
    _, (rob, _) = svc.team()

    answer = svc.sales.accounts.open(ctx(), name="Acme", region="north", owner_id=rob,
                                     industry="software", size=120)

    account_id = str(answer.stream_id)
    assert svc.then() == [AccountOpened(account_id, "Acme", "software", 120, "north", rob)]
    assert (answer.version, svc.sales.accounts.get(account_id).owner_id) == (1, rob)


def test_an_account_cannot_be_opened_for_an_unknown_rep(svc):
    with pytest.raises(NotFoundError):
        svc.sales.accounts.open(ctx(), name="Acme", region="north",
                                owner_id="6a0c9b1e-1111-4c3c-9a57-0d7a7c1c1c1c")
    assert svc.then() == []


def test_contacts_are_added_with_their_keys_claimed_and_removed(svc):
    _, (rob, _) = svc.team()
    account_id = svc.account(rob)

    svc.sales.accounts.add_contact(ctx(), account_id, contact_id="c-1", name="Cleo Chen",
                                   email="Cleo@Acme.io", phone="+49 30 555")
    svc.sales.accounts.remove_contact(ctx(), account_id, contact_id="c-1")

    added, removed = svc.then()
    assert isinstance(added, ContactAdded) and added.contact_id == "c-1"
    assert added.duplicate_keys == ("email:cleo@acme.io", "phone:4930555", "name:acme|cleo chen")
    assert removed == ContactRemoved("c-1")
    assert svc.sales.store.find_claims(["email:cleo@acme.io"]) == {"email:cleo@acme.io": "c-1"}
    assert svc.sales.accounts.get(account_id).contacts == {}


def test_an_owner_change_records_the_previous_owner(svc):
    _, (rob, sam) = svc.team()
    account_id = svc.account(rob)

    svc.sales.accounts.change_owner(ctx(), account_id, owner_id=sam)

    assert svc.then() == [AccountOwnerChanged(sam, rob)]


def test_reps_are_hired_moved_and_given_quotas(svc):
    manager = svc.rep("Mia", role="manager")

    hired = svc.sales.reps.hire(ctx(), name="Rob", email="rob@example.com", role="rep",
                                team="north", region="north", manager_id=manager)
    rep_id = str(hired.stream_id)
    svc.sales.reps.move(ctx(), rep_id, team="south", region="south", manager_id=None)
    svc.sales.reps.set_quota(ctx(), rep_id, period="2026-11", amount=Decimal("50000"))

    assert svc.then() == [
        RepHired(rep_id, "Rob", "rob@example.com", "rep", "north", "north", manager),
        RepMoved("south", "south", None), RepQuotaSet("2026-11", Decimal("50000"))]
    assert svc.sales.reps.get(rep_id).quotas == {"2026-11": Decimal("50000")}


def _deal_at(svc: Service, account_id: str, owner: str, stage: str) -> str:
    opp = svc.sales.opportunities.open(ctx(), account_id=account_id, owner_id=owner, name=stage,
                                       amount=Decimal(1000), expected_close=FIXED_NOW.date())
    svc.sales.opportunities.change_stage(ctx(), str(opp.stream_id), stage=stage)
    return str(opp.stream_id)


def test_departure_hands_over_by_tier_with_the_right_actor(svc):
    manager, (leaving, successor) = svc.team()
    account_id = svc.account(leaving)
    deals = {stage: _deal_at(svc, account_id, leaving, stage)
             for stage in ("qualification", "proposal", "negotiation")}
    lead_id = str(svc.sales.leads.capture(ctx(), person="Ann", company="Beta", email="a@beta.io",
                                          channel="referral", owner_id=leaving).stream_id)
    svc.then()

    svc.sales.departure.depart(ctx(), leaving, successor_id=successor)

    events = svc.then_in_streams()
    assert events[0] == (leaving, RepDeparted(FIXED_NOW.date(), successor))
    handed = {stream: event for stream, event in events[1:]}
    assert set(handed) == {*deals.values(), account_id, lead_id}
    assert {e.to_rep_id for e in handed.values()} == {successor}
    assert {stage: (handed[d].tier, handed[d].actor_id) for stage, d in deals.items()} == {
        "qualification": ("upper", successor), "proposal": ("middle", leaving),
        "negotiation": ("lower", manager)}
    assert svc.sales.accounts.get(account_id).owner_id == successor
    assert svc.sales.leads.get(lead_id).owner_id == successor
    assert svc.sales.directory.owned_open_items(leaving) == []


def test_a_departure_takes_effect_on_its_date_and_is_not_repeated(svc):
    _, (leaving, successor) = svc.team()

    svc.sales.departure.depart(ctx(), leaving, successor_id=successor,
                               effective_date=date(2026, 12, 1))

    assert svc.then() == [RepDeparted(date(2026, 12, 1), successor)]
    with pytest.raises(RepDepartedError):
        svc.sales.departure.depart(ctx(), leaving, successor_id=successor)
    assert svc.then() == []


def test_an_account_is_classified_graded_and_followed_up(svc):
    _, (rob, _) = svc.team()
    account_id = svc.account(rob)

    svc.sales.accounts.classify(ctx(), account_id, segment="enterprise", potential="high")
    svc.sales.accounts.grade(ctx(), account_id, grade="A")
    svc.sales.accounts.schedule_follow_up(ctx(), account_id, follow_up_id="f-1",
                                          due=date(2026, 11, 9), note="call back")
    svc.sales.accounts.complete_follow_up(ctx(), account_id, follow_up_id="f-1", outcome="done")

    assert svc.then() == [AccountClassified("enterprise", "high"), AccountGraded("A"),
                          AccountFollowUpScheduled("f-1", date(2026, 11, 9), "call back"),
                          AccountFollowUpCompleted("f-1", "done")]
    assert svc.sales.accounts.get(account_id).grade == "A"


def test_a_follow_up_due_in_the_past_is_refused_and_writes_nothing(svc):
    _, (rob, _) = svc.team()
    account_id = svc.account(rob)

    with pytest.raises(RuleViolationError):
        svc.sales.accounts.schedule_follow_up(ctx(), account_id, follow_up_id="f-1",
                                              due=date(2026, 11, 1))
    assert svc.then() == []
