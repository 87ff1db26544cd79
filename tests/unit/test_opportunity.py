"""Opportunity: opening, evaluation, stages, amount and date, quotes, owner and hand-over."""

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType

import pytest

from domain import opportunity
from domain.errors import (
    AlreadyExistsError,
    InvalidTransitionError,
    NotFoundError,
    OpportunityClosedError,
    RepDepartedError,
)
from domain.events import Command, Event
from domain.handover import HandOverPlan
from domain.opportunity import (
    AdvanceOpportunityHandOver,
    ChangeAmount,
    ChangeCloseDate,
    ChangeOpportunityOwner,
    ChangeStage,
    EvaluateOpportunity,
    HandOverOpportunity,
    IssueQuote,
    OpenOpportunity,
    OpportunityAmountChanged,
    OpportunityCloseDateChanged,
    OpportunityEvaluated,
    OpportunityHandedOver,
    OpportunityHandOverAdvanced,
    OpportunityLost,
    OpportunityOpened,
    OpportunityOwnerChanged,
    OpportunityQuoteIssued,
    OpportunityStageChanged,
    OpportunityWon,
)
from domain.pricing import PricedLine, PriceRequest, PriceRules, RegionalPrices
from domain.stages import DEFAULT_PROBABILITIES, Stage
from domain.stock_item import ReceiveStock
from domain.values import RepRef, Tier
from tests.unit.given import broken_rule, given, invalid, rejected, when

AT = datetime(2026, 3, 2, 10, 0)
CLOSE = date(2026, 6, 30)
REP_1 = RepRef("rep-1", active=True)
REP_2 = RepRef("rep-2", active=True)
DEPARTED_REP = RepRef("rep-9", active=False)
OPTIMISTIC = MappingProxyType({**DEFAULT_PROBABILITIES, Stage.PROSPECTING: 20, Stage.PROPOSAL: 60})

OPENED = OpportunityOpened("opp-1", "acc-1", "rep-1", "Acme CRM roll-out", Decimal("25000"),
                           "EUR", CLOSE, ("SKU-1",), "prospecting", 10, "lead-1")
TO_NEGOTIATION = OpportunityStageChanged("prospecting", "negotiation", 75)
PLAN = HandOverPlan(Tier.MIDDLE, "departing_rep_calls_and_fixes_next_meeting", "rep-1", CLOSE)
HANDED_OVER = OpportunityHandedOver("rep-1", "rep-2", "middle",
                                    "departing_rep_calls_and_fixes_next_meeting", "rep-1", CLOSE)


def open_opportunity(**changes: object) -> OpenOpportunity:
    fields: dict[str, object] = dict(
        opportunity_id="opp-1", account_id="acc-1", owner=REP_1, name="Acme CRM roll-out",
        amount=Decimal("25000"), expected_close=CLOSE, products=("SKU-1",), source_lead_id="lead-1",
    )
    return OpenOpportunity(**{**fields, **changes})  # type: ignore[arg-type]


def acme_deal(*more: Event) -> opportunity.Opportunity:
    return given(opportunity, OPENED, *more)


# --- OpenOpportunity -------------------------------------------------------------------------

def test_open_opportunity_starts_in_prospecting_at_its_default_probability() -> None:
    assert when(opportunity, None, open_opportunity()) == [OPENED]


def test_open_opportunity_normalises_the_currency_code() -> None:
    command = open_opportunity(currency="usd", name=" Acme CRM roll-out ")
    assert when(opportunity, None, command) == [replace(OPENED, currency="USD")]


def test_open_opportunity_uses_the_configured_probability_table() -> None:
    events = when(opportunity, None, open_opportunity(probabilities=OPTIMISTIC))
    assert events == [replace(OPENED, probability=20)]


def test_open_opportunity_twice_is_refused() -> None:
    rejected(opportunity, acme_deal(), open_opportunity(), AlreadyExistsError)


def test_open_opportunity_for_a_departed_rep_is_refused() -> None:
    error = rejected(opportunity, None, open_opportunity(owner=DEPARTED_REP), RepDepartedError)
    assert error.code == "rep_departed"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": Decimal(0)}, "amount"),
        ({"amount": Decimal("-5")}, "amount"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "E1R"}, "currency"),
        ({"name": "  "}, "name"),
    ],
)
def test_open_opportunity_with_an_invalid_value_names_the_field(changes: dict, field: str) -> None:
    invalid(opportunity, None, open_opportunity(**changes), field)


