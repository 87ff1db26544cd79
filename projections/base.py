"""What a read model is made of: its tables, the event types it reads, and ``apply``;
and how its questions are asked (``Reader``).

A projection never touches a database. ``apply`` reads and writes rows through ``Rows``,
which the projector backs with an in-memory cache of the model's tables: a batch of events
is applied in memory and the changed rows are written in bulk, in the same transaction as
the model's new position. Row values are Python values: str, int, bool, Decimal, date,
datetime, and dict/list for ``json`` columns.

A projection's handlers are methods marked ``@on(EventType)``: ``apply`` finds the one for a
record's type and hands it the record and the domain event decoded from it (``decode``, at
the end of this module), so handlers read ``event.to_stage``, checked by mypy.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from operator import itemgetter
from types import NoneType, UnionType
from typing import (
    Any,
    ClassVar,
    Protocol,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    overload,
)

from domain.catalog import EVENT_TYPES
from domain.events import Event

Key = tuple[Any, ...]
_WORD = re.compile(r"[^\W_]+")
Row = dict[str, Any]
COLUMN_TYPES = ("text", "int", "bigint", "numeric", "real", "bool", "date", "timestamp", "json")


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "text"

    def __post_init__(self) -> None:
        assert self.type in COLUMN_TYPES, f"{self.name}: unknown column type {self.type}"


@dataclass(frozen=True)
class Table:
    """``name`` is what queries read (a view over the active generation's physical table)."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    # a text column of ``search_text`` words that ``Reader.matches`` searches (indexed for it)
    search: str | None = None
    # rows only ever added, each once, never read back by the projection: a projector writes
    # them without keeping them (its memory does not grow with the table)
    append_only: bool = False

    def key_of(self, row: Mapping[str, Any]) -> Key:
        return self._key_getter(row)  # type: ignore[no-any-return]

    @cached_property
    def _key_getter(self) -> Any:
        if len(self.key) == 1:
            single = self.key[0]
            return lambda row: (row[single],)
        return itemgetter(*self.key)

    @cached_property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class EventRecord:
    """A stored event as read models see it: its place in the global order and its JSON."""

    position: int
    stream_id: str
    version: int
    type: str
    data: dict[str, Any]
    meta: dict[str, Any]
    # why the stored bytes could not be read as this event (broken JSON, a failing upcast):
    # a read model that reads its type stops on it, and only that one
    problem: str | None = None

    @property
    def occurred_at(self) -> datetime:
        return datetime.fromisoformat(self.meta["occurred_at"])

    @property
    def event(self) -> Event:
        """The domain event, decoded once however many read models read it (cached by
        hand: ``functools.cached_property`` takes a lock on every first read, which cost
        more than the decoding)."""
        cache = self.__dict__
        decoded: Event | None = cache.get("_event")
        if decoded is None:
            decoded = cache["_event"] = decode(self.type, self.data)
        return decoded


class Reader(Protocol):
    """How a read model's queries read its tables, without knowing the database: statements
    are written with ``?`` placeholders and only read the model's own tables (views).
    ``infra.readside.reader.SqlReader`` runs them on a connection of the read side."""

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[Row]: ...

    def value(self, kind: str, stored: Any) -> Any:
        """A stored value of a column type (``COLUMN_TYPES``) as its Python value."""
        ...

    def stored(self, kind: str, value: Any) -> Any:
        """A Python value as a column of that type stores it (for comparing in SQL)."""
        ...

    def one_of(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """The condition that ``column`` is one of ``values`` (not empty), and its params."""
        ...

    def exact_sum(self, column: str) -> str:
        """The SQL aggregate that adds a ``numeric`` column without rounding (SQLite's SUM
        would add them as floats)."""
        ...

    def matches(self, column: str, words: Sequence[str]) -> tuple[str, list[Any]]:
        """The condition that the ``search_text`` in ``column`` (a table's ``search``) has
        a word starting with each of ``words`` (``search_words`` of what a person typed)."""
        ...


def search_words(*texts: str | None, skip: Sequence[str] = ()) -> list[str]:
    """The words of ``texts``, lower case, letters and digits only: "Anna Schmidt",
    "anna@acme.example" -> anna, schmidt, anna, acme, example. ``skip``: whole texts
    that are no one's words (an erased person's placeholder)."""
    return [w for text in texts if text and text not in skip
            for w in _WORD.findall(text.lower())]


def search_text(*texts: str | None, skip: Sequence[str] = ()) -> str:
    """What a table's ``search`` column holds: the distinct words of ``texts``."""
    return " ".join(dict.fromkeys(search_words(*texts, skip=skip)))


class Rows(Protocol):
    def get(self, table: str, key: Key) -> Row | None: ...

    def put(self, table: str, row: Row) -> None: ...

    def delete(self, table: str, key: Key) -> None: ...


P = TypeVar("P", bound="Projection")
E = TypeVar("E", bound=Event)
E2 = TypeVar("E2", bound=Event)
E3 = TypeVar("E3", bound=Event)
Handler = Callable[[P, EventRecord, E, Rows], None]
_HANDLES: dict[Callable[..., None], list[str]] = {}  # handler -> the event types it is for


@overload
def on(a: type[E], /) -> Callable[[Handler[P, E]], Handler[P, E]]: ...


@overload
def on(a: type[E], b: type[E2], /) -> Callable[[Handler[P, E | E2]], Handler[P, E | E2]]: ...


@overload
def on(a: type[E], b: type[E2], c: type[E3], /) -> Callable[
        [Handler[P, E | E2 | E3]], Handler[P, E | E2 | E3]]: ...


@overload
def on(*event_types: type[Event]) -> Callable[[Handler[P, Event]], Handler[P, Event]]: ...


def on(*event_types: type[Event]) -> Callable[[Handler[P, Any]], Handler[P, Any]]:
    """Marks a projection's method as the handler of these event types (mypy checks that
    its event parameter takes each of them). It is called with the stored record (stream
    id, position, when), the decoded event and the rows."""
    def mark(handler: Handler[P, Any]) -> Handler[P, Any]:
        _HANDLES.setdefault(handler, []).extend(t.type_name() for t in event_types)
        return handler
    return mark


class Projection:
    """Subclasses set the class attributes and mark their handlers with ``@on(EventType)``.

    ``topics``, the event types it reads, are the ones it has handlers for. Bump
    ``version`` whenever the tables or the logic change: the projector then builds the new
    version from the first event beside the old one, and swaps it in when it caught up.

    ``splittable``: an event's handler reads and writes only rows that belong to the event's
    own stream (no row shared by two streams, no total across them), so the model can be
    split into segments by a hash of the stream, each applied by its own runner with its
    own position, and the segments' rows together are the model's rows.
    """

    name: ClassVar[str]
    version: ClassVar[int] = 1
    cost: ClassVar[int] = 1  # relative rebuild work, to share models out over processes
    splittable: ClassVar[bool] = False
    tables: ClassVar[tuple[Table, ...]]
    topics: ClassVar[tuple[str, ...]] = ()
    handlers: ClassVar[dict[str, Callable[..., None]]] = {}

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls.handlers = {**cls.handlers, **{topic: method for method in vars(cls).values()
                                           for topic in _HANDLES.get(method, ())}}
        cls.topics = tuple(cls.handlers)

    def apply(self, event: EventRecord, rows: Rows) -> None:
        self.handlers[event.type](self, event, event.event, rows)


# --- stored event data decoded to the domain's event dataclasses, cheaply ----------------
# Stored event data decoded to the domain's event dataclasses, cheaply.
#
# The write side decodes through pydantic (``infra.eventstore.codec``), which checks every
# field: about 8 µs an event, more than reading and parsing the event costs (BENCHMARKS.md,
# rebuild baseline ~4.5 µs). A read model reads data the store accepted and upcast already,
# so here an event is built without ``__init__``: its attributes are the stored JSON values,
# and only the fields whose JSON form is not their Python type are converted (Decimal, date,
# tuple, nested dataclasses). The field types the domain declares are then what the handlers
# get, at a cost of about 0.3 µs an event plus the conversions (``tests/read_models``
# checks the shapes against the codec's decoding).
#
# A field missing from older data falls back to the class's default (a class attribute),
# as a frozen dataclass would give it.

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
