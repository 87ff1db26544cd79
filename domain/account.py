"""Account: a customer, with its contacts, classification, grade and owner."""

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from domain import activities, handover
from domain.activities import FollowUp
from domain.dedup import duplicate_keys
from domain.errors import (
    AlreadyExistsError,
    NotFoundError,
    RepDepartedError,
    ValidationError,
)
from domain.events import Command, Event
from domain.values import Grade, RepRef, require_email, require_member, require_text

STREAM = "Account"
POTENTIALS = ("high", "medium", "low")


@dataclass(frozen=True)
class AccountEvent(Event):
    stream_type = STREAM


@dataclass(frozen=True)
class AccountOpened(AccountEvent):
    account_id: str
    name: str
    industry: str | None
    size: int | None
    region: str
    owner_id: str


@dataclass(frozen=True)
class ContactAdded(AccountEvent):
    contact_id: str
    name: str
    email: str
    phone: str | None
    role: str | None
    preferences: tuple[str, ...]
    duplicate_keys: tuple[str, ...]
    source_lead_id: str | None


@dataclass(frozen=True)
class ContactChanged(AccountEvent):
    contact_id: str
    name: str
    email: str
    phone: str | None
    role: str | None
    preferences: tuple[str, ...]
    duplicate_keys: tuple[str, ...]


@dataclass(frozen=True)
class ContactRemoved(AccountEvent):
    contact_id: str


@dataclass(frozen=True)
class AccountClassified(AccountEvent):
    segment: str
    potential: str


@dataclass(frozen=True)
class AccountGraded(AccountEvent):
    grade: str


@dataclass(frozen=True)
class AccountInteractionLogged(activities.InteractionLogged, AccountEvent):
    contact_id: str | None


@dataclass(frozen=True)
class AccountFollowUpScheduled(activities.FollowUpScheduled, AccountEvent):
    pass


@dataclass(frozen=True)
class AccountFollowUpCompleted(activities.FollowUpCompleted, AccountEvent):
    pass


@dataclass(frozen=True)
class AccountOwnerChanged(AccountEvent):
    owner_id: str
    previous_owner_id: str


@dataclass(frozen=True)
class AccountHandedOver(AccountEvent):
    from_rep_id: str
    to_rep_id: str
    tier: str
    action: str
    actor_id: str
    due: date


@dataclass(frozen=True)
class AccountHandOverAdvanced(AccountEvent):
    """v2: ``next_meeting_at``, the meeting agreed with the customer at the introduction."""

    schema_version = 2

    status: str
    next_meeting_at: datetime | None = None

    @staticmethod
    def upcast_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "next_meeting_at": None}


ACTIVITY_EVENTS = activities.ActivityEvents(AccountInteractionLogged, AccountFollowUpScheduled,
                                             AccountFollowUpCompleted)


@dataclass(frozen=True)
class Contact:
    contact_id: str
    name: str
    email: str
    phone: str | None
    role: str | None
    preferences: tuple[str, ...]


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    industry: str | None
    size: int | None
    region: str
    owner_id: str
    contacts: dict[str, Contact] = field(default_factory=dict)
    segment: str | None = None
    potential: str | None = None
    grade: str | None = None
    follow_ups: dict[str, FollowUp] = field(default_factory=dict)
    handover_status: str | None = None
    handover_actor_id: str | None = None  # who must act on the hand-over in progress


@dataclass(frozen=True)
class OpenAccount(Command):
    account_id: str
    name: str
    region: str
    owner: RepRef
    industry: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class AddContact(Command):
    contact_id: str
    name: str
    email: str
    phone: str | None = None
    role: str | None = None
    preferences: tuple[str, ...] = ()
    source_lead_id: str | None = None


@dataclass(frozen=True)
class ChangeContact(Command):
    contact_id: str
    name: str
    email: str
    phone: str | None = None
    role: str | None = None
    preferences: tuple[str, ...] = ()


@dataclass(frozen=True)
class RemoveContact(Command):
    contact_id: str


@dataclass(frozen=True)
class ClassifyAccount(Command):
    segment: str
    potential: str


@dataclass(frozen=True)
class GradeAccount(Command):
    grade: str


@dataclass(frozen=True)
class ChangeAccountOwner(Command):
    owner: RepRef


@dataclass(frozen=True)
class HandOverAccount(Command):
    departing_rep_id: str
    successor: RepRef
    plan: handover.HandOverPlan


@dataclass(frozen=True)
class AdvanceAccountHandOver(Command):
    status: str
    next_meeting_at: datetime | None = None


def _require_active(rep: RepRef) -> None:
    if not rep.active:
        raise RepDepartedError(f"rep {rep.rep_id} has departed")


