"""What every command carries and answers: its context (who, why, when, If-Match,
Idempotency-Key), its result, and the envelope of the events it stores.

Every event stored records who (``actor``), why (``correlation_id``: the request or flow
it belongs to; ``causation_id``: the command or event that caused it) and when.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import UTC, datetime
from uuid import UUID, uuid4, uuid5

from domain.activities import ActivityCommand, CompleteFollowUp, LogInteraction, ScheduleFollowUp
from domain.events import Command, Event
from infra.eventstore.codec import Metadata
from infra.eventstore.store import Loaded, RecordedEvent


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

    def caused_by(self, event_id: str | None) -> "CommandContext":
        """The context of a flow step triggered by an event (None: a step no new event
        triggered, caused as the request was): same actor and correlation. The client's
        ``If-Match`` and ``Idempotency-Key`` were about the request: not the step's."""
        return replace(self, causation_id=event_id, idempotency_key=None, expected=None,
                       taken_over=False)

    def expected_of(self, stream_id: UUID) -> int | None:
        """The version the client expects ``stream_id`` at, if the request named one."""
        if self.expected is None or self.expected[0] != stream_id:
            return None
        return self.expected[1]

    def expecting(self, stream_id: UUID, version: int | None) -> "CommandContext":
        """This context with ``stream_id`` expected at ``version`` (None: as it was)."""
        return self if version is None else replace(self, expected=(stream_id, version))


@dataclass(frozen=True)
class CommandResult:
    stream_id: UUID
    version: int
    position: int
    events: tuple[Event, ...]
    event_ids: tuple[str, ...] = ()
    replayed: bool = False


@dataclass(frozen=True)
class Deferred:
    """A command made only once the caller may act (after the ``Guard``), on the state it is
    decided on, and fingerprinted as the command it makes (for ``Idempotency-Key``), as a
    command given outright is. A plain ``Callable[[Loaded], Command]`` is fingerprinted by
    the request alone: its command may differ between a try and its retry (a distribution)."""

    make: Callable[[Loaded], Command]


CommandSource = Command | Deferred | Callable[[Loaded], Command]
ClaimsSource = Callable[[Sequence[Event]], Sequence[tuple[str, str]]]
Guard = Callable[[Loaded], None]  # refuses (raising) a caller who may not act on this state


def event_id_for(stream_id: UUID, version: int) -> str:
    """Stable: derived from the event's unique place in its stream."""
    return str(uuid5(stream_id, str(version)))


@dataclass(frozen=True)
class Fingerprint:
    """What ``request_hash`` reads for a command whose class was renamed or reshaped after
    keys were stored with it: its ``repr`` as the earlier class printed it, so that a retry
    whose Idempotency-Key was taken over across an upgrade still matches what it stored."""

    text: str

    def __repr__(self) -> str:
        return self.text


# Interactions and follow-ups were a command class per aggregate (``LogLeadInteraction``,
# ``ScheduleAccountFollowUp``, ...) until ``domain.activities`` shared them; a lead's interaction
# had no ``contact_id``. Keys stored before carry the fingerprints of those classes.
_EARLIER_ACTIVITIES: dict[type[ActivityCommand], tuple[str, tuple[str, ...]]] = {
    LogInteraction: ("Log{}Interaction",
                     ("interaction_id", "kind", "notes", "outcome", "contact_id")),
    ScheduleFollowUp: ("Schedule{}FollowUp", ("follow_up_id", "due", "today", "note")),
    CompleteFollowUp: ("Complete{}FollowUp", ("follow_up_id", "outcome")),
}


def as_earlier_activity(noun: str, command: ActivityCommand) -> Fingerprint:
    """``command`` fingerprinted as the ``noun``'s own class (``Lead``, ``Account``) printed
    itself before activities were shared: ``repr`` of a dataclass, field by field."""
    name, fields = _EARLIER_ACTIVITIES[type(command)]
    if noun == "Lead":
        fields = tuple(f for f in fields if f != "contact_id")
    shown = ", ".join(f"{field}={getattr(command, field)!r}" for field in fields)
    return Fingerprint(f"{name.format(noun)}({shown})")


def request_hash(request: object) -> str:
    """Fingerprint of what the client asked for (``repr`` of a dataclass or a sorted dict);
    a command's fields ``added_later`` are left out at their default (``as_first_printed``)."""
    return hashlib.sha256(repr(as_first_printed(request)).encode()).hexdigest()[:16]


def as_first_printed(request: object) -> object:
    """A command as its class printed itself before the fields it lists in ``added_later``
    were added, when they hold their default: keys stored before still match."""
    later = getattr(type(request), "added_later", ())
    if not later or not is_dataclass(request):
        return request
    shown = ", ".join(f"{f.name}={getattr(request, f.name)!r}" for f in fields(request)
                      if f.repr and not (f.name in later and getattr(request, f.name) == f.default))
    return Fingerprint(f"{type(request).__qualname__}({shown})")


def records(stream_id: UUID, version: int, events: Sequence[Event], ctx: CommandContext,
            request: object) -> list[RecordedEvent]:
    """The events as stored: each at its version after ``version``, with the envelope."""
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
