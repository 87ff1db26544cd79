"""Units of work: several decisions, on one or several streams, stored in one transaction.

A request such as "place an order" decides on the order (placed), on each stock item of
its lines (reserved) and on the order again (reserved): as a unit, all of it is stored
together or nothing is, in one trip through the group committer instead of three.

A unit first decides on the states this process last saw (``EventStore.cached``: no read).
That is safe because every event it writes is appended at the version it was decided on,
and every stream it only read (an order's account) must still be at the version it read: if
any of those streams moved meanwhile, the whole unit fails with ``ConflictError`` and
nothing of it is stored. The unit is then run again on the current states, read from the
store. A refusal on a cached state (``DomainError``) is not trusted either (the state may be
stale): it too makes the unit run again on current states, where a refusal is final.
"""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar
from uuid import UUID

from tenacity import (
    Retrying,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from domain.catalog import AggregateType
from domain.errors import DomainError, NotFoundError
from domain.events import Command, Event
from infra.errors import ConflictError, VersionMismatchError
from infra.eventstore.store import Loaded, RecordedEvent
from infra.service.commands import MAX_ATTEMPTS, CommandBus, CommandContext, CommandResult

T = TypeVar("T")
Claims = Sequence[tuple[str, str]]


class StaleDecision(Exception):
    """A decision on a cached state was refused: decide again on the current state."""


@dataclass
class _Stream:
    aggregate: AggregateType
    before: Loaded
    loaded: Loaded
    records: list[RecordedEvent] = field(default_factory=list)


@dataclass
class UnitOutcome:
    position: int
    streams: dict[UUID, Loaded]
    event_ids: dict[UUID, tuple[str, ...]]

    def result(self, stream_id: UUID, events: Sequence[Event]) -> CommandResult:
        """The answer of a unit about its main stream (the record it creates)."""
        return CommandResult(stream_id, self.streams[stream_id].version, self.position,
                             tuple(events), self.event_ids[stream_id])


class Unit:
    def __init__(self, bus: CommandBus, ctx: CommandContext, fresh: bool) -> None:
        self.bus, self.ctx, self.fresh = bus, ctx, fresh
        self._streams: dict[UUID, _Stream] = {}
        self._claims: list[tuple[str, str]] = []
        self._decided: list[RecordedEvent] = []  # in the order decided: the global order

    def state(self, aggregate: AggregateType, stream_id: UUID) -> Loaded:
        """The stream's state including what this unit decided so far."""
        return self._stream(aggregate, stream_id).loaded

    def existing(self, aggregate: AggregateType, stream_id: UUID, what: str) -> Any:
        state = self.state(aggregate, stream_id).state
        if state is None:
            self._refuse(NotFoundError(f"{what} not found"))
        return state

    def decide(self, aggregate: AggregateType, stream_id: UUID, command: Command,
               request: object = None,
               claims: Callable[[Sequence[Event]], Claims] | None = None) -> list[Event]:
        """Decides ``command`` on the stream's state in this unit; the events are kept for
        the commit. ``request`` fingerprints a create for ``Idempotency-Key``."""
        stream = self._stream(aggregate, stream_id)
        try:
            events = aggregate.decide(stream.loaded.state, command)
        except DomainError as refusal:
            self._refuse(refusal)
        if not events:
            return []
        records = self.bus.records(stream_id, stream.loaded.version, events, self.ctx,
                                   request if request is not None else command)
        stream.records += records
        self._decided += records
        stream.loaded = self.bus.store.fold(aggregate, stream_id, stream.loaded, records)
        if claims is not None:
            self._claims += claims(events)
        return list(events)

    def require(self, check: Callable[[], None]) -> None:
        """Runs a check on states of this unit (e.g. that the caller may see a record); a
        refusal on a cached state is checked again on the current one."""
        try:
            check()
        except DomainError as refusal:
            self._refuse(refusal)

    def commit(self) -> UnitOutcome:
        records = self._decided
        return self._stored(self.bus.committer.append(records, self._claims, self._unchanged())
                            if records else 0)

    async def commit_async(self) -> UnitOutcome:
        records = self._decided
        return self._stored(await self.bus.committer.append_async(
            records, self._claims, self._unchanged()) if records else 0)

    def streams(self) -> list[tuple[AggregateType, UUID]]:
        """The streams this unit looked at so far."""
        return [(stream.aggregate, stream_id) for stream_id, stream in self._streams.items()]

    def _unchanged(self) -> list[tuple[UUID, int]]:
        """The streams this unit only read, at the versions it decided on: if one has moved
        on by the commit, the unit conflicts (as a stream it writes would)."""
        return [(stream_id, stream.before.version) for stream_id, stream in self._streams.items()
                if not stream.records]

    def _stored(self, position: int) -> UnitOutcome:
        for stream_id, stream in self._streams.items():
            if stream.records:
                self.bus.store.remember(stream.aggregate, stream_id, stream.before, stream.records)
        return UnitOutcome(
            position or self.bus.store.max_position(),
            {stream_id: stream.loaded for stream_id, stream in self._streams.items()},
            {stream_id: tuple(r.meta.event_id for r in stream.records)
             for stream_id, stream in self._streams.items()})

    def _stream(self, aggregate: AggregateType, stream_id: UUID) -> _Stream:
        stream = self._streams.get(stream_id)
        if stream is None:
            store = self.bus.store
            loaded = store.load(aggregate, stream_id) if self.fresh else store.cached(aggregate,
                                                                                       stream_id)
            self._check_expected(stream_id, loaded)
            stream = self._streams[stream_id] = _Stream(aggregate, loaded, loaded)
        elif stream.aggregate is not aggregate:
            raise NotFoundError(f"{aggregate.name} {stream_id} not found")
        return stream

    def _check_expected(self, stream_id: UUID, loaded: Loaded) -> None:
        """The client's ``If-Match`` on this stream: a cached state may just be stale, the
        current one answers for good."""
        expected = self.ctx.expected_of(stream_id)
        if expected is not None and expected != loaded.version:
            self._refuse(VersionMismatchError(expected, loaded.version))

    def _refuse(self, refusal: DomainError) -> NoReturn:
        if not self.fresh:
            raise StaleDecision() from refusal
        raise refusal


def run_unit(bus: CommandBus, ctx: CommandContext,
             body: Callable[[Unit], T]) -> tuple[T, UnitOutcome]:
    """Runs ``body`` (which decides, and may look at states) and stores what it decided,
    all or nothing: first on cached states, then, on a conflict or a refusal, on current
    states, retried with a short random pause while other writers keep winning."""
    try:
        return _attempt(bus, ctx, body, fresh=False)
    except (ConflictError, StaleDecision):
        pass
    return _run_fresh(bus, ctx, body)


async def run_unit_async(bus: CommandBus, ctx: CommandContext,
                         body: Callable[[Unit], T]) -> tuple[T, UnitOutcome]:
    """``run_unit`` for the event loop: the attempt on cached states is decided right here
    (``body`` must then do no I/O of its own) and its commit awaited. If it was stale, on
    PostgreSQL the streams it looked at catch up in the loop (one read, awaited) and it is
    decided here once more (another API worker changing a stock item is the common case).
    The attempts on current states read the store in a worker thread."""
    unit = Unit(bus, ctx, fresh=False)
    try:
        return await _attempt_async(unit, body)
    except (ConflictError, StaleDecision):
        pass
    if bus.store.writes_in_event_loop and await bus.committer.catch_up_async(unit.streams()):
        try:
            return await _attempt_async(Unit(bus, ctx, fresh=False), body)
        except (ConflictError, StaleDecision):
            pass
    return await asyncio.to_thread(_run_fresh, bus, ctx, body)


async def _attempt_async(unit: Unit, body: Callable[[Unit], T]) -> tuple[T, UnitOutcome]:
    outcome = body(unit)
    return outcome, await unit.commit_async()


def _run_fresh(bus: CommandBus, ctx: CommandContext,
               body: Callable[[Unit], T]) -> tuple[T, UnitOutcome]:
    retrying = Retrying(retry=retry_if_exception_type(ConflictError)
                        & retry_if_not_exception_type(VersionMismatchError),
                        stop=stop_after_attempt(MAX_ATTEMPTS),
                        wait=wait_random_exponential(multiplier=0.002, max=0.1), reraise=True)
    return retrying(_attempt, bus, ctx, body, fresh=True)


def _attempt(bus: CommandBus, ctx: CommandContext, body: Callable[[Unit], T],
             fresh: bool) -> tuple[T, UnitOutcome]:
    unit = Unit(bus, ctx, fresh)
    outcome = body(unit)
    return outcome, unit.commit()
