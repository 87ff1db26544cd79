"""Lead: a potential customer not yet qualified, from capture to conversion."""

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from domain import activities, handover
from domain.activities import FollowUp
from domain.dedup import duplicate_keys
from domain.errors import (
    AlreadyExistsError,
    DomainError,
    LeadAlreadyConvertedError,
    LeadClosedError,
    NotFoundError,
    RepDepartedError,
    ValidationError,
)
from domain.events import Command, Event
from domain.scoring import DEFAULT_MODEL, LeadProfile, ScoreFactor, ScoringModel, score_lead
from domain.values import (
    REASON_LENGTH,
    Channel,
    RepRef,
    require_currency,
    require_email,
    require_member,
    require_positive,
    require_text,
)

STREAM = "Lead"
ENGAGEMENT_KINDS = ("site_visit", "download", "seminar", "reply", "demo_request")


@dataclass(frozen=True)
class LeadEvent(Event):
    stream_type = STREAM


@dataclass(frozen=True)
class LeadCaptured(LeadEvent):
    """v2 added ``campaign_id`` (the campaign the lead came from); v1 leads name none."""

    schema_version = 2

    lead_id: str
    channel: str
    person: str
    company: str
    email: str
    phone: str | None
    industry: str | None
    company_size: int | None
    region: str | None
    interests: tuple[str, ...]
    duplicate_keys: tuple[str, ...]
    duplicate_of: str | None
    campaign_id: str | None = None

    @staticmethod
    def upcast_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "campaign_id": None}


@dataclass(frozen=True)
class LeadScored(LeadEvent):
    score: int
    factors: tuple[ScoreFactor, ...]


@dataclass(frozen=True)
class LeadEngagementRecorded(LeadEvent):
    kind: str
    count: int


@dataclass(frozen=True)
class LeadAssigned(LeadEvent):
    rep_id: str
    rule: str
    previous_rep_id: str | None


@dataclass(frozen=True)
class LeadInteractionLogged(activities.InteractionLogged, LeadEvent):
    pass


@dataclass(frozen=True)
class LeadFollowUpScheduled(activities.FollowUpScheduled, LeadEvent):
    pass


@dataclass(frozen=True)
class LeadFollowUpCompleted(activities.FollowUpCompleted, LeadEvent):
    pass


@dataclass(frozen=True)
class LeadQualified(LeadEvent):
    pass


@dataclass(frozen=True)
class LeadDisqualified(LeadEvent):
    reason: str


@dataclass(frozen=True)
class LeadConverted(LeadEvent):
    """The targets' ids are decided here, so re-running the conversion flow creates nothing twice.
    v2 added ``currency`` (of ``amount``); v1 conversions were all in EUR."""

    schema_version = 2

    account_id: str
    contact_id: str
    opportunity_id: str
    joined_existing_account: bool
    opportunity_name: str
    amount: Decimal
    expected_close: date
    currency: str = "EUR"

    @staticmethod
    def upcast_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "currency": "EUR"}


@dataclass(frozen=True)
class LeadHandedOver(LeadEvent):
    from_rep_id: str
    to_rep_id: str
    tier: str
    action: str
    actor_id: str
    due: date


@dataclass(frozen=True)
class LeadHandOverAdvanced(LeadEvent):
    """v2: ``next_meeting_at``, the meeting agreed with the customer at the introduction."""

    schema_version = 2

    status: str
    next_meeting_at: datetime | None = None

    @staticmethod
    def upcast_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "next_meeting_at": None}


ACTIVITY_EVENTS = activities.ActivityEvents(LeadInteractionLogged, LeadFollowUpScheduled,
                                             LeadFollowUpCompleted)


