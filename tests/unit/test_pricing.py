"""The price rules: base price or the region's price list (in its currency), then the single
best discount among grade, volume and promotions valid that day; each price names its rule."""

from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType

import pytest

from domain.errors import RuleViolationError
from domain.pricing import (
    PricedLine,
    PriceRequest,
    PriceRules,
    Promotion,
    RegionalPrices,
    ResolvedPrice,
    price_lines,
    resolve_price,
)

AT = datetime(2026, 3, 15, 12, 0)
SPRING = Promotion("SPRING", Decimal(15), ("SKU-1",), date(2026, 3, 1), date(2026, 3, 31))
SOUTH_EUR = RegionalPrices("south", "EUR", MappingProxyType({"SKU-1": Decimal("90.00")}))
WEST_USD = RegionalPrices("west", "USD", MappingProxyType({"SKU-1": Decimal("110.00")}))


def listed(*lists: RegionalPrices, promotions: tuple[Promotion, ...] = ()) -> PriceRules:
    return PriceRules(price_lists=MappingProxyType({p.region: p for p in lists}),
                      promotions=promotions)


def price(quantity: int = 1, grade: str | None = None, region: str | None = None,
          at: datetime = AT, rules: PriceRules | None = None,
          base: str = "100.00", currency: str = "EUR") -> ResolvedPrice:
    request = PriceRequest("SKU-1", Decimal(base), quantity, grade, region, at)
    return resolve_price(request, rules or PriceRules(), currency)


def test_price_is_the_base_price_without_any_rule() -> None:
    assert price() == ResolvedPrice(Decimal("100.00"), Decimal("100.00"), "base_price")


def test_price_grade_c_gets_no_discount() -> None:
    assert price(grade="C") == ResolvedPrice(Decimal("100.00"), Decimal("100.00"), "base_price")


# --- price lists -----------------------------------------------------------------------------

def test_price_the_regions_price_list_beats_the_base_price() -> None:
    rules = listed(SOUTH_EUR)
    assert price(region="south", rules=rules) == ResolvedPrice(
        Decimal("90.00"), Decimal("90.00"), "price_list:south")
    assert price(region="north", rules=rules).rule == "base_price"


def test_price_a_sku_the_list_does_not_name_keeps_its_base_price() -> None:
    request = PriceRequest("SKU-2", Decimal("40.00"), 1, None, "south", AT)
    assert resolve_price(request, listed(SOUTH_EUR)).rule == "base_price"


def test_price_a_list_in_the_currency_priced_applies() -> None:
    assert price(region="west", rules=listed(WEST_USD), currency="USD") == ResolvedPrice(
        Decimal("110.00"), Decimal("110.00"), "price_list:west")


def test_price_a_list_in_another_currency_does_not_apply() -> None:
    assert price(region="west", rules=listed(WEST_USD), currency="EUR").rule == "base_price"


def test_price_in_a_currency_without_a_listed_price_is_refused_never_mixed() -> None:
    with pytest.raises(RuleViolationError) as caught:
        price(region="north", rules=listed(WEST_USD), currency="USD")
    assert caught.value.field == "sku"
    assert "no USD price for SKU-1" in caught.value.detail


def test_price_the_currency_a_region_is_priced_in() -> None:
    rules = listed(SOUTH_EUR, WEST_USD)
    assert [rules.currency_for(r) for r in ("west", "south", "north", None)] == [
        "USD", "EUR", "EUR", "EUR"]


def test_price_lines_name_the_line_nothing_prices() -> None:
    requests = (PriceRequest("SKU-1", Decimal(1), 1, None, "west", AT),
                PriceRequest("SKU-9", Decimal(1), 1, None, "west", AT))
    with pytest.raises(RuleViolationError) as caught:
        price_lines(requests, listed(WEST_USD), "USD")
    assert caught.value.field == "lines.1.sku"


# --- discounts -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("grade", "unit", "rule"),
    [("key", "88.00", "base_price+grade_discount:key(-12%)"),
     ("A", "92.00", "base_price+grade_discount:A(-8%)"),
     ("B", "96.00", "base_price+grade_discount:B(-4%)")],
)
def test_price_grade_discount(grade: str, unit: str, rule: str) -> None:
    assert price(grade=grade) == ResolvedPrice(Decimal("100.00"), Decimal(unit), rule)


