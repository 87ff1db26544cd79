"""PromotionCalendar: every promotion of the company, in one stream.

A promotion takes ``percent`` off the SKUs it names (none: every SKU) from ``valid_from`` to
``valid_to``, both days included. Prices name it (``promotion:<name>``), so its name is
unique, whatever the case: one stream holds them all, so that this is a rule ``decide`` can
check, and so that pricing reads one stream to know every promotion in force.
"""

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from domain.errors import AlreadyExistsError, RuleViolationError, ValidationError
from domain.events import Command, Event
from domain.pricing import Promotion
from domain.values import require_date, require_sku, require_text

STREAM = "PromotionCalendar"
NAME_LENGTH = 100


@dataclass(frozen=True)
class PromotionCalendarEvent(Event):
    stream_type = STREAM


@dataclass(frozen=True)
class PromotionAdded(PromotionCalendarEvent):
    promotion_id: str
    name: str
    percent: Decimal
    skus: tuple[str, ...]
    valid_from: date
    valid_to: date


@dataclass(frozen=True)
class PromotionCalendar:
    promotions: tuple[Promotion, ...] = ()
    ids: tuple[str, ...] = ()  # beside ``promotions``, in the same order

    def named(self, name: str) -> Promotion | None:
        return next((p for p in self.promotions if p.name.casefold() == name.casefold()), None)

    def with_ids(self) -> list[tuple[str, Promotion]]:
        return list(zip(self.ids, self.promotions, strict=True))


@dataclass(frozen=True)
class AddPromotion(Command):
    promotion_id: str
    name: str
    percent: Decimal
    skus: tuple[str, ...]
    valid_from: date
    valid_to: date


def _checked_skus(skus: tuple[str, ...]) -> tuple[str, ...]:
    """The SKUs, each once, in the order given."""
    return tuple(dict.fromkeys(require_sku(f"skus.{i}", sku) for i, sku in enumerate(skus)))


def _add(state: PromotionCalendar, c: AddPromotion) -> list[Event]:
    name = require_text("name", c.name, NAME_LENGTH)
    if state.named(name) is not None:
        raise AlreadyExistsError(f"a promotion named {name!r} exists already")
    if not Decimal(0) < c.percent <= Decimal(100):
        raise ValidationError("percent", "must be above 0 and at most 100")
    require_date("valid_from", c.valid_from)
    if require_date("valid_to", c.valid_to) < c.valid_from:
        raise RuleViolationError("valid_to", f"{c.valid_to} is before valid_from {c.valid_from}")
    return [PromotionAdded(c.promotion_id, name, c.percent, _checked_skus(c.skus), c.valid_from,
                           c.valid_to)]


def decide(state: PromotionCalendar | None, command: Command) -> list[Event]:
    if not isinstance(command, AddPromotion):
        raise TypeError(f"not a promotion command: {command!r}")
    return _add(state or PromotionCalendar(), command)


def evolve(state: PromotionCalendar | None, event: Event) -> PromotionCalendar:
    calendar = state or PromotionCalendar()
    if isinstance(event, PromotionAdded):
        promotion = Promotion(event.name, event.percent, event.skus, event.valid_from,
                              event.valid_to)
        return replace(calendar, promotions=(*calendar.promotions, promotion),
                       ids=(*calendar.ids, event.promotion_id))
    return calendar
