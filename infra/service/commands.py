"""The one command path: ``handle(aggregate, id, command, ctx, guard)`` — load, decide
(pure), append — whatever the backend, in a thread or in the event loop, for a single
command or a unit of work.

Every command runs as a ``Unit`` of work: a single command is a unit of one stream; a
``Work`` decides on several (an order, the stock items of its lines, the order again), and
all of it is stored in one transaction or nothing is. A unit first decides on the states
this process last saw (``EventStore.cached``: no read). That is safe because every event is
appended at the version it was decided on, and every stream the unit only read (an order's
account) must still be at the version it read: if any moved meanwhile, the whole unit fails
with ``ConflictError``. A refusal on a cached state (a guard, the client's ``If-Match``, a
decision) is not trusted either (``StaleDecision``): the unit then runs again on the
current states, where a refusal is final. A writer that loses a race decides again on fresh
state (safe: the decision is pure) a few times — unless its client named the version it saw
(``If-Match``): then the race is lost for good. The ``guard`` checks that the caller may act
on the very state the command is decided on: no read of its own.

``handle_async`` is ``handle`` for the event loop: on cached states the unit is decided
right here (pure, no I/O) and its commit awaited; if that was stale, the committer catches
the streams up in the loop (PostgreSQL, one read awaited) and it is decided here once more.
Everything else — a conflict again, a refusal to check again, a retried create
(``Idempotency-Key``), a guard that reads the store (``in_loop=False``) — runs as
``handle`` in a worker thread.
"""

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar, cast
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
from infra.errors import ConflictError, IdempotencyKeyReusedError, VersionMismatchError
from infra.eventstore.codec import Metadata
from infra.eventstore.committer import Committer, committer_for
from infra.eventstore.store import EventStore, Loaded, RecordedEvent
from infra.service.context import (
    ClaimsSource,
    CommandContext,
    CommandResult,
    CommandSource,
    Deferred,
    Guard,
    records,
    request_hash,
)
from infra.service.reading import Reading

MAX_ATTEMPTS = 30  # under heavy contention on one record; each retry re-decides on fresh state
T = TypeVar("T")
Claims = Sequence[tuple[str, str]]
AS_COMMAND: Any = object()  # ``Unit.decide``'s fingerprint: the command itself
__all__ = ["CommandBus", "CommandContext", "CommandResult", "Deferred", "Guard", "Unit", "Work"]


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
        """The answer of a unit about its main stream (the record it creates or changes)."""
        return CommandResult(stream_id, self.streams[stream_id].version, self.position,
                             tuple(events), self.event_ids[stream_id])


class Unit:
    def __init__(self, store: EventStore, ctx: CommandContext, fresh: bool,
                 guards: Mapping[UUID, Guard] | None = None) -> None:
        self.store, self.ctx, self.fresh = store, ctx, fresh
        self.guards = guards or {}
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
               request: object = AS_COMMAND,
               claims: Callable[[Sequence[Event]], Claims] | None = None) -> list[Event]:
        """Decides ``command`` on the stream's state in this unit; the events are kept for
        the commit. ``request`` fingerprints the command for ``Idempotency-Key``."""
        stream = self._stream(aggregate, stream_id)
        events = self.require(lambda: aggregate.decide(stream.loaded.state, command))
        if not events:
            return []
        made = records(stream_id, stream.loaded.version, events, self.ctx,
                       command if request is AS_COMMAND else request)
        stream.records += made
        self._decided += made
        stream.loaded = self.store.fold(aggregate, stream_id, stream.loaded, made)
        if claims is not None:
            self._claims += claims(events)
        return list(events)

    def require(self, check: Callable[[], T]) -> T:
        """Runs a check (or makes a value) on states of this unit (e.g. that the caller may
        see a record); a refusal on a cached state is checked again on the current one."""
        try:
            return check()
        except DomainError as refusal:
            self._refuse(refusal)

    def commit(self, committer: Committer) -> UnitOutcome:
        records_ = self._decided
        return self._stored(committer.append(records_, self._claims, self._unchanged())
                            if records_ else 0)

    async def commit_async(self, committer: Committer) -> UnitOutcome:
        records_ = self._decided
        return self._stored(await committer.append_async(
            records_, self._claims, self._unchanged()) if records_ else 0)

    def streams(self) -> list[tuple[AggregateType, UUID]]:
        """The streams this unit looked at so far."""
        return [(stream.aggregate, stream_id) for stream_id, stream in self._streams.items()]

    def expects(self) -> bool:
        """Whether the client named the version of a stream of this unit (``If-Match``): a
        conflict is then final, not decided again."""
        return any(self.ctx.expected_of(stream_id) is not None for stream_id in self._streams)

    def _unchanged(self) -> list[tuple[UUID, int]]:
        """The streams this unit only read, at the versions it decided on: if one has moved
        on by the commit, the unit conflicts (as a stream it writes would)."""
        return [(stream_id, stream.before.version) for stream_id, stream in self._streams.items()
                if not stream.records]

    def _stored(self, position: int) -> UnitOutcome:
        for stream_id, stream in self._streams.items():
            if stream.records:
                self.store.remember(stream.aggregate, stream_id, stream.before, stream.records)
        return UnitOutcome(
            position or self.store.max_position(),
            {stream_id: stream.loaded for stream_id, stream in self._streams.items()},
            {stream_id: tuple(r.meta.event_id for r in stream.records)
             for stream_id, stream in self._streams.items()})

    def _stream(self, aggregate: AggregateType, stream_id: UUID) -> _Stream:
        stream = self._streams.get(stream_id)
        if stream is None:
            loaded = (self.store.load(aggregate, stream_id) if self.fresh
                      else self.store.cached(aggregate, stream_id))
            stream = self._streams[stream_id] = _Stream(aggregate, loaded, loaded)
            guard = self.guards.get(stream_id)
            if guard is not None:  # before the version: never tell a stranger the version
                self._check(guard, loaded)
            self._check_expected(stream_id, loaded)
        elif stream.aggregate is not aggregate:
            raise NotFoundError(f"{aggregate.name} {stream_id} not found")
        return stream

    def _check(self, guard: Guard, loaded: Loaded) -> None:
        """Whether the caller may act on this state: any refusal (a 404 as the domain's
        ``NotFoundError``, the API's 403) is checked again on the current state, so that a
        stale owner never decides which of them a caller gets."""
        try:
            guard(loaded)
        except Exception as refusal:
            if not self.fresh:
                raise StaleDecision() from refusal
            raise

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



