"""Every aggregate and event type of the domain, by name, and how old event shapes upcast.

Stored events are named by ``type_name()``; this catalog turns names back into classes,
so renaming a Python module never breaks the store. An event whose ``schema_version``
is N reads older data through its ``upcast_vK_vK+1`` static methods, oldest first.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from domain import (
    account,
    campaign,
    lead,
    opportunity,
    order,
    policies,
    price_list,
    promotions,
    rep,
    stock_item,
    token,
)
from domain.events import Command, Event
from domain.storable import require_storable

Decide = Callable[[Any, Command], list[Event]]
Evolve = Callable[[Any, Event], Any]


@dataclass(frozen=True)
class AggregateType:
    name: str
    decide: Decide
    evolve: Evolve
    event_types: tuple[type[Event], ...]


def _event_types_of(module: Any) -> tuple[type[Event], ...]:
    base = next(v for k, v in vars(module).items() if k.endswith("Event") and k != "Event")
    return tuple(
        v for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, base) and v is not base
    )


def storable_only(decide: Decide) -> Decide:
    """``decide``, refusing a decision whose events hold a value the store cannot keep."""

    @wraps(decide)
    def checked(state: Any, command: Command) -> list[Event]:
        return [require_storable(event) for event in decide(state, command)]

    return checked


AGGREGATES: dict[str, AggregateType] = {
    module.STREAM: AggregateType(module.STREAM, storable_only(module.decide), module.evolve,
                                 _event_types_of(module))
    for module in (rep, lead, account, opportunity, order, stock_item, price_list, promotions,
                   campaign, policies, token)
}

EVENT_TYPES: dict[str, type[Event]] = {
    cls.type_name(): cls for aggregate in AGGREGATES.values() for cls in aggregate.event_types
}


def upcast(event_type: type[Event], data: dict[str, Any], from_version: int) -> dict[str, Any]:
    """Brings ``data`` stored at ``from_version`` up to the class's current schema version."""
    version = from_version
    while version < event_type.schema_version:
        data = getattr(event_type, f"upcast_v{version}_v{version + 1}")(data)
        version += 1
    return data
