"""Interactions and follow-ups, shared by leads and accounts: the commands, their rules and the fold.

The events stay each aggregate's own (``LeadFollowUpScheduled``, ``AccountFollowUpScheduled``):
the store names events by their class name and keeps their fields, so the two aggregates declare
their events as subclasses of the shapes below and hand them to ``decide`` as ``ActivityEvents``.
"""

from collections.abc import Collection
from dataclasses import dataclass, fields, replace
from datetime import date

from domain.errors import (
    AlreadyExistsError,
    InvalidTransitionError,
    NotFoundError,
    RuleViolationError,
    ValidationError,
)
from domain.events import Command, Event
from domain.values import InteractionKind, require_member, require_text


@dataclass(frozen=True)
class FollowUp:
    follow_up_id: str
    due: date
    note: str
    done: bool = False


# --- the shapes of the aggregates' events ---------------------------------------------------

@dataclass(frozen=True)
class InteractionLogged(Event):
    """An account's interaction adds ``contact_id``: every field is the command's of that name."""

    interaction_id: str
    kind: str
    notes: str
    outcome: str | None


@dataclass(frozen=True)
class FollowUpScheduled(Event):
    follow_up_id: str
    due: date
    note: str


@dataclass(frozen=True)
class FollowUpCompleted(Event):
    follow_up_id: str
    outcome: str | None


@dataclass(frozen=True)
class ActivityEvents:
    """The event classes one aggregate records its activities as."""

    logged: type[InteractionLogged]
    scheduled: type[FollowUpScheduled]
    completed: type[FollowUpCompleted]


# --- commands --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ActivityCommand(Command):
    """An interaction or follow-up command, decided the same way for a lead and an account."""


@dataclass(frozen=True)
class LogInteraction(ActivityCommand):
    interaction_id: str
    kind: str
    notes: str = ""
    outcome: str | None = None
    contact_id: str | None = None  # one of the record's contacts (a lead has none)


@dataclass(frozen=True)
class ScheduleFollowUp(ActivityCommand):
    follow_up_id: str
    due: date
    today: date
    note: str = ""


@dataclass(frozen=True)
class CompleteFollowUp(ActivityCommand):
    follow_up_id: str
    outcome: str | None = None


# --- rules -----------------------------------------------------------------------------------

def _check_interaction(kind: str, notes: str) -> None:
    require_member("kind", kind, InteractionKind)
    if len(notes) > 10_000:
        raise ValidationError("notes", "longer than 10000 characters")


def _check_new_follow_up(follow_ups: dict[str, FollowUp], follow_up_id: str, note: str) -> None:
    require_text("follow_up_id", follow_up_id)
    if follow_up_id in follow_ups:
        raise AlreadyExistsError(f"follow-up {follow_up_id} already exists")
    if len(note) > 2_000:
        raise ValidationError("note", "longer than 2000 characters")


def _check_completion(follow_ups: dict[str, FollowUp], follow_up_id: str) -> None:
    follow_up = follow_ups.get(follow_up_id)
    if follow_up is None:
        raise NotFoundError(f"no follow-up {follow_up_id}")
    if follow_up.done:
        raise InvalidTransitionError(f"follow-up {follow_up_id} is already completed")


def _logged(logged: type[InteractionLogged], c: LogInteraction) -> InteractionLogged:
    return logged(**{f.name: getattr(c, f.name) for f in fields(logged)})


def decide(follow_ups: dict[str, FollowUp], contacts: Collection[str], command: ActivityCommand,
           events: ActivityEvents) -> list[Event]:
    """The events recording ``command`` on a record with these follow-ups and contacts."""
    match command:
        case LogInteraction():
            _check_interaction(command.kind, command.notes)
            if command.contact_id is not None and command.contact_id not in contacts:
                raise NotFoundError(f"no contact {command.contact_id}")
            return [_logged(events.logged, command)]
        case ScheduleFollowUp():
            _check_new_follow_up(follow_ups, command.follow_up_id, command.note)
            if command.due < command.today:
                raise RuleViolationError("due", "is in the past")
            return [events.scheduled(command.follow_up_id, command.due, command.note)]
        case CompleteFollowUp():
            _check_completion(follow_ups, command.follow_up_id)
            return [events.completed(command.follow_up_id, command.outcome)]
    raise TypeError(f"not an activity command: {command!r}")


# --- the fold --------------------------------------------------------------------------------

def _with_follow_up(follow_ups: dict[str, FollowUp], follow_up: FollowUp) -> dict[str, FollowUp]:
    return {**follow_ups, follow_up.follow_up_id: follow_up}


def evolve(follow_ups: dict[str, FollowUp],
           event: FollowUpScheduled | FollowUpCompleted) -> dict[str, FollowUp]:
    """The follow-ups after ``event`` (an interaction changes no state)."""
    if isinstance(event, FollowUpScheduled):
        return _with_follow_up(follow_ups, FollowUp(event.follow_up_id, event.due, event.note))
    return _with_follow_up(follow_ups, replace(follow_ups[event.follow_up_id], done=True))


def overdue(follow_ups: dict[str, FollowUp], today: date) -> list[FollowUp]:
    return [f for f in follow_ups.values() if not f.done and f.due < today]
