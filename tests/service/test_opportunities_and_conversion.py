"""Opportunities through the service layer (stages, quotes, amounts) and lead conversion."""

from datetime import date
from decimal import Decimal

import pytest

from domain.account import AccountOpened, ContactAdded
from domain.errors import (
    NotFoundError,
    OpportunityClosedError,
    ValidationError,
)
from domain.lead import LeadConverted
from domain.opportunity import (
    OpportunityAmountChanged,
    OpportunityLost,
    OpportunityOpened,
    OpportunityQuoteIssued,
    OpportunityStageChanged,
    OpportunityWon,
)
from domain.pricing import PricedLine
from infra.errors import ConflictError
from infra.eventstore.ids import derived_id
from tests.conftest import FIXED_NOW, ctx
from tests.service.world import Service

CLOSE = date(2027, 3, 31)


def _deal(svc: Service) -> tuple[str, str, str]:
    _, (rob, _) = svc.team()
    account_id = svc.account(rob)
    opp = svc.sales.opportunities.open(ctx(), account_id=account_id, owner_id=rob, name="Deal",
                                       amount=Decimal(1000), expected_close=CLOSE)
    svc.then()
    return str(opp.stream_id), account_id, rob


def test_an_opportunity_opens_at_prospecting_on_an_existing_account(svc):
    _, (rob, _) = svc.team()
    account_id = svc.account(rob)

    answer = svc.sales.opportunities.open(ctx(), account_id=account_id, owner_id=rob,
                                          name="Deal", amount=Decimal(1000), expected_close=CLOSE,
                                          products=("Gateway",))

    opp_id = str(answer.stream_id)
    assert svc.then() == [OpportunityOpened(opp_id, account_id, rob, "Deal", Decimal(1000),
                                            "EUR", CLOSE, ("Gateway",), "prospecting", 10, None)]


def test_an_opportunity_on_an_unknown_account_is_refused(svc):
    _, (rob, _) = svc.team()

    with pytest.raises(NotFoundError):
        svc.sales.opportunities.open(ctx(), account_id=str(derived_id(rob, "x")), owner_id=rob,
                                     name="Deal", amount=Decimal(1), expected_close=CLOSE)
    assert svc.then() == []


def test_stages_move_forward_with_their_probabilities_and_end_won(svc):
    opp_id, _, _ = _deal(svc)

    for stage in ("qualification", "proposal", "negotiation", "closed_won"):
        svc.sales.opportunities.change_stage(ctx(), opp_id, stage=stage)

    assert svc.then() == [
        OpportunityStageChanged("prospecting", "qualification", 25),
        OpportunityStageChanged("qualification", "proposal", 50),
        OpportunityStageChanged("proposal", "negotiation", 75),
        OpportunityStageChanged("negotiation", "closed_won", 100),
        OpportunityWon(Decimal(1000), "EUR")]
    with pytest.raises(OpportunityClosedError):
        svc.sales.opportunities.change_amount(ctx(), opp_id, amount=Decimal(5))
    assert svc.then() == []


def test_a_lost_deal_records_reason_and_competitor(svc):
    opp_id, _, _ = _deal(svc)

    svc.sales.opportunities.change_stage(ctx(), opp_id, stage="closed_lost", reason="price",
                                         competitor="Rival")

    assert svc.then()[-1] == OpportunityLost("price", "Rival")


def test_an_unknown_stage_is_refused_and_writes_nothing(svc):
    opp_id, _, _ = _deal(svc)

    with pytest.raises(ValidationError) as invalid:
        svc.sales.opportunities.change_stage(ctx(), opp_id, stage="dreaming")
    assert invalid.value.field == "stage"
    assert svc.then() == []


def test_a_stage_change_at_a_stale_version_is_a_conflict_and_writes_nothing(svc):
    opp_id, _, _ = _deal(svc)
    svc.sales.opportunities.change_stage(ctx(), opp_id, stage="qualification", expected_version=1)
    svc.then()

    with pytest.raises(ConflictError):
        svc.sales.opportunities.change_stage(ctx(), opp_id, stage="proposal", expected_version=1)

    assert svc.then() == []
    assert svc.sales.opportunities.get(opp_id).stage == "qualification"