@pytest.mark.parametrize(
    ("quantity", "unit", "rule"),
    [(9, "100.00", "base_price"), (10, "97.00", "base_price+volume_break:10+(-3%)"),
     (50, "94.00", "base_price+volume_break:50+(-6%)"),
     (100, "90.00", "base_price+volume_break:100+(-10%)"),
     (500, "90.00", "base_price+volume_break:100+(-10%)")],
)
def test_price_volume_break_reached(quantity: int, unit: str, rule: str) -> None:
    resolved = price(quantity=quantity)
    assert (resolved.unit_price, resolved.rule) == (Decimal(unit), rule)


@pytest.mark.parametrize(
    ("at", "unit"),
    [(datetime(2026, 2, 28, 23, 59), "100.00"), (datetime(2026, 3, 1), "85.00"),
     (datetime(2026, 3, 31, 23, 59), "85.00"), (datetime(2026, 4, 1), "100.00")],
    ids=["before", "from", "last-day-included", "after"],
)
def test_price_promotion_applies_only_inside_its_validity_window(at: datetime, unit: str) -> None:
    assert price(at=at, rules=PriceRules(promotions=(SPRING,))).unit_price == Decimal(unit)


def test_price_promotion_names_itself() -> None:
    assert price(rules=PriceRules(promotions=(SPRING,))).rule == "base_price+promotion:SPRING(-15%)"


def test_price_promotion_for_another_sku_does_not_apply() -> None:
    other = Promotion("OTHER", Decimal(50), ("SKU-2",), date(2026, 1, 1), date(2026, 12, 31))
    assert price(rules=PriceRules(promotions=(other,))).rule == "base_price"


def test_price_promotion_without_skus_applies_to_every_sku() -> None:
    all_skus = Promotion("ALL", Decimal(5), (), date(2026, 1, 1), date(2026, 12, 31))
    assert price(rules=PriceRules(promotions=(all_skus,))).unit_price == Decimal("95.00")


def test_price_the_best_discount_wins_and_discounts_do_not_stack() -> None:
    promo = Promotion("P5", Decimal(5), (), date(2026, 1, 1), date(2026, 12, 31))
    resolved = price(quantity=100, grade="key", rules=PriceRules(promotions=(promo,)))
    assert resolved == ResolvedPrice(Decimal("100.00"), Decimal("88.00"),
                                     "base_price+grade_discount:key(-12%)")


def test_price_a_tie_goes_to_the_first_listed_discount() -> None:
    promo = Promotion("P8", Decimal(8), (), date(2026, 1, 1), date(2026, 12, 31))
    resolved = price(grade="A", rules=PriceRules(promotions=(promo,)))
    assert resolved.rule == "base_price+grade_discount:A(-8%)"


def test_price_discount_applies_to_the_listed_price() -> None:
    assert price(grade="B", region="south", rules=listed(SOUTH_EUR)) == ResolvedPrice(
        Decimal("90.00"), Decimal("86.40"), "price_list:south+grade_discount:B(-4%)")


def test_price_promotion_on_the_listed_price() -> None:
    rules = listed(WEST_USD, promotions=(SPRING,))
    assert price(region="west", rules=rules, currency="USD") == ResolvedPrice(  # 110 - 15 %
        Decimal("110.00"), Decimal("93.50"), "price_list:west+promotion:SPRING(-15%)")


@pytest.mark.parametrize(("base", "unit"), [("0.50", "0.49"), ("19.99", "19.39"), ("0.10", "0.10")])
def test_price_is_rounded_half_up_to_cents(base: str, unit: str) -> None:
    assert price(quantity=10, base=base).unit_price == Decimal(unit)  # 3 % off


def test_price_lines_record_unit_price_rule_and_line_total() -> None:
    requests = (PriceRequest("SKU-1", Decimal("19.99"), 10, None, None, AT),
                PriceRequest("SKU-2", Decimal("5.00"), 3, "A", None, AT))
    assert price_lines(requests, PriceRules()) == (
        PricedLine("SKU-1", 10, Decimal("19.99"), Decimal("19.39"),
                   "base_price+volume_break:10+(-3%)", Decimal("193.90")),
        PricedLine("SKU-2", 3, Decimal("5.00"), Decimal("4.60"),
                   "base_price+grade_discount:A(-8%)", Decimal("13.80")),
    )
