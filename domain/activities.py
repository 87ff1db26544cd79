"""Interactions and follow-ups, shared by leads and accounts."""

from dataclasses import dataclass
from datetime import date

from domain.errors import AlreadyExistsError, InvalidTransitionError, NotFoundError, ValidationError
from domain.values import InteractionKind, require_member, require_text


@dataclass(frozen=True)
class FollowUp:
    follow_up_id: str
    due: date
    note: str
    done: bool = False


def check_interaction(kind: str, notes: str) -> None:
    require_member("kind", kind, InteractionKind)
    if len(notes) > 10_000:
        raise ValidationError("notes", "longer than 10000 characters")


def check_new_follow_up(follow_ups: dict[str, FollowUp], follow_up_id: str, note: str) -> None:
    require_text("follow_up_id", follow_up_id)
    if follow_up_id in follow_ups:
        raise AlreadyExistsError(f"follow-up {follow_up_id} already exists")
    if len(note) > 2_000:
        raise ValidationError("note", "longer than 2000 characters")


def check_completion(follow_ups: dict[str, FollowUp], follow_up_id: str) -> None:
    follow_up = follow_ups.get(follow_up_id)
    if follow_up is None:
        raise NotFoundError(f"no follow-up {follow_up_id}")
    if follow_up.done:
        raise InvalidTransitionError(f"follow-up {follow_up_id} is already completed")


def with_follow_up(follow_ups: dict[str, FollowUp], follow_up: FollowUp) -> dict[str, FollowUp]:
    return {**follow_ups, follow_up.follow_up_id: follow_up}


def overdue(follow_ups: dict[str, FollowUp], today: date) -> list[FollowUp]:
    return [f for f in follow_ups.values() if not f.done and f.due < today]
