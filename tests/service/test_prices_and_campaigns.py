"""Price lists, promotions and campaigns through the service layer: set by commands, read by
the orders and quotes priced afterwards (prices checked by hand), named by the leads."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.campaign import CampaignRegistered
from domain.errors import (
    AlreadyExistsError,
    NotFoundError,
    RuleViolationError,
    UnknownReferenceError,
)
from domain.lead import LeadCaptured
from domain.order import OrderPlaced
from domain.price_list import ListedPrice, PriceListSet
from domain.pricing import PricedLine
from domain.promotions import PromotionAdded
from infra.eventstore.ids import price_list_id, promotion_id
from infra.service.commands import CommandContext
from tests.conftest import ctx
from tests.service.world import Service

NORTH_PRICES = [("S-1", Decimal("90.00")), ("S-2", Decimal("12.50"))]


def on(day: date) -> CommandContext:
    return CommandContext(actor="tester", now=datetime(day.year, day.month, day.day, 12,
                                                       tzinfo=UTC))


def _customer(svc: Service, region: str = "north") -> str:
    _, (rob, _) = svc.team()
    return svc.account(rob, region=region)


def _priced(svc: Service, account_id: str, *lines: tuple[str, int],
            when: CommandContext | None = None, currency: str | None = None) -> OrderPlaced:
    answer = svc.sales.orders.place(when or ctx(), account_id=account_id, lines=list(lines),
                                    currency=currency)
    placed = answer.events[0]
    assert isinstance(placed, OrderPlaced)
    return placed


# --- price lists -----------------------------------------------------------------------------

def test_a_price_list_is_set_and_beats_the_base_price(svc):
    svc.stock("S-1", price="100.00")
    svc.stock("S-2", price="15.00")
    svc.stock("S-3", price="7.00")
    answer = svc.sales.prices.set_price_list(ctx(), "north", currency="EUR", prices=NORTH_PRICES)
    assert svc.then() == [PriceListSet("north", "EUR", (ListedPrice("S-1", Decimal("90.00")),
                                                        ListedPrice("S-2", Decimal("12.50"))))]
    assert (answer.stream_id, answer.version) == (price_list_id("north"), 1)

    placed = _priced(svc, _customer(svc), ("S-1", 2), ("S-3", 1))
    assert placed.lines == (
        PricedLine("S-1", 2, Decimal("90.00"), Decimal("90.00"), "price_list:north",
                   Decimal("180.00")),
        PricedLine("S-3", 1, Decimal("7.00"), Decimal("7.00"), "base_price", Decimal("7.00")))
    assert (placed.total, placed.currency) == (Decimal("187.00"), "EUR")


def test_another_regions_customer_keeps_the_base_price(svc):
    svc.stock("S-1", price="100.00")
    svc.stock("S-2")
    svc.sales.prices.set_price_list(ctx(), "north", currency="EUR", prices=NORTH_PRICES)
    placed = _priced(svc, _customer(svc, "south"), ("S-1", 1))
    assert (placed.lines[0].unit_price, placed.lines[0].price_rule) == (Decimal("100.00"),
                                                                       "base_price")


def test_a_price_list_naming_an_unknown_sku_is_refused_and_writes_nothing(svc):
    svc.stock("S-1")
    with pytest.raises(UnknownReferenceError) as caught:
        svc.sales.prices.set_price_list(ctx(), "north", currency="EUR", prices=NORTH_PRICES)
    assert caught.value.field == "prices.1.sku"
    assert svc.then() == []


def test_an_order_is_priced_by_the_list_stored_now_even_if_this_process_saw_an_older_one(svc):
    svc.stock("S-1", price="100.00")
    svc.stock("S-2")
    svc.sales.prices.set_price_list(ctx(), "north", currency="EUR", prices=NORTH_PRICES)
    svc.given(price_list_id("north"),  # as another process would have stored it
              PriceListSet("north", "EUR", (ListedPrice("S-1", Decimal("80.00")),)))
    placed = _priced(svc, _customer(svc), ("S-1", 1))
    assert (placed.lines[0].unit_price, placed.lines[0].price_rule) == (Decimal("80.00"),
                                                                       "price_list:north")


def test_a_dollar_list_prices_its_regions_orders_in_dollars(svc):
    svc.stock("S-1", on_hand=20, price="100.00")
    svc.sales.prices.set_price_list(ctx(), "west", currency="USD",
                                    prices=[("S-1", Decimal("118.00"))])
    account_id = _customer(svc, "west")
    in_dollars = _priced(svc, account_id, ("S-1", 10))  # 10 pieces: 3 % off 118.00
    assert (in_dollars.currency, in_dollars.lines[0].unit_price, in_dollars.lines[0].price_rule
            ) == ("USD", Decimal("114.46"), "price_list:west+volume_break:10+(-3%)")
    in_euros = _priced(svc, account_id, ("S-1", 1), currency="EUR")
    assert (in_euros.currency, in_euros.lines[0].price_rule) == ("EUR", "base_price")


def test_an_order_in_a_currency_nothing_prices_is_refused_and_writes_nothing(svc):
    svc.stock("S-1")
    account_id = _customer(svc)
    svc.then()
    with pytest.raises(RuleViolationError) as caught:
        _priced(svc, account_id, ("S-1", 1), currency="USD")
    assert caught.value.field == "lines.0.sku"
    assert svc.then() == []


# --- promotions ------------------------------------------------------------------------------

def test_a_promotion_applies_inside_its_window_and_not_outside(svc):
    svc.stock("S-1", on_hand=100, price="100.00")
    answer = svc.sales.prices.add_promotion(ctx(), name="Winter", percent=Decimal("7.5"),
                                            skus=["S-1"], valid_from=date(2026, 12, 1),
                                            valid_to=date(2026, 12, 24))
    added = PromotionAdded(str(promotion_id("Winter")), "Winter", Decimal("7.5"), ("S-1",),
                           date(2026, 12, 1), date(2026, 12, 24))
    assert svc.then() == [added] and answer.events == (added,)
    account_id = _customer(svc)

    def unit_price_on(day: date) -> tuple[Decimal, str]:
        line = _priced(svc, account_id, ("S-1", 1), when=on(day)).lines[0]
        return line.unit_price, line.price_rule

    assert unit_price_on(date(2026, 11, 30)) == (Decimal("100.00"), "base_price")
    assert unit_price_on(date(2026, 12, 1)) == (Decimal("92.50"),
                                                "base_price+promotion:Winter(-7.5%)")
    assert unit_price_on(date(2026, 12, 24)) == (Decimal("92.50"),
                                                 "base_price+promotion:Winter(-7.5%)")
    assert unit_price_on(date(2026, 12, 25)) == (Decimal("100.00"), "base_price")


def test_a_promotion_name_is_taken_once_and_its_skus_must_exist(svc):
    svc.stock("S-1")
    svc.sales.prices.add_promotion(ctx(), name="Winter", percent=Decimal(5), skus=[],
                                   valid_from=date(2026, 12, 1), valid_to=date(2026, 12, 24))
    svc.then()
    with pytest.raises(AlreadyExistsError):
        svc.sales.prices.add_promotion(ctx(), name="WINTER", percent=Decimal(5), skus=[],
                                       valid_from=date(2026, 12, 1), valid_to=date(2026, 12, 24))
    with pytest.raises(UnknownReferenceError) as caught:
        svc.sales.prices.add_promotion(ctx(), name="Spring", percent=Decimal(5),
                                       skus=["S-1", "S-9"], valid_from=date(2027, 3, 1),
                                       valid_to=date(2027, 3, 31))
    assert caught.value.field == "skus.1"
    assert svc.then() == []
    assert [p.name for p in svc.sales.prices.calendar().promotions] == ["Winter"]


def test_a_quote_is_priced_in_the_deals_currency_by_list_and_promotion(svc):
    svc.stock("S-1", price="100.00")
    svc.sales.prices.set_price_list(ctx(), "west", currency="USD",
                                    prices=[("S-1", Decimal("120.00"))])
    svc.sales.prices.add_promotion(ctx(), name="Launch", percent=Decimal(20), skus=[],
                                   valid_from=date(2026, 11, 1), valid_to=date(2026, 11, 30))
    _, (rob, _) = svc.team()
    account_id = svc.account(rob, region="west")
    deal = svc.sales.opportunities.open(ctx(), account_id=account_id, owner_id=rob, name="Deal",
                                        amount=Decimal(5000), expected_close=date(2027, 1, 31),
                                        currency="USD").stream_id
    answer = svc.sales.opportunities.issue_quote(ctx(), str(deal), quote_id="Q-1",
                                                 lines=[("S-1", 3)], valid_until=date(2026, 12, 1))
    quoted = answer.events[0]
    assert quoted.lines == (PricedLine(  # type: ignore[attr-defined]
        "S-1", 3, Decimal("120.00"), Decimal("96.00"), "price_list:west+promotion:Launch(-20%)",
        Decimal("288.00")),)
    assert (quoted.total, quoted.currency) == (Decimal("288.00"), "USD")  # type: ignore[attr-defined]


# --- campaigns -------------------------------------------------------------------------------

def _campaign(svc: Service) -> str:
    return str(svc.sales.campaigns.register(
        ctx(), name="Trade fair", channel="event", cost=Decimal("3000.00"), currency="eur",
        starts=date(2026, 10, 1), ends=date(2026, 10, 31)).stream_id)


def test_a_lead_names_the_campaign_it_came_from(svc):
    campaign_id = _campaign(svc)
    assert svc.then() == [CampaignRegistered(campaign_id, "Trade fair", "event",
                                             Decimal("3000.00"), "EUR", date(2026, 10, 1),
                                             date(2026, 10, 31))]
    answer = svc.sales.leads.capture(ctx(), person="Ida Klein", company="Klein AG",
                                     email="ida@klein.example", channel="event",
                                     campaign_id=campaign_id.upper())
    captured = answer.events[0]
    assert isinstance(captured, LeadCaptured) and captured.campaign_id == campaign_id
    assert svc.sales.leads.get(answer.stream_id).campaign_id == campaign_id


def test_a_lead_naming_an_unknown_campaign_is_refused_and_writes_nothing(svc):
    account_id = _customer(svc)
    svc.then()
    for unknown in ("0b7d5bd4-3f8e-4c61-9a3c-2f1f6e0d6a11", account_id):  # none; not a campaign
        with pytest.raises(NotFoundError):
            svc.sales.leads.capture(ctx(), person="Ida Klein", company="Klein AG",
                                    email="ida@klein.example", channel="event",
                                    campaign_id=unknown)
    assert svc.then() == []


def test_a_lead_converted_in_dollars_opens_a_deal_in_dollars(svc):
    _, (rob, _) = svc.team()
    lead_id = str(svc.sales.leads.capture(ctx(), person="Ida Klein", company="Klein AG",
                                          email="ida@klein.example", channel="event",
                                          owner_id=rob).stream_id)
    conversion = svc.sales.conversion.convert(ctx(), lead_id, amount=Decimal(8000),
                                              currency="USD")
    deal = svc.sales.opportunities.get(conversion.opportunity_id)
    assert (deal.amount, deal.currency) == (Decimal(8000), "USD")
    assert svc.sales.leads.get(lead_id).conversion.currency == "USD"