# --- EvaluateOpportunity ---------------------------------------------------------------------

def test_evaluate_opportunity_records_scores_priority_and_win_probability() -> None:
    events = when(opportunity, acme_deal(), EvaluateOpportunity(8, 7, 6, 4))
    assert events == [OpportunityEvaluated(8, 7, 6, 4, "medium", 67)]


@pytest.mark.parametrize(
    ("command", "field"),
    [(EvaluateOpportunity(11, 5, 5, 5), "budget"),
     (EvaluateOpportunity(5, 5, 5, -1), "competition")],
)
def test_evaluate_opportunity_out_of_range_names_the_score(command: Command, field: str) -> None:
    invalid(opportunity, acme_deal(), command, field)


# --- ChangeStage -----------------------------------------------------------------------------

def test_change_stage_records_from_to_and_the_new_probability() -> None:
    events = when(opportunity, acme_deal(), ChangeStage("proposal"))
    assert events == [OpportunityStageChanged("prospecting", "proposal", 50)]


def test_change_stage_back_to_an_earlier_stage_is_recorded() -> None:
    events = when(opportunity, acme_deal(TO_NEGOTIATION), ChangeStage("qualification"))
    assert events == [OpportunityStageChanged("negotiation", "qualification", 25)]


def test_change_stage_uses_the_configured_probability_table() -> None:
    events = when(opportunity, acme_deal(), ChangeStage("proposal", probabilities=OPTIMISTIC))
    assert events == [OpportunityStageChanged("prospecting", "proposal", 60)]


def test_change_stage_to_closed_won_records_the_win_with_amount_and_currency() -> None:
    events = when(opportunity, acme_deal(TO_NEGOTIATION), ChangeStage("closed_won"))
    assert events == [OpportunityStageChanged("negotiation", "closed_won", 100),
                      OpportunityWon(Decimal("25000"), "EUR")]


def test_change_stage_to_closed_lost_records_reason_and_competitor() -> None:
    events = when(opportunity, acme_deal(), ChangeStage("closed_lost", "price", "Globex"))
    assert events == [OpportunityStageChanged("prospecting", "closed_lost", 0),
                      OpportunityLost("price", "Globex")]


def test_change_stage_to_closed_lost_without_a_reason_records_unspecified() -> None:
    events = when(opportunity, acme_deal(), ChangeStage("closed_lost"))
    assert events[1] == OpportunityLost("unspecified", None)


def test_change_stage_to_the_current_stage_records_nothing() -> None:
    assert when(opportunity, acme_deal(TO_NEGOTIATION), ChangeStage("negotiation")) == []


def test_change_stage_to_an_unknown_stage_is_refused() -> None:
    invalid(opportunity, acme_deal(), ChangeStage("signed"), "stage")


@pytest.mark.parametrize("closed", ["closed_won", "closed_lost"])
@pytest.mark.parametrize("target", ["negotiation", "closed_won", "closed_lost", "prospecting"])
def test_a_closed_opportunity_accepts_no_stage_change(closed: str, target: str) -> None:
    state = acme_deal(OpportunityStageChanged("prospecting", closed, 0))
    error = rejected(opportunity, state, ChangeStage(target), OpportunityClosedError)
    assert error.code == "opportunity_closed"


@pytest.mark.parametrize(
    "command",
    [EvaluateOpportunity(5, 5, 5, 5), ChangeAmount(Decimal(1)), ChangeCloseDate(date(2026, 7, 1)),
     IssueQuote("q-1", (PriceRequest("SKU-1", Decimal(1), 1, None, None, AT),), PriceRules(),
                CLOSE),
     ChangeOpportunityOwner(REP_2), HandOverOpportunity("rep-1", REP_2, PLAN)],
    ids=lambda c: type(c).__name__,
)
def test_a_closed_opportunity_accepts_no_other_change(command: Command) -> None:
    state = acme_deal(OpportunityStageChanged("prospecting", "closed_won", 100))
    rejected(opportunity, state, command, OpportunityClosedError)


# --- ChangeAmount / ChangeCloseDate ----------------------------------------------------------

def test_change_amount_records_the_previous_amount() -> None:
    events = when(opportunity, acme_deal(), ChangeAmount(Decimal("30000")))
    assert events == [OpportunityAmountChanged(Decimal("30000"), Decimal("25000"))]


def test_change_amount_to_the_same_amount_records_nothing() -> None:
    assert when(opportunity, acme_deal(), ChangeAmount(Decimal("25000.00"))) == []


