"""PriceList: a region's unit prices in one currency, set whole; the same list again records
nothing."""

from decimal import Decimal

import pytest

from domain import price_list
from domain.price_list import ListedPrice, PriceListSet, SetPriceList
from domain.pricing import RegionalPrices
from tests.unit.given import broken_rule, given, invalid, when

GATEWAY, SENSOR = ListedPrice("GW-200", Decimal("1100.00")), ListedPrice("SN-1", Decimal("9.50"))
SET = PriceListSet("north", "EUR", (GATEWAY, SENSOR))


def test_set_a_price_list() -> None:
    assert when(price_list, None, SetPriceList(" north ", "eur", (GATEWAY, SENSOR))) == [SET]


def test_the_list_prices_each_sku_in_its_currency() -> None:
    state = given(price_list, SET)
    assert (state.region, state.currency, dict(state.prices)) == (
        "north", "EUR", {"GW-200": Decimal("1100.00"), "SN-1": Decimal("9.50")})


def test_setting_it_again_replaces_every_entry() -> None:
    state = given(price_list, SET)
    cheaper = ListedPrice("GW-200", Decimal("999.00"))
    events = when(price_list, state, SetPriceList("north", "USD", (cheaper,)))
    assert events == [PriceListSet("north", "USD", (cheaper,))]
    assert dict(given(price_list, SET, *events).prices) == {"GW-200": Decimal("999.00")}


def test_setting_the_same_list_in_another_order_records_nothing() -> None:
    state = given(price_list, SET)
    assert when(price_list, state, SetPriceList("north", "EUR", (SENSOR, GATEWAY))) == []


def test_an_empty_list_withdraws_every_price() -> None:
    events = when(price_list, given(price_list, SET), SetPriceList("north", "EUR", ()))
    assert given(price_list, SET, *events) == RegionalPrices("north", "EUR", {})


@pytest.mark.parametrize(
    ("command", "field"),
    [(SetPriceList("north", "EURO", (GATEWAY,)), "currency"),
     (SetPriceList("north", "E1R", (GATEWAY,)), "currency"),
     (SetPriceList(" ", "EUR", (GATEWAY,)), "region"),
     (SetPriceList("north", "EUR", (GATEWAY, ListedPrice("SN-1", Decimal(0)))),
      "prices.1.unit_price"),
     (SetPriceList("north", "EUR", (ListedPrice("SN-1", Decimal("-1")),)), "prices.0.unit_price"),
     (SetPriceList("north", "EUR", (ListedPrice("SN-1", Decimal("9.999")),)),
      "prices.0.unit_price"),
     (SetPriceList("north", "EUR", (ListedPrice("bad sku", Decimal(1)),)), "prices.0.sku")],
    ids=["currency-length", "currency-digit", "region", "zero", "negative", "fraction-of-cent",
         "sku"],
)
def test_an_invalid_value_names_the_field(command: SetPriceList, field: str) -> None:
    invalid(price_list, None, command, field)


def test_a_sku_listed_twice_is_refused() -> None:
    broken_rule(price_list, None, SetPriceList("north", "EUR", (GATEWAY, SENSOR, GATEWAY)),
                "prices.2.sku")