@dataclass(frozen=True)
class Lead:
    id: str
    profile: LeadProfile
    person: str
    company: str
    email: str
    phone: str | None
    duplicate_of: str | None
    status: str = "open"  # open | qualified | disqualified | converted
    owner_id: str | None = None
    score: int = 0
    engagement: dict[str, int] = field(default_factory=dict)
    follow_ups: dict[str, FollowUp] = field(default_factory=dict)
    handover_status: str | None = None
    handover_actor_id: str | None = None  # who must act on the hand-over in progress
    conversion: LeadConverted | None = None
    campaign_id: str | None = None

    @property
    def closed(self) -> bool:
        return self.status in ("converted", "disqualified")


@dataclass(frozen=True)
class CaptureLead(Command):
    lead_id: str
    channel: str
    person: str
    company: str
    email: str
    phone: str | None = None
    industry: str | None = None
    company_size: int | None = None
    region: str | None = None
    interests: tuple[str, ...] = ()
    duplicate_of: str | None = None  # an existing lead or contact sharing a duplicate key
    model: ScoringModel = DEFAULT_MODEL
    campaign_id: str | None = None  # a campaign the caller checked exists


@dataclass(frozen=True)
class RecordEngagement(Command):
    kind: str
    count: int = 1
    model: ScoringModel = DEFAULT_MODEL


@dataclass(frozen=True)
class AssignLead(Command):
    rep: RepRef
    rule: str = "manual"


@dataclass(frozen=True)
class QualifyLead(Command):
    pass


@dataclass(frozen=True)
class DisqualifyLead(Command):
    reason: str


@dataclass(frozen=True)
class ConvertLead(Command):
    # fields added after conversions were stored under Idempotency-Keys: at their default,
    # the fingerprint leaves them out, as the class printed itself before
    added_later: ClassVar[tuple[str, ...]] = ("currency",)

    account_id: str
    contact_id: str
    opportunity_id: str
    joined_existing_account: bool
    opportunity_name: str
    amount: Decimal
    expected_close: date
    currency: str = "EUR"


@dataclass(frozen=True)
class HandOverLead(Command):
    departing_rep_id: str
    successor: RepRef
    plan: handover.HandOverPlan


@dataclass(frozen=True)
class AdvanceLeadHandOver(Command):
    status: str
    next_meeting_at: datetime | None = None


def _capture(state: Lead | None, c: CaptureLead) -> list[Event]:
    if state is not None:
        raise AlreadyExistsError(f"lead {c.lead_id} already exists")
    if c.company_size is not None and c.company_size < 1:
        raise ValidationError("company_size", "must be at least 1")
    email = require_email("email", c.email)
    person, company = require_text("person", c.person), require_text("company", c.company)
    channel = require_member("channel", c.channel, Channel)
    profile = LeadProfile(c.industry, c.company_size, c.region, channel, c.interests)
    score, factors = score_lead(profile, {}, c.model)
    captured = LeadCaptured(
        c.lead_id, channel, person, company, email, c.phone, c.industry, c.company_size, c.region,
        c.interests, duplicate_keys(person, company, email, c.phone), c.duplicate_of,
        c.campaign_id,
    )
    return [captured, LeadScored(score, factors)]


def _record_engagement(state: Lead, c: RecordEngagement) -> list[Event]:
    if c.kind not in ENGAGEMENT_KINDS:
        raise ValidationError("kind", f"{c.kind!r} is not one of {', '.join(ENGAGEMENT_KINDS)}")
    if c.count < 1:
        raise ValidationError("count", "must be at least 1")
    engagement = {**state.engagement, c.kind: state.engagement.get(c.kind, 0) + c.count}
    score, factors = score_lead(state.profile, engagement, c.model)
    return [LeadEngagementRecorded(c.kind, c.count), LeadScored(score, factors)]


def _assign(state: Lead, c: AssignLead) -> list[Event]:
    if not c.rep.active:
        raise RepDepartedError(f"rep {c.rep.rep_id} has departed")
    if c.rep.rep_id == state.owner_id:
        return []
    return [LeadAssigned(c.rep.rep_id, c.rule, state.owner_id)]