Body = Callable[[Unit], T]


@dataclass(frozen=True)
class Work:
    """A unit of work's decisions, on its main stream and others; ``request`` fingerprints it
    for ``Idempotency-Key``. ``decide`` must do no I/O of its own on a cached unit
    (``Unit.fresh`` false), so that it can run in the event loop."""

    decide: Callable[[Unit], Sequence[Event]]
    request: object


class CommandBus(Reading):
    def __init__(self, store: EventStore) -> None:
        super().__init__(store)
        self.committer: Committer = committer_for(store)

    def handle(self, aggregate: AggregateType, stream_id: UUID, command: CommandSource | Work,
               ctx: CommandContext, guard: Guard | None = None, *,
               expected_version: int | None = None, claims: ClaimsSource | None = None,
               request: object = None) -> CommandResult:
        """Decides ``command`` on the stream (and, for a ``Work``, others) and stores it.
        ``request``: what the client asked, for idempotency (default: the command).
        ``expected_version``: as ``If-Match`` (default: the context's, for this stream)."""
        ctx = ctx.expecting(stream_id, expected_version)
        body = self._one(aggregate, stream_id, command, ctx, claims, request)
        return self._answer(stream_id, *self._run(ctx, body, {stream_id: guard} if guard else {}))

    async def handle_async(self, aggregate: AggregateType, stream_id: UUID,
                           command: CommandSource | Work, ctx: CommandContext,
                           guard: Guard | None = None, *, expected_version: int | None = None,
                           in_loop: bool = True) -> CommandResult:
        """``handle`` for the event loop; ``in_loop=False`` when the guard reads the store."""
        ctx = ctx.expecting(stream_id, expected_version)
        body = self._one(aggregate, stream_id, command, ctx, None, None)
        guards = {stream_id: guard} if guard else {}
        if not in_loop or ctx.idempotency_key is not None:
            return self._answer(stream_id, *await asyncio.to_thread(self._run, ctx, body, guards))
        return self._answer(stream_id, *await self._run_async(ctx, body, guards))

    def _one(self, aggregate: AggregateType, stream_id: UUID, source: CommandSource | Work,
             ctx: CommandContext, claims: ClaimsSource | None,
             request: object) -> Body[CommandResult | Sequence[Event]]:
        """The unit's body of a command: a retried one's first answer, or its events."""

        def body(unit: Unit) -> CommandResult | Sequence[Event]:
            loaded = unit.state(aggregate, stream_id)  # the guard and If-Match checked on it
            command = unit.require(lambda: source.make(loaded)) if isinstance(
                source, Deferred) else None
            fingerprint = request if request is not None else _fingerprint(source, command)
            replay = self._idempotent_replay(loaded, fingerprint, ctx, stream_id)
            if replay is not None:
                return replay
            if isinstance(source, Work):
                events = source.decide(unit)
            else:
                if command is None:
                    command = (unit.require(lambda: source(loaded)) if callable(source)
                               else cast(Command, source))
                events = unit.decide(aggregate, stream_id, command, fingerprint, claims)
            if not events and not unit.fresh:
                raise StaleDecision()  # nothing to do, perhaps on a stale state
            return events

        return body

    @staticmethod
    def _answer(stream_id: UUID, made: CommandResult | Sequence[Event],
                outcome: UnitOutcome | None) -> CommandResult:
        if isinstance(made, CommandResult):
            return made
        assert outcome is not None
        return outcome.result(stream_id, made)

    def _run(self, ctx: CommandContext, body: Body[T],
             guards: dict[UUID, Guard]) -> tuple[T, UnitOutcome | None]:
        """Runs ``body`` on cached states, then, on a conflict or a refusal, on current ones."""
        unit = Unit(self.store, ctx, False, guards)
        try:
            return self._attempt(unit, body)
        except ConflictError:
            if unit.expects():
                raise  # the record moved past the version the client saw
        except StaleDecision:
            pass
        return self._run_fresh(ctx, body, guards, retry=not unit.expects())

    async def _run_async(self, ctx: CommandContext, body: Body[T],
                         guards: dict[UUID, Guard]) -> tuple[T, UnitOutcome | None]:
        """``_run`` deciding in the loop: cached states, then (if the committer can catch
        them up in the loop) current ones, then a worker thread on current states."""
        looked: list[tuple[AggregateType, UUID]] = []
        for again in (False, True):
            if again and not await self.committer.catch_up_async(looked):
                break
            unit = Unit(self.store, ctx, False, guards)
            try:
                made = body(unit)
                if isinstance(made, CommandResult):
                    return made, None
                return made, await unit.commit_async(self.committer)
            except ConflictError:
                if unit.expects():
                    raise  # the record moved past the version the client saw
            except StaleDecision:
                pass
            looked = unit.streams()
        return await asyncio.to_thread(self._run_fresh, ctx, body, guards,
                                       retry=not unit.expects())

    def _run_fresh(self, ctx: CommandContext, body: Body[T], guards: dict[UUID, Guard],
                   retry: bool) -> tuple[T, UnitOutcome | None]:
        """On current states, again while other writers keep winning (``retry``: false if
        the client named the version it saw: ``ConflictError`` then)."""
        def attempt() -> tuple[T, UnitOutcome | None]:
            return self._attempt(Unit(self.store, ctx, True, guards), body)

        if not retry:
            return attempt()
        retrying = Retrying(retry=retry_if_exception_type(ConflictError)
                            & retry_if_not_exception_type(VersionMismatchError),
                            stop=stop_after_attempt(MAX_ATTEMPTS),
                            wait=wait_random_exponential(multiplier=0.002, max=0.1),
                            reraise=True)
        return retrying(attempt)

    def _attempt(self, unit: Unit, body: Body[T]) -> tuple[T, UnitOutcome | None]:
        made = body(unit)
        if isinstance(made, CommandResult):  # a replay: nothing to store
            return made, None
        return made, unit.commit(self.committer)

    def _idempotent_replay(self, loaded: Loaded, request: object, ctx: CommandContext,
                           stream_id: UUID) -> CommandResult | None:
        """A retried create with the same idempotency key answers as the first time; so does
        any command retried after its key was taken over from a dead process, if that
        process stored it."""
        if ctx.idempotency_key is None or loaded.first is None:
            return None
        first = loaded.first.meta
        if first.idempotency_key == ctx.idempotency_key:
            return self._replayed(stream_id, first, request, ctx)
        if not ctx.taken_over:
            return None
        stored = next((r.meta for r in self.store.read_stream(stream_id)
                       if r.meta.idempotency_key == ctx.idempotency_key), None)
        return None if stored is None else self._replayed(stream_id, stored, request, ctx)

    def _replayed(self, stream_id: UUID, first: Metadata, request: object,
                  ctx: CommandContext) -> CommandResult:
        """The answer of the command whose first event carried ``first``."""
        if first.request_hash != request_hash(request):
            raise IdempotencyKeyReusedError(
                f"idempotency key {ctx.idempotency_key!r} was used for a different request")
        made: list[RecordedEvent] = []
        for r in self.store.read_stream(stream_id):  # one command's events are consecutive
            if r.meta.event_id == first.event_id or (made and r.meta.correlation_id == (
                    first.correlation_id) and r.meta.idempotency_key in (None, first.idempotency_key)):
                made.append(r)
            elif made:
                break
        last = made[-1].originator_version  # the first answer's position: its last event's
        position = self.store.position_of(stream_id, last) or self.store.max_position()
        return CommandResult(stream_id, last, position, tuple(r.event for r in made),
                             tuple(r.meta.event_id for r in made), replayed=True)


def _fingerprint(source: CommandSource | Work, command: object) -> object:
    """What a retry with the same ``Idempotency-Key`` must repeat: the command (given or
    ``Deferred``), a ``Work``'s request, or nothing for a command made from the state."""
    if isinstance(source, Work):
        return source.request
    if isinstance(source, Deferred):
        return command
    return None if callable(source) else source