def test_change_amount_to_zero_is_refused() -> None:
    invalid(opportunity, acme_deal(), ChangeAmount(Decimal(0)), "amount")


def test_change_close_date_records_the_previous_date() -> None:
    events = when(opportunity, acme_deal(), ChangeCloseDate(date(2026, 9, 30)))
    assert events == [OpportunityCloseDateChanged(date(2026, 9, 30), CLOSE)]


def test_change_close_date_to_the_same_date_records_nothing() -> None:
    assert when(opportunity, acme_deal(), ChangeCloseDate(CLOSE)) == []


# --- IssueQuote ------------------------------------------------------------------------------

def quote(quote_id: str = "q-1", *requests: PriceRequest) -> IssueQuote:
    requests = requests or (
        PriceRequest("SKU-1", Decimal("100.00"), 10, "A", "north", AT),
        PriceRequest("SKU-2", Decimal("19.99"), 1, None, None, AT),
    )
    return IssueQuote(quote_id, requests, PriceRules(), date(2026, 3, 31))


def test_issue_quote_prices_every_line_and_records_the_rule() -> None:
    assert when(opportunity, acme_deal(), quote()) == [OpportunityQuoteIssued(
        "q-1",
        (PricedLine("SKU-1", 10, Decimal("100.00"), Decimal("92.00"),
                    "base_price+grade_discount:A(-8%)", Decimal("920.00")),
         PricedLine("SKU-2", 1, Decimal("19.99"), Decimal("19.99"), "base_price",
                    Decimal("19.99"))),
        Decimal("939.99"),
        date(2026, 3, 31),
    )]


def test_issue_quote_prices_in_the_opportunitys_currency_from_its_regions_list() -> None:
    west = RegionalPrices("north", "USD", MappingProxyType({"SKU-1": Decimal("120.00")}))
    rules = PriceRules(price_lists=MappingProxyType({"north": west}))
    line = PriceRequest("SKU-1", Decimal("100.00"), 1, None, "north", AT)
    in_dollars = acme_deal(replace(OPENED, currency="USD"))
    assert when(opportunity, in_dollars, IssueQuote("q-1", (line,), rules, CLOSE)) == [
        OpportunityQuoteIssued("q-1", (PricedLine("SKU-1", 1, Decimal("120.00"), Decimal("120.00"),
                                                  "price_list:north", Decimal("120.00")),),
                               Decimal("120.00"), CLOSE, "USD")]


def test_issue_quote_in_a_currency_nothing_prices_is_refused() -> None:
    in_dollars = acme_deal(replace(OPENED, currency="USD"))
    broken_rule(opportunity, in_dollars, quote(), "lines.0.sku")


def test_a_quote_stored_before_currencies_reads_as_in_euros() -> None:
    assert OpportunityQuoteIssued.upcast_v1_v2({"quote_id": "q-1"}) == {"quote_id": "q-1",
                                                                          "currency": "EUR"}


def test_issue_a_quote_with_a_known_id_is_refused() -> None:
    state = acme_deal(OpportunityQuoteIssued("q-1", (), Decimal(0), CLOSE))
    rejected(opportunity, state, quote("q-1"), AlreadyExistsError)


def test_issue_a_quote_without_lines_is_refused() -> None:
    invalid(opportunity, acme_deal(), IssueQuote("q-1", (), PriceRules(), CLOSE), "lines")


def test_issue_a_quote_with_a_zero_quantity_is_refused() -> None:
    zero = PriceRequest("SKU-1", Decimal("100.00"), 0, None, None, AT)
    invalid(opportunity, acme_deal(), quote("q-1", zero), "quantity")


# --- ChangeOpportunityOwner ------------------------------------------------------------------

def test_change_opportunity_owner_records_the_previous_owner() -> None:
    events = when(opportunity, acme_deal(), ChangeOpportunityOwner(REP_2))
    assert events == [OpportunityOwnerChanged("rep-2", "rep-1")]


def test_change_opportunity_owner_to_the_current_owner_records_nothing() -> None:
    assert when(opportunity, acme_deal(), ChangeOpportunityOwner(REP_1)) == []


def test_change_opportunity_owner_to_a_departed_rep_is_refused() -> None:
    rejected(opportunity, acme_deal(), ChangeOpportunityOwner(DEPARTED_REP), RepDepartedError)


