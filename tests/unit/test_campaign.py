"""Campaign: a marketing effort on one channel, with its cost (zero or more) and window."""

from datetime import date
from decimal import Decimal

import pytest

from domain import campaign
from domain.campaign import Campaign, CampaignRegistered, RegisterCampaign
from domain.errors import AlreadyExistsError
from tests.unit.given import broken_rule, given, invalid, rejected, when

STARTS, ENDS = date(2026, 4, 1), date(2026, 4, 30)
REGISTERED = CampaignRegistered("c-1", "Trade fair", "event", Decimal("4500.00"), "EUR", STARTS,
                                ENDS)


def register(**changes: object) -> RegisterCampaign:
    fields: dict[str, object] = dict(campaign_id="c-1", name="Trade fair", channel="event",
                                     cost=Decimal("4500.00"), currency="eur", starts=STARTS,
                                     ends=ENDS)
    return RegisterCampaign(**{**fields, **changes})  # type: ignore[arg-type]


def test_register_a_campaign() -> None:
    assert when(campaign, None, register()) == [REGISTERED]
    assert given(campaign, REGISTERED) == Campaign("c-1", "Trade fair", "event",
                                                   Decimal("4500.00"), "EUR", STARTS, ENDS)


def test_a_campaign_may_cost_nothing() -> None:
    assert when(campaign, None, register(cost=Decimal(0)))[0].cost == 0  # type: ignore[attr-defined]


def test_register_it_twice_is_refused() -> None:
    rejected(campaign, given(campaign, REGISTERED), register(), AlreadyExistsError)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"cost": Decimal("-0.01")}, "cost"), ({"cost": Decimal("1.001")}, "cost"),
     ({"currency": "EU"}, "currency"), ({"channel": "billboard"}, "channel"),
     ({"name": ""}, "name"), ({"ends": date(2100, 1, 1)}, "ends")],
)
def test_an_invalid_value_names_the_field(changes: dict[str, object], field: str) -> None:
    invalid(campaign, None, register(**changes), field)


def test_a_campaign_ending_before_it_starts_is_refused() -> None:
    broken_rule(campaign, None, register(ends=date(2026, 3, 31)), "ends")
