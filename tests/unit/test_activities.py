"""Interactions and follow-ups: one set of commands, rules and fold, recorded by each aggregate
under its own event names (stored by name: they never change)."""

from dataclasses import fields
from datetime import date
from decimal import Decimal

import pytest

from domain import account, activities, lead, opportunity
from domain.account import (
    AccountFollowUpCompleted,
    AccountFollowUpScheduled,
    AccountInteractionLogged,
    AccountOpened,
)
from domain.activities import CompleteFollowUp, FollowUp, LogInteraction, ScheduleFollowUp
from domain.errors import NotFoundError, OpportunityClosedError
from domain.events import Event
from domain.lead import LeadCaptured, LeadFollowUpCompleted, LeadFollowUpScheduled, LeadInteractionLogged
from tests.unit.given import given, rejected, when

TODAY = date(2026, 3, 2)
NEXT_WEEK = date(2026, 3, 9)
CAPTURED = LeadCaptured("lead-1", "referral", "Anna Schmidt", "Acme GmbH", "anna@acme.example",
                        None, None, None, None, (), (), None)
OPENED = AccountOpened("acc-1", "Acme GmbH", None, None, "north", "rep-1")


def test_activity_events_keep_their_stored_names_streams_and_fields() -> None:
    shapes = {cls.type_name(): (cls.stream_type, [f.name for f in fields(cls)])
              for cls in (*vars(lead.ACTIVITY_EVENTS).values(),
                          *vars(account.ACTIVITY_EVENTS).values(),
                          *vars(opportunity.ACTIVITY_EVENTS).values())}
    assert shapes == {
        "LeadInteractionLogged": ("Lead", ["interaction_id", "kind", "notes", "outcome"]),
        "LeadFollowUpScheduled": ("Lead", ["follow_up_id", "due", "note"]),
        "LeadFollowUpCompleted": ("Lead", ["follow_up_id", "outcome"]),
        "AccountInteractionLogged": (
            "Account", ["interaction_id", "kind", "notes", "outcome", "contact_id"]),
        "AccountFollowUpScheduled": ("Account", ["follow_up_id", "due", "note"]),
        "AccountFollowUpCompleted": ("Account", ["follow_up_id", "outcome"]),
        "OpportunityInteractionLogged": (
            "Opportunity", ["interaction_id", "kind", "notes", "outcome"]),
        "OpportunityFollowUpScheduled": ("Opportunity", ["follow_up_id", "due", "note"]),
        "OpportunityFollowUpCompleted": ("Opportunity", ["follow_up_id", "outcome"]),
    }


@pytest.mark.parametrize(("command", "lead_event", "account_event"), [
    (LogInteraction("int-1", "call", "asked for demo", "demo"),
     LeadInteractionLogged("int-1", "call", "asked for demo", "demo"),
     AccountInteractionLogged("int-1", "call", "asked for demo", "demo", None)),
    (ScheduleFollowUp("fu-1", NEXT_WEEK, TODAY, "send offer"),
     LeadFollowUpScheduled("fu-1", NEXT_WEEK, "send offer"),
     AccountFollowUpScheduled("fu-1", NEXT_WEEK, "send offer")),
], ids=["interaction", "follow-up"])
def test_one_command_is_recorded_under_each_aggregates_own_event(
    command: activities.ActivityCommand, lead_event: Event, account_event: Event
) -> None:
    assert when(lead, given(lead, CAPTURED), command) == [lead_event]
    assert when(account, given(account, OPENED), command) == [account_event]


def test_completing_a_follow_up_is_recorded_under_each_aggregates_own_event() -> None:
    on_lead = given(lead, CAPTURED, LeadFollowUpScheduled("fu-1", NEXT_WEEK, ""))
    on_account = given(account, OPENED, AccountFollowUpScheduled("fu-1", NEXT_WEEK, ""))
    assert when(lead, on_lead, CompleteFollowUp("fu-1", "sent")) == [
        LeadFollowUpCompleted("fu-1", "sent")]
    assert when(account, on_account, CompleteFollowUp("fu-1", "sent")) == [
        AccountFollowUpCompleted("fu-1", "sent")]


def test_an_interaction_with_a_contact_is_refused_on_a_lead_which_has_none() -> None:
    error = rejected(lead, given(lead, CAPTURED), LogInteraction("int-1", "call", contact_id="con-1"),
                     NotFoundError)
    assert str(error) == "no contact con-1"


def test_decide_names_the_contacts_it_may_refer_to() -> None:
    command = LogInteraction("int-1", "visit", contact_id="con-1")
    assert activities.decide({}, {"con-1"}, command, account.ACTIVITY_EVENTS) == [
        AccountInteractionLogged("int-1", "visit", "", None, "con-1")]


def test_evolve_schedules_then_completes_a_follow_up_and_keeps_the_others() -> None:
    follow_ups: dict[str, FollowUp] = {}
    for event in (LeadFollowUpScheduled("fu-1", NEXT_WEEK, "call back"),
                  AccountFollowUpScheduled("fu-2", TODAY, ""), LeadFollowUpCompleted("fu-1", None)):
        follow_ups = activities.evolve(follow_ups, event)
    assert follow_ups == {"fu-1": FollowUp("fu-1", NEXT_WEEK, "call back", done=True),
                          "fu-2": FollowUp("fu-2", TODAY, "")}


DEAL = opportunity.OpportunityOpened("opp-1", "acc-1", "rep-1", "Acme roll-out", Decimal(5000),
                                     "EUR", NEXT_WEEK, (), "prospecting", 10, None)
LOST = opportunity.OpportunityStageChanged("prospecting", "closed_lost", 0)


def test_a_deal_records_interactions_and_follow_ups_under_its_own_events() -> None:
    deal = given(opportunity, DEAL)
    assert when(opportunity, deal, LogInteraction("int-1", "meeting", "demo", "positive")) == [
        opportunity.OpportunityInteractionLogged("int-1", "meeting", "demo", "positive")]
    scheduled = when(opportunity, deal, ScheduleFollowUp("fu-1", NEXT_WEEK, TODAY, "call back"))
    assert scheduled == [opportunity.OpportunityFollowUpScheduled("fu-1", NEXT_WEEK, "call back")]
    assert given(opportunity, DEAL, *scheduled).follow_ups == {
        "fu-1": FollowUp("fu-1", NEXT_WEEK, "call back")}


def test_a_closed_deal_takes_no_new_activity_but_its_follow_ups_can_still_be_completed() -> None:
    closed = given(opportunity, DEAL,
                   opportunity.OpportunityFollowUpScheduled("fu-1", NEXT_WEEK, ""), LOST)
    rejected(opportunity, closed, LogInteraction("int-1", "call"), OpportunityClosedError)
    rejected(opportunity, closed, ScheduleFollowUp("fu-2", NEXT_WEEK, TODAY),
             OpportunityClosedError)
    assert when(opportunity, closed, CompleteFollowUp("fu-1", "no answer")) == [
        opportunity.OpportunityFollowUpCompleted("fu-1", "no answer")]
    assert given(opportunity, DEAL, opportunity.OpportunityFollowUpScheduled("fu-1", NEXT_WEEK, ""),
                 LOST, opportunity.OpportunityFollowUpCompleted("fu-1", None)
                 ).follow_ups["fu-1"].done is True