def _open(state: Account | None, c: OpenAccount) -> list[Event]:
    if state is not None:
        raise AlreadyExistsError(f"account {c.account_id} already exists")
    _require_active(c.owner)
    if c.size is not None and c.size < 1:
        raise ValidationError("size", "must be at least 1")
    return [AccountOpened(c.account_id, require_text("name", c.name), c.industry, c.size,
                          require_text("region", c.region), c.owner.rep_id)]


def _contact_fields(c: AddContact | ChangeContact) -> tuple[str, str, tuple[str, ...]]:
    name, email = require_text("name", c.name), require_email("email", c.email)
    return name, email, duplicate_keys(name, "", email, c.phone)


def _add_contact(state: Account, c: AddContact) -> list[Event]:
    if c.contact_id in state.contacts:
        raise AlreadyExistsError(f"contact {c.contact_id} already exists")
    name, email, keys = _contact_fields(c)
    company_key = duplicate_keys(name, state.name, email, c.phone)
    return [ContactAdded(c.contact_id, name, email, c.phone, c.role, c.preferences,
                         tuple(dict.fromkeys(keys + company_key)), c.source_lead_id)]


def _change_contact(state: Account, c: ChangeContact) -> list[Event]:
    if c.contact_id not in state.contacts:
        raise NotFoundError(f"no contact {c.contact_id}")
    name, email, keys = _contact_fields(c)
    company_key = duplicate_keys(name, state.name, email, c.phone)
    return [ContactChanged(c.contact_id, name, email, c.phone, c.role, c.preferences,
                           tuple(dict.fromkeys(keys + company_key)))]


def _hand_over(state: Account, c: HandOverAccount) -> list[Event]:
    if state.owner_id != c.departing_rep_id:
        return []
    _require_active(c.successor)
    p = c.plan
    return [AccountHandedOver(c.departing_rep_id, c.successor.rep_id, p.tier, p.action,
                              p.actor_id, p.due)]


def _decide_existing(state: Account, command: Command) -> list[Event]:
    match command:
        case AddContact():
            return _add_contact(state, command)
        case ChangeContact():
            return _change_contact(state, command)
        case RemoveContact():
            if command.contact_id not in state.contacts:
                raise NotFoundError(f"no contact {command.contact_id}")
            return [ContactRemoved(command.contact_id)]
        case ClassifyAccount():
            potential = command.potential
            if potential not in POTENTIALS:
                raise ValidationError("potential", f"{potential!r} is not one of high, medium, low")
            return [AccountClassified(require_text("segment", command.segment), potential)]
        case GradeAccount():
            grade = require_member("grade", command.grade, Grade)
            return [] if grade == state.grade else [AccountGraded(grade)]
        case activities.ActivityCommand():
            return activities.decide(state.follow_ups, state.contacts, command, ACTIVITY_EVENTS)
        case ChangeAccountOwner():
            _require_active(command.owner)
            if command.owner.rep_id == state.owner_id:
                return []
            return [AccountOwnerChanged(command.owner.rep_id, state.owner_id)]
        case HandOverAccount():
            return _hand_over(state, command)
        case AdvanceAccountHandOver():
            status = handover.advance(state.handover_status, command.status,
                                      command.next_meeting_at)
            return [AccountHandOverAdvanced(status, command.next_meeting_at)]
    raise TypeError(f"not an account command: {command!r}")


def decide(state: Account | None, command: Command) -> list[Event]:
    if isinstance(command, OpenAccount):
        return _open(state, command)
    if state is None:
        raise NotFoundError("account not found")
    return _decide_existing(state, command)


def _with_contact(state: Account, e: ContactAdded | ContactChanged) -> Account:
    contact = Contact(e.contact_id, e.name, e.email, e.phone, e.role, e.preferences)
    return replace(state, contacts={**state.contacts, e.contact_id: contact})


def evolve(state: Account | None, event: Event) -> Account:
    if isinstance(event, AccountOpened):
        return Account(event.account_id, event.name, event.industry, event.size, event.region,
                       event.owner_id)
    assert state is not None, f"{type(event).__name__} before AccountOpened"
    match event:
        case ContactAdded() | ContactChanged():
            return _with_contact(state, event)
        case ContactRemoved():
            return replace(state, contacts={k: v for k, v in state.contacts.items()
                                            if k != event.contact_id})
        case AccountClassified():
            return replace(state, segment=event.segment, potential=event.potential)
        case AccountGraded():
            return replace(state, grade=event.grade)
        case AccountFollowUpScheduled() | AccountFollowUpCompleted():
            return replace(state, follow_ups=activities.evolve(state.follow_ups, event))
        case AccountOwnerChanged():
            return replace(state, owner_id=event.owner_id)
        case AccountHandedOver():
            return replace(state, owner_id=event.to_rep_id, handover_status="pending",
                           handover_actor_id=event.actor_id)
        case AccountHandOverAdvanced():
            return replace(state, handover_status=event.status)
    return state
