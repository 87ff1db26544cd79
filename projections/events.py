"""Stored event data decoded to the domain's event dataclasses, cheaply.

The write side decodes through pydantic (``infra.eventstore.codec``), which checks every
field: about 8 µs an event, more than reading and parsing the event costs (BENCHMARKS.md,
rebuild baseline ~4.5 µs). A read model reads data the store accepted and upcast already,
so here an event is built without ``__init__``: its attributes are the stored JSON values,
and only the fields whose JSON form is not their Python type are converted (Decimal, date,
tuple, nested dataclasses). The field types the domain declares are then what the handlers
get, at a cost of about 0.3 µs an event plus the conversions (``tests/read_models``
checks the shapes against the codec's decoding).

A field missing from older data falls back to the class's default (a class attribute),
as a frozen dataclass would give it.
"""

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from types import NoneType, UnionType
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from domain.catalog import EVENT_TYPES
from domain.events import Event

T = TypeVar("T")
Convert = Callable[[Any], Any]
_PLANS: dict[type[Any], tuple[tuple[str, Convert], ...]] = {}
_SCALARS: dict[Any, Convert] = {Decimal: Decimal, date: date.fromisoformat,
                                datetime: datetime.fromisoformat}


_DECODERS: dict[str, Callable[[dict[str, Any]], Event]] = {}


def decode(topic: str, data: dict[str, Any]) -> Event:
    """The event ``topic`` with ``data`` (its current shape)."""
    decoder = _DECODERS.get(topic)
    if decoder is None:
        decoder = _DECODERS[topic] = _builder(EVENT_TYPES[topic])
    return decoder(data)


def build(cls: type[T], data: dict[str, Any]) -> T:
    return _builder(cls)(data)


def _builder(cls: type[T]) -> Callable[[dict[str, Any]], T]:
    plan, new, assign = _plan(cls), object.__new__, object.__setattr__

    def plain(data: dict[str, Any]) -> T:
        instance: T = new(cls)
        assign(instance, "__dict__", data.copy())  # vars(instance) costs more (~10x)
        return instance

    def converted(data: dict[str, Any]) -> T:
        instance: T = new(cls)
        values = data.copy()
        for name, convert in plan:
            value = values.get(name)
            if value is not None:
                values[name] = convert(value)
        assign(instance, "__dict__", values)
        return instance

    return converted if plan else plain


def _plan(cls: type[Any]) -> tuple[tuple[str, Convert], ...]:
    """The fields of ``cls`` whose stored JSON needs converting, with their converter."""
    plan = _PLANS.get(cls)
    if plan is None:
        hints = get_type_hints(cls)
        found = ((f.name, _converter(hints[f.name])) for f in fields(cls))
        plan = _PLANS[cls] = tuple((name, c) for name, c in found if c is not None)
    return plan


def _converter(hint: Any) -> Convert | None:
    origin = get_origin(hint)
    if origin in (Union, UnionType):
        (inner,) = [a for a in get_args(hint) if a is not NoneType]
        return _converter(inner)
    if origin is tuple:
        item = _converter(get_args(hint)[0])
        return tuple if item is None else (lambda values: tuple(map(item, values)))
    if is_dataclass(hint):
        return _builder(hint)  # type: ignore[arg-type]
    return _SCALARS.get(hint)
