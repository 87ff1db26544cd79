"""PromotionCalendar: promotions with a validity window, each named once (prices name them)."""

from datetime import date
from decimal import Decimal

import pytest

from domain import promotions
from domain.errors import AlreadyExistsError
from domain.pricing import Promotion
from domain.promotions import AddPromotion, PromotionAdded
from tests.unit.given import broken_rule, given, invalid, rejected, when

MARCH, END_OF_MARCH = date(2026, 3, 1), date(2026, 3, 31)
SPRING = PromotionAdded("p-1", "Spring", Decimal(10), ("GW-200",), MARCH, END_OF_MARCH)


def add(**changes: object) -> AddPromotion:
    fields: dict[str, object] = dict(promotion_id="p-1", name=" Spring ", percent=Decimal(10),
                                     skus=("GW-200",), valid_from=MARCH, valid_to=END_OF_MARCH)
    return AddPromotion(**{**fields, **changes})  # type: ignore[arg-type]


def test_add_a_promotion() -> None:
    assert when(promotions, None, add()) == [SPRING]


def test_the_calendar_holds_every_promotion_with_its_id() -> None:
    summer = PromotionAdded("p-2", "Summer", Decimal("12.5"), (), date(2026, 7, 1),
                            date(2026, 8, 31))
    calendar = given(promotions, SPRING, summer)
    assert calendar.with_ids() == [
        ("p-1", Promotion("Spring", Decimal(10), ("GW-200",), MARCH, END_OF_MARCH)),
        ("p-2", Promotion("Summer", Decimal("12.5"), (), date(2026, 7, 1), date(2026, 8, 31)))]


def test_each_sku_is_named_once() -> None:
    [added] = when(promotions, None, add(skus=("GW-200", "SN-1", "GW-200")))
    assert added.skus == ("GW-200", "SN-1")  # type: ignore[attr-defined]


def test_a_one_day_promotion() -> None:
    assert when(promotions, None, add(valid_to=MARCH))[0].valid_to == MARCH  # type: ignore[attr-defined]


def test_a_name_taken_in_any_case_is_refused() -> None:
    error = rejected(promotions, given(promotions, SPRING), add(promotion_id="p-2",
                                                                 name="SPRING"),
                     AlreadyExistsError)
    assert error.code == "already_exists"


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"percent": Decimal(0)}, "percent"), ({"percent": Decimal("100.01")}, "percent"),
     ({"percent": Decimal(-5)}, "percent"), ({"name": " "}, "name"),
     ({"skus": ("GW-200", "no sku")}, "skus.1"),
     ({"valid_from": date(1999, 12, 31)}, "valid_from")],
)
def test_an_invalid_value_names_the_field(changes: dict[str, object], field: str) -> None:
    invalid(promotions, None, add(**changes), field)


def test_a_whole_discount_is_allowed() -> None:
    assert when(promotions, None, add(percent=Decimal(100)))[0].percent == 100  # type: ignore[attr-defined]


def test_a_window_ending_before_it_starts_is_refused() -> None:
    broken_rule(promotions, None, add(valid_to=date(2026, 2, 28)), "valid_to")
