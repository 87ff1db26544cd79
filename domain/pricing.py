"""Price rules: deterministic given the rule set, the customer and the moment.

The list price is the regional price list's entry for the SKU if there is one, else the
base price. On top of it the single best discount applies among the customer-grade
discount, the volume break reached and any promotion valid at that moment (discounts
do not stack; the best one for the customer wins, ties go to the first listed).
The result names the rule, so an order line can record what produced its price.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Promotion:
    code: str
    sku: str | None  # None: every SKU
    percent_off: Decimal
    valid_from: datetime
    valid_until: datetime

    def applies(self, sku: str, at: datetime) -> bool:
        return (self.sku in (None, sku)) and self.valid_from <= at < self.valid_until


@dataclass(frozen=True)
class PriceRules:
    grade_discounts: Mapping[str, Decimal] = field(
        default_factory=lambda: MappingProxyType(
            {"key": Decimal(12), "A": Decimal(8), "B": Decimal(4), "C": Decimal(0)}
        )
    )
    volume_breaks: tuple[tuple[int, Decimal], ...] = (
        (100, Decimal(10)), (50, Decimal(6)), (10, Decimal(3)),
    )
    regional_prices: Mapping[tuple[str, str], Decimal] = field(
        default_factory=lambda: MappingProxyType({})
    )
    promotions: tuple[Promotion, ...] = ()


@dataclass(frozen=True)
class ResolvedPrice:
    list_price: Decimal
    unit_price: Decimal
    rule: str


@dataclass(frozen=True)
class PriceRequest:
    sku: str
    base_price: Decimal
    quantity: int
    grade: str | None
    region: str | None
    at: datetime


def _list_price(request: PriceRequest, rules: PriceRules) -> tuple[Decimal, str]:
    regional = rules.regional_prices.get((request.region or "", request.sku))
    if regional is not None:
        return regional, f"regional_price:{request.region}"
    return request.base_price, "base_price"


def _discounts(request: PriceRequest, rules: PriceRules) -> list[tuple[Decimal, str]]:
    found = []
    grade_pct = rules.grade_discounts.get(request.grade or "", Decimal(0))
    if grade_pct:
        found.append((grade_pct, f"grade_discount:{request.grade}"))
    for minimum, pct in rules.volume_breaks:
        if request.quantity >= minimum:
            found.append((pct, f"volume_break:{minimum}+"))
            break
    for promo in rules.promotions:
        if promo.applies(request.sku, request.at):
            found.append((promo.percent_off, f"promotion:{promo.code}"))
    return found


def resolve_price(request: PriceRequest, rules: PriceRules) -> ResolvedPrice:
    list_price, list_rule = _list_price(request, rules)
    discounts = _discounts(request, rules)
    if not discounts:
        return ResolvedPrice(list_price, list_price.quantize(CENT, ROUND_HALF_UP), list_rule)
    best_pct, best_rule = max(discounts, key=lambda d: d[0])  # max keeps the first on ties
    unit = (list_price * (100 - best_pct) / 100).quantize(CENT, ROUND_HALF_UP)
    return ResolvedPrice(list_price, unit, f"{list_rule}+{best_rule}(-{best_pct}%)")


@dataclass(frozen=True)
class PricedLine:
    """A quote or order line: what was asked, the price it got and the rule that gave it."""

    sku: str
    quantity: int
    list_price: Decimal
    unit_price: Decimal
    price_rule: str
    line_total: Decimal


def price_lines(requests: tuple[PriceRequest, ...], rules: PriceRules) -> tuple[PricedLine, ...]:
    lines = []
    for request in requests:
        price = resolve_price(request, rules)
        total = (price.unit_price * request.quantity).quantize(CENT, ROUND_HALF_UP)
        lines.append(PricedLine(request.sku, request.quantity, price.list_price, price.unit_price,
                                price.rule, total))
    return tuple(lines)
