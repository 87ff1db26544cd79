"""Lead: capture, scoring, assignment, nurturing, qualification, conversion and hand-over."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from domain import lead
from domain.activities import CompleteFollowUp, LogInteraction, ScheduleFollowUp
from domain.errors import (
    AlreadyExistsError,
    DomainError,
    InvalidTransitionError,
    LeadAlreadyConvertedError,
    LeadClosedError,
    NotFoundError,
    RepDepartedError,
)
from domain.events import Command, Event
from domain.handover import HandOverPlan
from domain.lead import (
    AdvanceLeadHandOver,
    AssignLead,
    CaptureLead,
    ConvertLead,
    DisqualifyLead,
    HandOverLead,
    LeadAssigned,
    LeadCaptured,
    LeadConverted,
    LeadDisqualified,
    LeadEngagementRecorded,
    LeadFollowUpCompleted,
    LeadFollowUpScheduled,
    LeadHandedOver,
    LeadHandOverAdvanced,
    LeadInteractionLogged,
    LeadQualified,
    LeadScored,
    QualifyLead,
    RecordEngagement,
)
from domain.scoring import ScoreFactor
from domain.stock_item import ReceiveStock
from domain.values import RepRef, Tier
from tests.unit.given import broken_rule, given, invalid, rejected, when

TODAY = date(2026, 3, 2)
NEXT_WEEK = date(2026, 3, 9)
REP_1 = RepRef("rep-1", active=True)
REP_2 = RepRef("rep-2", active=True)
DEPARTED_REP = RepRef("rep-9", active=False)

FIT_AND_INTEREST = (
    ScoreFactor("industry", 15, "software"),
    ScoreFactor("company_size", 15, ">= 200 employees"),
    ScoreFactor("region", 5, "north"),
    ScoreFactor("channel", 15, "referral"),
    ScoreFactor("interests", 6, "crm, erp"),
)
CAPTURED = LeadCaptured(
    "lead-1", "referral", "Anna Schmidt", "Acme GmbH", "Anna.Schmidt+fair@Acme.example",
    "+49 (30) 1234-567", "software", 250, "north", ("crm", "erp"),
    ("email:anna.schmidt@acme.example", "phone:49301234567", "name:acme|anna schmidt"), None,
)
SCORED = LeadScored(56, FIT_AND_INTEREST)
ASSIGNED = LeadAssigned("rep-1", "round_robin", None)
CONVERTED = LeadConverted("acc-1", "con-1", "opp-1", False, "Acme CRM roll-out",
                          Decimal("25000"), date(2026, 6, 30))
PLAN = HandOverPlan(Tier.UPPER, "successor_calls_customer", "rep-2", date(2026, 4, 7))
HANDED_OVER = LeadHandedOver("rep-1", "rep-2", "upper", "successor_calls_customer", "rep-2",
                             date(2026, 4, 7))


def capture(**changes: object) -> CaptureLead:
    fields: dict[str, object] = dict(
        lead_id="lead-1", channel="referral", person="Anna Schmidt", company="Acme GmbH",
        email="Anna.Schmidt+fair@Acme.example", phone="+49 (30) 1234-567", industry="software",
        company_size=250, region="north", interests=("crm", "erp"),
    )
    return CaptureLead(**{**fields, **changes})  # type: ignore[arg-type]


def open_lead() -> lead.Lead:
    return given(lead, CAPTURED, SCORED, ASSIGNED)


def convert(**changes: object) -> ConvertLead:
    fields: dict[str, object] = dict(
        account_id="acc-1", contact_id="con-1", opportunity_id="opp-1",
        joined_existing_account=False, opportunity_name="Acme CRM roll-out",
        amount=Decimal("25000"), expected_close=date(2026, 6, 30),
    )
    return ConvertLead(**{**fields, **changes})  # type: ignore[arg-type]


# --- CaptureLead -----------------------------------------------------------------------------

def test_capture_lead_records_contact_data_duplicate_keys_and_initial_score() -> None:
    assert when(lead, None, capture()) == [CAPTURED, SCORED]


def test_capture_lead_records_the_duplicate_it_matches() -> None:
    events = when(lead, None, capture(duplicate_of="lead-0"))
    assert events == [replace(CAPTURED, duplicate_of="lead-0"), SCORED]


def test_capture_lead_records_the_campaign_it_came_from() -> None:
    events = when(lead, None, capture(campaign_id="camp-1"))
    assert events == [replace(CAPTURED, campaign_id="camp-1"), SCORED]
    assert given(lead, *events).campaign_id == "camp-1"


def test_a_lead_captured_before_campaigns_reads_as_from_none() -> None:
    stored_v1 = {"lead_id": "lead-1", "channel": "referral"}
    assert LeadCaptured.upcast_v1_v2(stored_v1) == {**stored_v1, "campaign_id": None}


def test_capture_lead_with_minimal_data_scores_only_the_channel() -> None:
    command = capture(channel="web_form", phone=None, industry=None, company_size=None,
                      region=None, interests=())
    assert when(lead, None, command) == [
        LeadCaptured("lead-1", "web_form", "Anna Schmidt", "Acme GmbH",
                      "Anna.Schmidt+fair@Acme.example", None, None, None, None, (),
                      ("email:anna.schmidt@acme.example", "name:acme|anna schmidt"), None),
        LeadScored(8, (ScoreFactor("channel", 8, "web_form"),)),
    ]


def test_capture_lead_twice_is_refused() -> None:
    error = rejected(lead, open_lead(), capture(), AlreadyExistsError)
    assert error.code == "already_exists"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"company_size": 0}, "company_size"),
        ({"email": "not-an-email"}, "email"),
        ({"person": " "}, "person"),
        ({"company": ""}, "company"),
        ({"channel": "fax"}, "channel"),
    ],
)
def test_capture_lead_with_an_invalid_value_names_the_field(changes: dict, field: str) -> None:
    invalid(lead, None, capture(**changes), field)


# --- RecordEngagement ------------------------------------------------------------------------

def test_record_engagement_rescores_with_buying_intent() -> None:
    events = when(lead, open_lead(), RecordEngagement("seminar"))
    assert events == [
        LeadEngagementRecorded("seminar", 1),
        LeadScored(64, FIT_AND_INTEREST + (ScoreFactor("intent", 8, "1x seminar"),)),
    ]


def test_record_engagement_adds_to_earlier_engagement() -> None:
    state = given(lead, CAPTURED, SCORED, LeadEngagementRecorded("site_visit", 3))
    events = when(lead, state, RecordEngagement("seminar", 1))
    assert events[1] == LeadScored(
        67, FIT_AND_INTEREST + (ScoreFactor("intent", 11, "1x seminar, 3x site_visit"),)
    )


def test_record_engagement_of_an_unknown_kind_is_refused() -> None:
    invalid(lead, open_lead(), RecordEngagement("tweet"), "kind")


def test_record_engagement_of_less_than_one_is_refused() -> None:
    invalid(lead, open_lead(), RecordEngagement("reply", 0), "count")


# --- AssignLead ------------------------------------------------------------------------------

def test_assign_lead_records_rep_and_rule() -> None:
    events = when(lead, given(lead, CAPTURED, SCORED), AssignLead(REP_1, "round_robin"))
    assert events == [ASSIGNED]


def test_reassign_lead_records_the_previous_rep() -> None:
    assert when(lead, open_lead(), AssignLead(REP_2)) == [LeadAssigned("rep-2", "manual", "rep-1")]


def test_assign_lead_to_its_current_owner_records_nothing() -> None:
    assert when(lead, open_lead(), AssignLead(REP_1)) == []


def test_assign_lead_to_a_departed_rep_is_refused() -> None:
    error = rejected(lead, open_lead(), AssignLead(DEPARTED_REP), RepDepartedError)
    assert error.code == "rep_departed"


# --- LogInteraction --------------------------------------------------------------------------

def test_log_lead_interaction_records_kind_notes_and_outcome() -> None:
    events = when(lead, open_lead(), LogInteraction("int-1", "call", "asked for demo", "demo"))
    assert events == [LeadInteractionLogged("int-1", "call", "asked for demo", "demo")]


def test_log_lead_interaction_of_an_unknown_kind_is_refused() -> None:
    invalid(lead, open_lead(), LogInteraction("int-1", "fax"), "kind")


def test_log_lead_interaction_with_overlong_notes_is_refused() -> None:
    invalid(lead, open_lead(), LogInteraction("int-1", "call", "x" * 10_001), "notes")


# --- ScheduleFollowUp / CompleteFollowUp -----------------------------------------------------

def test_schedule_lead_follow_up_records_due_date_and_note() -> None:
    events = when(lead, open_lead(), ScheduleFollowUp("fu-1", NEXT_WEEK, TODAY, "send offer"))
    assert events == [LeadFollowUpScheduled("fu-1", NEXT_WEEK, "send offer")]


def test_schedule_lead_follow_up_due_today_is_allowed() -> None:
    events = when(lead, open_lead(), ScheduleFollowUp("fu-1", TODAY, TODAY))
    assert events == [LeadFollowUpScheduled("fu-1", TODAY, "")]


def test_schedule_lead_follow_up_in_the_past_is_refused() -> None:
    broken_rule(lead, open_lead(), ScheduleFollowUp("fu-1", date(2026, 3, 1), TODAY), "due")


def test_schedule_lead_follow_up_with_an_empty_id_is_refused() -> None:
    invalid(lead, open_lead(), ScheduleFollowUp(" ", NEXT_WEEK, TODAY), "follow_up_id")


def test_schedule_lead_follow_up_with_a_known_id_is_refused() -> None:
    state = given(lead, CAPTURED, LeadFollowUpScheduled("fu-1", NEXT_WEEK, ""))
    rejected(lead, state, ScheduleFollowUp("fu-1", NEXT_WEEK, TODAY), AlreadyExistsError)


def test_schedule_lead_follow_up_with_an_overlong_note_is_refused() -> None:
    invalid(lead, open_lead(), ScheduleFollowUp("fu-1", NEXT_WEEK, TODAY, "x" * 2001), "note")


def test_complete_lead_follow_up_records_the_outcome() -> None:
    state = given(lead, CAPTURED, LeadFollowUpScheduled("fu-1", NEXT_WEEK, ""))
    events = when(lead, state, CompleteFollowUp("fu-1", "offer sent"))
    assert events == [LeadFollowUpCompleted("fu-1", "offer sent")]


def test_complete_an_unknown_lead_follow_up_is_refused() -> None:
    rejected(lead, open_lead(), CompleteFollowUp("fu-404"), NotFoundError)


def test_complete_a_lead_follow_up_twice_is_refused() -> None:
    state = given(lead, CAPTURED, LeadFollowUpScheduled("fu-1", NEXT_WEEK, ""),
                  LeadFollowUpCompleted("fu-1", None))
    error = rejected(lead, state, CompleteFollowUp("fu-1"), InvalidTransitionError)
    assert error.code == "invalid_transition"


# --- QualifyLead / DisqualifyLead ------------------------------------------------------------

def test_qualify_lead() -> None:
    assert when(lead, open_lead(), QualifyLead()) == [LeadQualified()]


def test_qualify_a_qualified_lead_records_nothing() -> None:
    assert when(lead, given(lead, CAPTURED, LeadQualified()), QualifyLead()) == []


def test_disqualify_lead_records_the_reason() -> None:
    events = when(lead, open_lead(), DisqualifyLead(" no budget "))
    assert events == [LeadDisqualified("no budget")]


def test_disqualify_a_qualified_lead_is_allowed() -> None:
    state = given(lead, CAPTURED, LeadQualified())
    assert when(lead, state, DisqualifyLead("went elsewhere")) == [
        LeadDisqualified("went elsewhere")
    ]


def test_disqualify_lead_without_a_reason_is_refused() -> None:
    invalid(lead, open_lead(), DisqualifyLead("  "), "reason")


def test_disqualify_lead_takes_a_reason_as_long_as_the_api_does() -> None:
    assert when(lead, open_lead(), DisqualifyLead("r" * 500)) == [LeadDisqualified("r" * 500)]
    invalid(lead, open_lead(), DisqualifyLead("r" * 501), "reason")


# --- ConvertLead -----------------------------------------------------------------------------

def test_convert_lead_records_the_ids_of_account_contact_and_opportunity() -> None:
    assert when(lead, open_lead(), convert()) == [CONVERTED]


def test_convert_a_qualified_lead_into_an_existing_account() -> None:
    state = given(lead, CAPTURED, ASSIGNED, LeadQualified())
    events = when(lead, state, convert(joined_existing_account=True))
    assert events == [LeadConverted("acc-1", "con-1", "opp-1", True, "Acme CRM roll-out",
                                    Decimal("25000"), date(2026, 6, 30))]


def test_convert_lead_in_another_currency_records_it() -> None:
    assert when(lead, open_lead(), convert(currency="usd")) == [replace(CONVERTED,
                                                                        currency="USD")]


def test_convert_lead_in_no_currency_is_refused() -> None:
    invalid(lead, open_lead(), convert(currency="US$"), "currency")


def test_a_conversion_stored_before_currencies_reads_as_in_euros() -> None:
    assert LeadConverted.upcast_v1_v2({"amount": "25000"}) == {"amount": "25000",
                                                               "currency": "EUR"}


def test_convert_a_lead_without_an_owner_is_refused() -> None:
    error = rejected(lead, given(lead, CAPTURED, SCORED), convert(), DomainError)
    assert error.code == "rule_violation"


def test_convert_guard_refuses_a_disqualified_lead_even_when_called_directly() -> None:
    # decide() already refuses every closed lead before _convert runs; this is the inner guard.
    state = given(lead, CAPTURED, ASSIGNED, LeadDisqualified("no budget"))
    with pytest.raises(LeadClosedError) as caught:
        lead._convert(state, convert())
    assert (type(caught.value), caught.value.code) == (LeadClosedError, "lead_closed")


def test_convert_lead_with_a_non_positive_amount_is_refused() -> None:
    invalid(lead, open_lead(), convert(amount=Decimal(0)), "amount")


def test_convert_lead_without_an_opportunity_name_is_refused() -> None:
    invalid(lead, open_lead(), convert(opportunity_name=" "), "opportunity_name")


# --- closed leads accept no changes ----------------------------------------------------------

CHANGES = [
    RecordEngagement("reply"),
    AssignLead(REP_2),
    LogInteraction("int-1", "call"),
    ScheduleFollowUp("fu-1", NEXT_WEEK, TODAY),
    CompleteFollowUp("fu-1"),
    QualifyLead(),
    DisqualifyLead("no budget"),
    convert(),
    HandOverLead("rep-1", REP_2, PLAN),
]


@pytest.mark.parametrize("command", CHANGES, ids=lambda c: type(c).__name__)
def test_a_converted_lead_accepts_no_changes(command: Command) -> None:
    state = given(lead, CAPTURED, ASSIGNED, CONVERTED)
    error = rejected(lead, state, command, LeadAlreadyConvertedError)
    assert error.code == "lead_already_converted"


@pytest.mark.parametrize("command", CHANGES, ids=lambda c: type(c).__name__)
def test_a_disqualified_lead_accepts_no_changes(command: Command) -> None:
    state = given(lead, CAPTURED, ASSIGNED, LeadDisqualified("no budget"))
    error = rejected(lead, state, command, LeadClosedError)
    assert error.code == "lead_closed"


def test_a_command_for_an_unknown_lead_is_refused() -> None:
    error = rejected(lead, None, QualifyLead(), NotFoundError)
    assert error.code == "not_found"


def test_a_command_of_another_aggregate_is_a_programming_error() -> None:
    rejected(lead, open_lead(), ReceiveStock(1), TypeError)


# --- HandOverLead / AdvanceLeadHandOver ------------------------------------------------------

def test_hand_over_lead_records_successor_and_plan() -> None:
    assert when(lead, open_lead(), HandOverLead("rep-1", REP_2, PLAN)) == [HANDED_OVER]


def test_hand_over_lead_not_owned_by_the_departing_rep_records_nothing() -> None:
    state = given(lead, CAPTURED, ASSIGNED, HANDED_OVER)
    assert when(lead, state, HandOverLead("rep-1", REP_2, PLAN)) == []


def test_hand_over_lead_to_a_departed_successor_is_refused() -> None:
    error = rejected(lead, open_lead(), HandOverLead("rep-1", DEPARTED_REP, PLAN),
                     RepDepartedError)
    assert error.code == "rep_departed"


def test_advance_lead_hand_over_from_pending_to_introduced() -> None:
    state = given(lead, CAPTURED, ASSIGNED, HANDED_OVER)
    assert when(lead, state, AdvanceLeadHandOver("introduced")) == [
        LeadHandOverAdvanced("introduced")
    ]


def test_advance_lead_hand_over_from_introduced_to_completed() -> None:
    state = given(lead, CAPTURED, ASSIGNED, HANDED_OVER, LeadHandOverAdvanced("introduced"))
    assert when(lead, state, AdvanceLeadHandOver("completed")) == [
        LeadHandOverAdvanced("completed")
    ]


@pytest.mark.parametrize(
    ("history", "requested"),
    [
        ((), "introduced"),  # no hand-over in progress
        ((HANDED_OVER,), "completed"),  # skips introduced
        ((HANDED_OVER, LeadHandOverAdvanced("introduced")), "introduced"),  # repeats
        ((HANDED_OVER, LeadHandOverAdvanced("introduced"), LeadHandOverAdvanced("completed")),
         "completed"),  # already completed
    ],
    ids=["none", "skip", "repeat", "after-completed"],
)
def test_advance_lead_hand_over_out_of_order_is_refused(history: tuple, requested: str) -> None:
    state = given(lead, CAPTURED, ASSIGNED, *history)
    error = rejected(lead, state, AdvanceLeadHandOver(requested), InvalidTransitionError)
    assert error.code == "invalid_transition"


def test_a_handed_over_lead_converted_since_can_still_finish_its_hand_over() -> None:
    # The hand-over item must not stay pending for ever because the successor converted the lead.
    state = given(lead, CAPTURED, ASSIGNED, HANDED_OVER, CONVERTED)
    assert when(lead, state, AdvanceLeadHandOver("introduced")) == [
        LeadHandOverAdvanced("introduced")
    ]


# --- evolve ----------------------------------------------------------------------------------

def test_evolve_a_captured_lead_is_open_unowned_and_unscored() -> None:
    state = given(lead, CAPTURED)
    assert (state.id, state.status, state.owner_id, state.score) == ("lead-1", "open", None, 0)
    assert (state.email, state.duplicate_of, state.closed) == (
        "Anna.Schmidt+fair@Acme.example", None, False)
    assert state.profile.company_size == 250


def test_evolve_folds_score_engagement_owner_and_follow_ups() -> None:
    state = given(
        lead, CAPTURED, SCORED, ASSIGNED, LeadEngagementRecorded("reply", 1),
        LeadEngagementRecorded("reply", 2), LeadScored(71, ()),
        LeadFollowUpScheduled("fu-1", NEXT_WEEK, "call back"),
        LeadFollowUpScheduled("fu-2", NEXT_WEEK, ""), LeadFollowUpCompleted("fu-1", None),
    )
    assert (state.score, state.owner_id, state.engagement) == (71, "rep-1", {"reply": 3})
    assert [(f.follow_up_id, f.done) for f in state.follow_ups.values()] == [
        ("fu-1", True), ("fu-2", False)]


def test_evolve_hand_over_moves_the_owner_and_tracks_its_status() -> None:
    state = given(lead, CAPTURED, ASSIGNED, HANDED_OVER)
    assert (state.owner_id, state.handover_status) == ("rep-2", "pending")
    state = lead.evolve(state, LeadHandOverAdvanced("introduced"))
    assert state.handover_status == "introduced"


@pytest.mark.parametrize(
    ("event", "status", "closed"),
    [(LeadQualified(), "qualified", False), (LeadDisqualified("x"), "disqualified", True),
     (CONVERTED, "converted", True)],
    ids=["qualified", "disqualified", "converted"],
)
def test_evolve_status_after_qualification(event: Event, status: str, closed: bool) -> None:
    state = given(lead, CAPTURED, ASSIGNED, event)
    assert (state.status, state.closed) == (status, closed)


def test_evolve_conversion_is_kept_on_the_lead() -> None:
    assert given(lead, CAPTURED, ASSIGNED, CONVERTED).conversion == CONVERTED