def _convert(state: Lead, c: ConvertLead) -> list[Event]:
    if state.status == "disqualified":
        raise LeadClosedError(f"lead {state.id} was disqualified")
    if state.owner_id is None:
        raise DomainError(f"lead {state.id} has no owner to take the opportunity")
    require_positive("amount", c.amount)
    name = require_text("opportunity_name", c.opportunity_name)
    return [LeadConverted(c.account_id, c.contact_id, c.opportunity_id, c.joined_existing_account,
                          name, c.amount, c.expected_close,
                          require_currency("currency", c.currency))]


def _hand_over(state: Lead, c: HandOverLead) -> list[Event]:
    if state.owner_id != c.departing_rep_id:
        return []  # already handed over (or never theirs): re-running the flow adds nothing
    if not c.successor.active:
        raise RepDepartedError(f"successor {c.successor.rep_id} has departed")
    p = c.plan
    return [LeadHandedOver(c.departing_rep_id, c.successor.rep_id, p.tier, p.action,
                           p.actor_id, p.due)]


def _decide_open(state: Lead, command: Command) -> list[Event]:
    match command:
        case RecordEngagement():
            return _record_engagement(state, command)
        case AssignLead():
            return _assign(state, command)
        case activities.ActivityCommand():  # a lead has no contacts
            return activities.decide(state.follow_ups, (), command, ACTIVITY_EVENTS)
        case QualifyLead():
            return [] if state.status == "qualified" else [LeadQualified()]
        case DisqualifyLead():
            return [LeadDisqualified(require_text("reason", command.reason, REASON_LENGTH))]
        case ConvertLead():
            return _convert(state, command)
        case HandOverLead():
            return _hand_over(state, command)
    raise TypeError(f"not a lead command: {command!r}")


def decide(state: Lead | None, command: Command) -> list[Event]:
    if isinstance(command, CaptureLead):
        return _capture(state, command)
    if state is None:
        raise NotFoundError("lead not found")
    if isinstance(command, AdvanceLeadHandOver):
        # Deliberately allowed on a closed lead: a hand-over must not stay pending forever
        # because the lead was converted meanwhile.
        status = handover.advance(state.handover_status, command.status, command.next_meeting_at)
        return [LeadHandOverAdvanced(status, command.next_meeting_at)]
    if state.status == "converted":
        raise LeadAlreadyConvertedError(f"lead {state.id} is converted and accepts no changes")
    if state.closed:
        raise LeadClosedError(f"lead {state.id} is {state.status} and accepts no changes")
    return _decide_open(state, command)


def _captured(e: LeadCaptured) -> Lead:
    profile = LeadProfile(e.industry, e.company_size, e.region, e.channel, e.interests)
    return Lead(e.lead_id, profile, e.person, e.company, e.email, e.phone, e.duplicate_of,
                campaign_id=e.campaign_id)


def evolve(state: Lead | None, event: Event) -> Lead:
    if isinstance(event, LeadCaptured):
        return _captured(event)
    assert state is not None, f"{type(event).__name__} before LeadCaptured"
    match event:
        case LeadScored():
            return replace(state, score=event.score)
        case LeadEngagementRecorded():
            count = state.engagement.get(event.kind, 0) + event.count
            return replace(state, engagement={**state.engagement, event.kind: count})
        case LeadAssigned():
            return replace(state, owner_id=event.rep_id)
        case LeadFollowUpScheduled() | LeadFollowUpCompleted():
            return replace(state, follow_ups=activities.evolve(state.follow_ups, event))
        case LeadQualified():
            return replace(state, status="qualified")
        case LeadDisqualified():
            return replace(state, status="disqualified")
        case LeadConverted():
            return replace(state, status="converted", conversion=event)
        case LeadHandedOver():
            return replace(state, owner_id=event.to_rep_id, handover_status="pending",
                           handover_actor_id=event.actor_id)
        case LeadHandOverAdvanced():
            return replace(state, handover_status=event.status)
    return state