# --- HandOverOpportunity / AdvanceOpportunityHandOver ----------------------------------------

def test_hand_over_opportunity_records_successor_and_plan() -> None:
    events = when(opportunity, acme_deal(), HandOverOpportunity("rep-1", REP_2, PLAN))
    assert events == [HANDED_OVER]


def test_hand_over_opportunity_not_owned_by_the_departing_rep_records_nothing() -> None:
    state = acme_deal(HANDED_OVER)
    assert when(opportunity, state, HandOverOpportunity("rep-1", REP_2, PLAN)) == []


def test_hand_over_opportunity_to_a_departed_successor_is_refused() -> None:
    rejected(opportunity, acme_deal(), HandOverOpportunity("rep-1", DEPARTED_REP, PLAN),
             RepDepartedError)


def test_advance_opportunity_hand_over_step_by_step() -> None:
    state = acme_deal(HANDED_OVER)
    assert when(opportunity, state, AdvanceOpportunityHandOver("introduced")) == [
        OpportunityHandOverAdvanced("introduced")]
    state = opportunity.evolve(state, OpportunityHandOverAdvanced("introduced"))
    assert when(opportunity, state, AdvanceOpportunityHandOver("completed")) == [
        OpportunityHandOverAdvanced("completed")]


def test_hand_over_of_an_opportunity_closed_since_can_still_be_advanced() -> None:
    state = acme_deal(HANDED_OVER, OpportunityStageChanged("prospecting", "closed_won", 100))
    assert when(opportunity, state, AdvanceOpportunityHandOver("introduced")) == [
        OpportunityHandOverAdvanced("introduced")]


@pytest.mark.parametrize(
    ("history", "requested"),
    [((), "introduced"), ((HANDED_OVER,), "completed"),
     ((HANDED_OVER, OpportunityHandOverAdvanced("introduced")), "pending")],
    ids=["none", "skip", "backwards"],
)
def test_advance_opportunity_hand_over_out_of_order_is_refused(history: tuple,
                                                               requested: str) -> None:
    state = acme_deal(*history)
    rejected(opportunity, state, AdvanceOpportunityHandOver(requested), InvalidTransitionError)


# --- unknown opportunity / foreign command ---------------------------------------------------

def test_a_command_for_an_unknown_opportunity_is_refused() -> None:
    rejected(opportunity, None, ChangeStage("proposal"), NotFoundError)


def test_a_command_of_another_aggregate_is_a_programming_error() -> None:
    rejected(opportunity, acme_deal(), ReceiveStock(1), TypeError)


# --- evolve ----------------------------------------------------------------------------------

def test_evolve_an_opened_opportunity_is_open_in_prospecting() -> None:
    state = acme_deal()
    assert (state.stage, state.probability, state.open) == (Stage.PROSPECTING, 10, True)
    assert (state.owner_id, state.amount, state.currency) == ("rep-1", Decimal("25000"), "EUR")


def test_evolve_folds_stage_amount_date_quotes_and_owner() -> None:
    state = acme_deal(
        TO_NEGOTIATION, OpportunityAmountChanged(Decimal("30000"), Decimal("25000")),
        OpportunityCloseDateChanged(date(2026, 9, 30), CLOSE),
        OpportunityQuoteIssued("q-1", (), Decimal("939.99"), CLOSE),
        OpportunityOwnerChanged("rep-2", "rep-1"),
    )
    assert (state.stage, state.probability) == (Stage.NEGOTIATION, 75)
    assert (state.amount, state.expected_close) == (Decimal("30000"), date(2026, 9, 30))
    assert (state.quotes, state.owner_id) == ({"q-1": Decimal("939.99")}, "rep-2")


@pytest.mark.parametrize(("stage", "probability"), [("closed_won", 100), ("closed_lost", 0)])
def test_evolve_a_closed_opportunity_is_no_longer_open(stage: str, probability: int) -> None:
    state = acme_deal(OpportunityStageChanged("prospecting", stage, probability))
    assert (state.stage, state.probability, state.open) == (Stage(stage), probability, False)


def test_evolve_hand_over_moves_the_owner_and_tracks_its_status() -> None:
    state = acme_deal(HANDED_OVER)
    assert (state.owner_id, state.handover_status) == ("rep-2", "pending")
    state = opportunity.evolve(state, OpportunityHandOverAdvanced("introduced"))
    state = opportunity.evolve(state, OpportunityHandOverAdvanced("completed"))
    assert state.handover_status == "completed"
