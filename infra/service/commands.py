"""The generic command handler: load, decide (pure), append — thin by design.

Every event stored records who (``actor``), why (``correlation_id``: the request or flow
it belongs to; ``causation_id``: the command or event that caused it) and when. A writer
that loses a race gets a ``ConflictError`` when it asked for a specific version; otherwise
the command is decided again on the fresh state (safe: the decision is pure) a few times.
"""

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from uuid import UUID, uuid4, uuid5

from tenacity import (
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from domain.catalog import AggregateType
from domain.errors import DomainError
from domain.events import Command, Event
from infra.errors import ConflictError, IdempotencyKeyReusedError, VersionMismatchError
from infra.eventstore.codec import Metadata
from infra.eventstore.group_commit import GroupCommitter
from infra.eventstore.store import EventStore, Loaded, RecordedEvent

MAX_ATTEMPTS = 30  # under heavy contention on one record; each retry re-decides on fresh state


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CommandContext:
    actor: str | None = None
    correlation_id: str = field(default_factory=lambda: str(uuid4()))
    causation_id: str | None = None
    idempotency_key: str | None = None
    now: datetime = field(default_factory=utc_now)
    # ``If-Match``: the record the request names and the version its client last saw. Every
    # command on that stream decided in this context is conditional on it (``expected_of``)
    expected: tuple[UUID, int] | None = None
    # a retry that took its key over from a process that died: the first attempt may have
    # stored the command's events already (found by their ``idempotency_key``)
    taken_over: bool = False

    def caused_by(self, event_id: str) -> "CommandContext":
        """The context of a flow step triggered by an event: same actor and correlation. The
        client's ``If-Match`` was about the state before the request: not the step's."""
        return replace(self, causation_id=event_id, idempotency_key=None, expected=None,
                       taken_over=False)

    def expected_of(self, stream_id: UUID) -> int | None:
        """The version the client expects ``stream_id`` at, if the request named one."""
        if self.expected is None or self.expected[0] != stream_id:
            return None
        return self.expected[1]


@dataclass(frozen=True)
class Decision:
    """A command decided on ``loaded``: its events as records, and the keys they claim."""

    stream_id: UUID
    loaded: Loaded
    events: tuple[Event, ...]
    records: list[RecordedEvent]
    claims: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class CommandResult:
    stream_id: UUID
    version: int
    position: int
    events: tuple[Event, ...]
    event_ids: tuple[str, ...] = ()
    replayed: bool = False


def event_id_for(stream_id: UUID, version: int) -> str:
    """Stable: derived from the event's unique place in its stream."""
    return str(uuid5(stream_id, str(version)))


def request_hash(request: object) -> str:
    """Fingerprint of what the client asked for (``repr`` of a dataclass or a sorted dict)."""
    return hashlib.sha256(repr(request).encode()).hexdigest()[:16]


CommandSource = Command | Callable[[Loaded], Command]
ClaimsSource = Callable[[Sequence[Event]], Sequence[tuple[str, str]]]
Guard = Callable[[Loaded], None]  # refuses (raising) a caller who may not act on this state


class CommandBus:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.committer = GroupCommitter(store)

    def load(self, aggregate: AggregateType, stream_id: UUID) -> Loaded:
        return self.store.load(aggregate, stream_id)

    def execute(self, aggregate: AggregateType, stream_id: UUID, command: CommandSource,
                ctx: CommandContext, expected_version: int | None = None,
                claims: ClaimsSource | None = None, request: object = None,
                guard: Guard | None = None) -> CommandResult:
        """``request``: what the client asked, for idempotency; defaults to the command.
        ``guard`` checks that the caller may act, on the very state the command is decided
        on: no read of its own, and a record whose owner changes meanwhile conflicts and is
        checked again. A refusal (``DomainError``) on a cached state is checked again on the
        current one. ``expected_version`` defaults to the context's ``If-Match`` for this stream."""
        if expected_version is None:
            expected_version = ctx.expected_of(stream_id)
        attempt = self._attempt
        if expected_version is None:
            attempt = retry(retry=retry_if_exception_type(ConflictError),
                            stop=stop_after_attempt(MAX_ATTEMPTS),
                            wait=wait_random_exponential(multiplier=0.002, max=0.1),
                            reraise=True)(self._attempt)
        return attempt(aggregate, stream_id, command, ctx, expected_version, claims, request,
                       guard)

    def _attempt(self, aggregate: AggregateType, stream_id: UUID, source: CommandSource,
                 ctx: CommandContext, expected_version: int | None,
                 claims: ClaimsSource | None, request: object,
                 guard: Guard | None) -> CommandResult:
        """First on the state this process last saw (no read), then, if that was stale or
        the answer may depend on staleness, on the store's current state."""
        cached = self.store.cached(aggregate, stream_id)
        if expected_version is None or expected_version == cached.version:
            try:
                if guard is not None:
                    guard(cached)
                result = self._decide(aggregate, stream_id, cached, source, ctx, expected_version,
                                      claims, request)
                if result is not None and result.events:
                    return result
            except ConflictError:
                if expected_version is not None:
                    raise  # the record moved past the version the client saw
            except DomainError:
                pass  # perhaps refused on a stale state: decide again on the current one
        loaded = self.store.load(aggregate, stream_id)
        if guard is not None:
            guard(loaded)  # before the version check: never tell a stranger the version
        if expected_version is not None and expected_version != loaded.version:
            raise VersionMismatchError(expected_version, loaded.version)
        result = self._decide(aggregate, stream_id, loaded, source, ctx, expected_version,
                              claims, request)
        if result is None:  # nothing to do on the current state
            return CommandResult(stream_id, loaded.version, self.store.max_position(), ())
        return result

    def _decide(self, aggregate: AggregateType, stream_id: UUID, loaded: Loaded,
                source: CommandSource, ctx: CommandContext, expected_version: int | None,
                claims: ClaimsSource | None, request: object) -> CommandResult | None:
        decided = self._prepare(stream_id, loaded, aggregate, source, ctx, claims, request)
        if not isinstance(decided, Decision):
            return decided
        position = self.committer.append(decided.records, decided.claims)
        return self._stored(aggregate, decided, position)

    def _prepare(self, stream_id: UUID, loaded: Loaded, aggregate: AggregateType,
                 source: CommandSource, ctx: CommandContext, claims: ClaimsSource | None,
                 request: object) -> "Decision | CommandResult | None":
        """The decision and its records, not stored yet; or the first answer to a retried
        create; or None when the command changes nothing."""
        if request is None:
            request = source if not callable(source) else None
        replay = self._idempotent_replay(loaded, request, ctx, stream_id)
        if replay is not None:
            return replay
        command = source(loaded) if callable(source) else source
        events = aggregate.decide(loaded.state, command)
        if not events:
            return None
        records = self.records(stream_id, loaded.version, events, ctx, request)
        return Decision(stream_id, loaded, tuple(events), records,
                        claims(events) if claims else ())

    def _stored(self, aggregate: AggregateType, decided: "Decision",
                position: int) -> CommandResult:
        self.store.remember(aggregate, decided.stream_id, decided.loaded, decided.records)
        return CommandResult(decided.stream_id, decided.records[-1].originator_version, position,
                             decided.events, tuple(r.meta.event_id for r in decided.records))

    async def execute_async(self, aggregate: AggregateType, stream_id: UUID,
                            command: CommandSource, ctx: CommandContext,
                            expected_version: int | None = None, guard: Guard | None = None,
                            in_loop: bool = True) -> CommandResult:
        """``execute`` for the event loop. On the state this process last saw, the command is
        decided right here (pure, no I/O) and its commit awaited (``append_async``): no thread
        and no hand-off of its own. If that state was stale or not cached, on PostgreSQL it
        catches up in the loop (one read, awaited) and the command is decided here once more.
        Everything else — a conflict again, a refusal to check again, a retried create
        (``Idempotency-Key``), a ``guard`` that reads the store (``in_loop=False``) — runs as
        ``execute`` in a worker thread."""
        if expected_version is None:
            expected_version = ctx.expected_of(stream_id)
        eligible = in_loop and ctx.idempotency_key is None
        tried = False
        if eligible:
            tried, result = await self._decide_in_loop(aggregate, stream_id, command, ctx,
                                                       expected_version, guard)
            if result is not None:
                return result
            if self.store.writes_in_event_loop and await self.committer.catch_up_async(
                    [(aggregate, stream_id)]):
                tried, result = await self._decide_in_loop(aggregate, stream_id, command, ctx,
                                                           expected_version, guard)
                if result is not None:
                    return result
        return await asyncio.to_thread(self._execute_fresh, aggregate, stream_id, command, ctx,
                                       expected_version, guard, tried)

    async def _decide_in_loop(self, aggregate: AggregateType, stream_id: UUID,
                              command: CommandSource, ctx: CommandContext,
                              expected_version: int | None,
                              guard: Guard | None) -> tuple[bool, CommandResult | None]:
        """One attempt on the cached state, if there is one at the expected version: (whether
        it was tried, its result if stored). A conflict with ``expected_version`` raises."""
        cached = self.store.cached(aggregate, stream_id)
        if cached.version == 0 or expected_version not in (None, cached.version):
            return False, None
        try:
            if guard is not None:
                guard(cached)
            decided = self._prepare(stream_id, cached, aggregate, command, ctx, None, None)
            if isinstance(decided, Decision):
                position = await self.committer.append_async(decided.records)
                return True, self._stored(aggregate, decided, position)
        except ConflictError:
            if expected_version is not None:
                raise  # the record moved past the version the client saw
        except DomainError:
            pass  # perhaps refused on a stale state: decide again on the current one
        return True, None

    def _execute_fresh(self, aggregate: AggregateType, stream_id: UUID, command: CommandSource,
                       ctx: CommandContext, expected_version: int | None, guard: Guard | None,
                       cached_was_stale: bool) -> CommandResult:
        if cached_was_stale:
            self.store.load(aggregate, stream_id)  # the cache catches up: no second stale try
        return self.execute(aggregate, stream_id, command, ctx, expected_version, guard=guard)

    def records(self, stream_id: UUID, version: int, events: Sequence[Event],
                 ctx: CommandContext, request: object) -> list[RecordedEvent]:
        occurred_at = ctx.now.astimezone(UTC).isoformat()
        causation = ctx.causation_id or ctx.correlation_id
        key = ctx.idempotency_key  # on every event: a retry finds what its key stored
        fingerprint = request_hash(request) if key else None
        return [
            RecordedEvent(stream_id, version + i, event, Metadata(
                event_id_for(stream_id, version + i), occurred_at, ctx.actor, ctx.correlation_id,
                causation, key, fingerprint))
            for i, event in enumerate(events, start=1)
        ]

    def replay(self, aggregate: AggregateType, stream_id: UUID, ctx: CommandContext,
               request: object) -> CommandResult | None:
        """The first answer to a create retried with the same ``Idempotency-Key``, if any."""
        if ctx.idempotency_key is None:
            return None
        return self._idempotent_replay(self.store.load(aggregate, stream_id), request, ctx,
                                       stream_id)

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
        return CommandResult(stream_id, made[-1].originator_version,
                             self.store.max_position(), tuple(r.event for r in made),
                             tuple(r.meta.event_id for r in made), replayed=True)
