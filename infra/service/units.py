"""A unit of work: decisions on one or several streams, stored in one transaction.

Every command runs as one (``CommandBus.handle``): a single command is a unit of one
stream; "place an order" decides on the order (placed), on each stock item of its lines
(reserved) and on the order again (reserved), and all of it is stored together or nothing
is.

A unit first decides on the states this process last saw (``EventStore.cached``: no read).
That is safe because every event it writes is appended at the version it was decided on,
and every stream it only read (an order's account) must still be at the version it read: if
any of those streams moved meanwhile, the whole unit fails with ``ConflictError`` and
nothing of it is stored. The unit is then run again on the current states, read from the
store. A refusal on a cached state (``DomainError``: a guard, the client's ``If-Match``, a
decision) is not trusted either (the state may be stale): it too makes the unit run again
on current states, where a refusal is final (``StaleDecision`` carries it meanwhile).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar
from uuid import UUID

from domain.catalog import AggregateType
from domain.errors import DomainError, NotFoundError
from domain.events import Command, Event
from infra.errors import VersionMismatchError
from infra.eventstore.committer import Committer
from infra.eventstore.store import EventStore, Loaded, RecordedEvent
from infra.service.context import CommandContext, CommandResult, Guard, records

T = TypeVar("T")
Claims = Sequence[tuple[str, str]]
AS_COMMAND: Any = object()  # ``Unit.decide``'s fingerprint: the command itself


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