def test_an_amount_change_records_the_previous_amount(svc):
    opp_id, _, _ = _deal(svc)

    svc.sales.opportunities.change_amount(ctx(), opp_id, amount=Decimal(2500))

    assert svc.then() == [OpportunityAmountChanged(Decimal(2500), Decimal(1000))]


def test_a_quote_is_priced_from_the_stock_items_and_the_accounts_grade(svc):
    opp_id, _, _ = _deal(svc)
    svc.stock("S-1", on_hand=0, price="50.00")

    svc.sales.opportunities.issue_quote(ctx(), opp_id, quote_id="Q-1", lines=[("S-1", 3)],
                                        valid_until=date(2026, 12, 31))

    line = PricedLine("S-1", 3, Decimal("50.00"), Decimal("50.00"), "base_price",
                      Decimal("150.00"))
    assert svc.then() == [OpportunityQuoteIssued("Q-1", (line,), Decimal("150.00"),
                                                 date(2026, 12, 31))]


def test_conversion_creates_account_contact_and_opportunity_from_the_lead(svc):
    _, (rob, _) = svc.team()
    lead_id = str(svc.sales.leads.capture(
        ctx(), person="Ann Meyer", company="Acme GmbH", email="ann@acme.io", channel="referral",
        region="north", interests=("Gateway",), owner_id=rob).stream_id)
    svc.then()

    conversion = svc.sales.conversion.convert(ctx(), lead_id, amount=Decimal(25000))

    account_id, contact_id, opp_id = (conversion.account_id, conversion.contact_id,
                                      conversion.opportunity_id)
    assert (account_id, contact_id, opp_id) == tuple(
        str(derived_id(lead_id, purpose)) for purpose in ("account", "contact", "opportunity"))
    converted, opened, contact, deal = svc.then()
    assert converted == LeadConverted(account_id, contact_id, opp_id, False, "Acme GmbH: Gateway",
                                      Decimal(25000), date(2027, 1, 31))
    assert opened == AccountOpened(account_id, "Acme GmbH", None, None, "north", rob)
    assert isinstance(contact, ContactAdded)
    assert (contact.contact_id, contact.email, contact.source_lead_id) == (
        contact_id, "ann@acme.io", lead_id)
    assert deal == OpportunityOpened(opp_id, account_id, rob, "Acme GmbH: Gateway",
                                     Decimal(25000), "EUR", date(2027, 1, 31), ("Gateway",),
                                     "prospecting", 10, lead_id)
    assert svc.sales.leads.get(lead_id).status == "converted"
    assert FIXED_NOW.date() < deal.expected_close


def test_a_conversion_into_an_existing_account_adds_contact_and_deal_only(svc):
    _, (rob, _) = svc.team()
    account_id = svc.account(rob)
    lead_id = str(svc.sales.leads.capture(ctx(), person="Bo", company="Acme", email="bo@acme.io",
                                          channel="referral", owner_id=rob).stream_id)
    svc.then()

    conversion = svc.sales.conversion.convert(ctx(), lead_id, account_id=account_id)

    assert conversion.account_id == account_id
    assert [type(e).__name__ for e in svc.then()] == ["LeadConverted", "ContactAdded",
                                                      "OpportunityOpened"]


def test_completing_a_finished_conversion_again_adds_nothing(svc):
    _, (rob, _) = svc.team()
    lead_id = str(svc.sales.leads.capture(ctx(), person="Cy", company="Acme", email="cy@acme.io",
                                          channel="referral", owner_id=rob).stream_id)
    first = svc.sales.conversion.convert(ctx(), lead_id)
    svc.then()

    again = svc.sales.conversion.complete(ctx(), lead_id)

    assert (again.account_id, again.opportunity_id) == (first.account_id, first.opportunity_id)
    assert svc.then() == []
