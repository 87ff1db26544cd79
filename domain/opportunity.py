"""Opportunity: a possible sale moving through the stages to won or lost."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain import activities, handover
from domain.activities import FollowUp
from domain.errors import (
    AlreadyExistsError,
    NotFoundError,
    OpportunityClosedError,
    RepDepartedError,
    ValidationError,
)
from domain.evaluation import evaluate
from domain.events import Command, Event
from domain.pricing import PricedLine, PriceRequest, PriceRules, price_lines
from domain.stages import DEFAULT_PROBABILITIES, Stage, is_open
from domain.values import RepRef, require_currency, require_positive, require_text

STREAM = "Opportunity"


@dataclass(frozen=True)
class OpportunityEvent(Event):
    stream_type = STREAM


@dataclass(frozen=True)
class OpportunityOpened(OpportunityEvent):
    """v2 added ``currency``; v1 events (all in EUR) are upcast on read."""

    schema_version = 2

    opportunity_id: str
    account_id: str
    owner_id: str
    name: str
    amount: Decimal
    currency: str
    expected_close: date
    products: tuple[str, ...]
    stage: str
    probability: int
    source_lead_id: str | None

    @staticmethod
    def upcast_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "currency": "EUR"}


@dataclass(frozen=True)
class OpportunityEvaluated(OpportunityEvent):
    budget: int
    need: int
    authority: int
    competition: int
    priority: str
    win_probability: int


@dataclass(frozen=True)
class OpportunityStageChanged(OpportunityEvent):
    from_stage: str
    to_stage: str
    probability: int


@dataclass(frozen=True)
class OpportunityAmountChanged(OpportunityEvent):
    amount: Decimal
    previous_amount: Decimal


@dataclass(frozen=True)
class OpportunityCloseDateChanged(OpportunityEvent):
    expected_close: date
    previous_expected_close: date


@dataclass(frozen=True)
class OpportunityQuoteIssued(OpportunityEvent):
    """v2 added ``currency`` (the opportunity's, which prices the lines); v1 quotes were
    priced at base prices, in EUR."""

    schema_version = 2

    quote_id: str
    lines: tuple[PricedLine, ...]
    total: Decimal
    valid_until: date
    currency: str = "EUR"

    @staticmethod
    def upcast_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "currency": "EUR"}


@dataclass(frozen=True)
class OpportunityWon(OpportunityEvent):
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class OpportunityLost(OpportunityEvent):
    reason: str
    competitor: str | None


@dataclass(frozen=True)
class OpportunityOwnerChanged(OpportunityEvent):
    owner_id: str
    previous_owner_id: str


@dataclass(frozen=True)
class OpportunityHandedOver(OpportunityEvent):
    from_rep_id: str
    to_rep_id: str
    tier: str
    action: str
    actor_id: str
    due: date


@dataclass(frozen=True)
class OpportunityHandOverAdvanced(OpportunityEvent):
    """v2: ``next_meeting_at``, the meeting agreed with the customer at the introduction."""

    schema_version = 2

    status: str
    next_meeting_at: datetime | None = None

    @staticmethod
    def upcast_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "next_meeting_at": None}


@dataclass(frozen=True)
class OpportunityInteractionLogged(activities.InteractionLogged, OpportunityEvent):
    pass


@dataclass(frozen=True)
class OpportunityFollowUpScheduled(activities.FollowUpScheduled, OpportunityEvent):
    pass


@dataclass(frozen=True)
class OpportunityFollowUpCompleted(activities.FollowUpCompleted, OpportunityEvent):
    pass


ACTIVITY_EVENTS = activities.ActivityEvents(
    OpportunityInteractionLogged, OpportunityFollowUpScheduled, OpportunityFollowUpCompleted)


@dataclass(frozen=True)
class Opportunity:
    id: str
    account_id: str
    owner_id: str
    name: str
    amount: Decimal
    currency: str
    expected_close: date
    stage: Stage
    probability: int
    products: tuple[str, ...] = ()
    quotes: dict[str, Decimal] = field(default_factory=dict)
    handover_status: str | None = None
    handover_actor_id: str | None = None  # who must act on the hand-over in progress
    follow_ups: dict[str, FollowUp] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        return is_open(self.stage)


@dataclass(frozen=True)
class OpenOpportunity(Command):
    opportunity_id: str
    account_id: str
    owner: RepRef
    name: str
    amount: Decimal
    expected_close: date
    currency: str = "EUR"
    products: tuple[str, ...] = ()
    source_lead_id: str | None = None
    probabilities: Mapping[Stage, int] = field(default_factory=lambda: DEFAULT_PROBABILITIES)


@dataclass(frozen=True)
class EvaluateOpportunity(Command):
    budget: int
    need: int
    authority: int
    competition: int


@dataclass(frozen=True)
class ChangeStage(Command):
    stage: str
    reason: str | None = None  # closed_lost only
    competitor: str | None = None
    probabilities: Mapping[Stage, int] = field(default_factory=lambda: DEFAULT_PROBABILITIES)


@dataclass(frozen=True)
class ChangeAmount(Command):
    amount: Decimal


@dataclass(frozen=True)
class ChangeCloseDate(Command):
    expected_close: date


@dataclass(frozen=True)
class IssueQuote(Command):
    quote_id: str
    requests: tuple[PriceRequest, ...]
    rules: PriceRules
    valid_until: date


@dataclass(frozen=True)
class ChangeOpportunityOwner(Command):
    owner: RepRef


@dataclass(frozen=True)
class HandOverOpportunity(Command):
    departing_rep_id: str
    successor: RepRef
    plan: handover.HandOverPlan


@dataclass(frozen=True)
class AdvanceOpportunityHandOver(Command):
    status: str
    next_meeting_at: datetime | None = None


def _open(state: Opportunity | None, c: OpenOpportunity) -> list[Event]:
    if state is not None:
        raise AlreadyExistsError(f"opportunity {c.opportunity_id} already exists")
    if not c.owner.active:
        raise RepDepartedError(f"rep {c.owner.rep_id} has departed")
    require_positive("amount", c.amount)
    currency = require_currency("currency", c.currency)
    stage = Stage.PROSPECTING
    return [OpportunityOpened(
        c.opportunity_id, c.account_id, c.owner.rep_id, require_text("name", c.name), c.amount,
        currency, c.expected_close, c.products, stage, c.probabilities[stage],
        c.source_lead_id,
    )]


def _change_stage(state: Opportunity, c: ChangeStage) -> list[Event]:
    try:
        stage = Stage(c.stage)
    except ValueError:
        raise ValidationError("stage", f"{c.stage!r} is not a stage") from None
    if stage == state.stage:
        return []
    changed = OpportunityStageChanged(state.stage, stage, c.probabilities[stage])
    if stage is Stage.CLOSED_WON:
        return [changed, OpportunityWon(state.amount, state.currency)]
    if stage is Stage.CLOSED_LOST:
        return [changed, OpportunityLost(c.reason or "unspecified", c.competitor)]
    return [changed]


def _issue_quote(state: Opportunity, c: IssueQuote) -> list[Event]:
    if c.quote_id in state.quotes:
        raise AlreadyExistsError(f"quote {c.quote_id} already exists")
    if not c.requests:
        raise ValidationError("lines", "a quote needs at least one line")
    for request in c.requests:
        require_positive("quantity", request.quantity)
    lines = price_lines(c.requests, c.rules, state.currency)
    total = sum((line.line_total for line in lines), Decimal(0))
    return [OpportunityQuoteIssued(c.quote_id, lines, total, c.valid_until, state.currency)]


def _hand_over(state: Opportunity, c: HandOverOpportunity) -> list[Event]:
    if state.owner_id != c.departing_rep_id:
        return []
    if not c.successor.active:
        raise RepDepartedError(f"successor {c.successor.rep_id} has departed")
    p = c.plan
    return [OpportunityHandedOver(c.departing_rep_id, c.successor.rep_id, p.tier, p.action,
                                  p.actor_id, p.due)]


def _decide_open(state: Opportunity, command: Command) -> list[Event]:
    match command:
        case EvaluateOpportunity():
            e = evaluate(command.budget, command.need, command.authority, command.competition)
            return [OpportunityEvaluated(e.budget, e.need, e.authority, e.competition, e.priority,
                                         e.win_probability)]
        case ChangeStage():
            return _change_stage(state, command)
        case ChangeAmount():
            require_positive("amount", command.amount)
            if command.amount == state.amount:
                return []
            return [OpportunityAmountChanged(command.amount, state.amount)]
        case ChangeCloseDate():
            if command.expected_close == state.expected_close:
                return []
            return [OpportunityCloseDateChanged(command.expected_close, state.expected_close)]
        case IssueQuote():
            return _issue_quote(state, command)
        case ChangeOpportunityOwner():
            if not command.owner.active:
                raise RepDepartedError(f"rep {command.owner.rep_id} has departed")
            if command.owner.rep_id == state.owner_id:
                return []
            return [OpportunityOwnerChanged(command.owner.rep_id, state.owner_id)]
        case HandOverOpportunity():
            return _hand_over(state, command)
        case activities.ActivityCommand():  # an opportunity's contacts are its account's
            return activities.decide(state.follow_ups, (), command, ACTIVITY_EVENTS)
    raise TypeError(f"not an opportunity command: {command!r}")


def decide(state: Opportunity | None, command: Command) -> list[Event]:
    if isinstance(command, OpenOpportunity):
        return _open(state, command)
    if state is None:
        raise NotFoundError("opportunity not found")
    if isinstance(command, AdvanceOpportunityHandOver):  # allowed when closed: see lead.decide
        status = handover.advance(state.handover_status, command.status,
                                  command.next_meeting_at)
        return [OpportunityHandOverAdvanced(status, command.next_meeting_at)]
    if isinstance(command, activities.CompleteFollowUp):  # a follow-up outlives its deal
        return activities.decide(state.follow_ups, (), command, ACTIVITY_EVENTS)
    if not state.open:
        raise OpportunityClosedError(f"opportunity {state.id} is {state.stage} and accepts no changes")
    return _decide_open(state, command)


def evolve(state: Opportunity | None, event: Event) -> Opportunity:
    if isinstance(event, OpportunityOpened):
        return Opportunity(event.opportunity_id, event.account_id, event.owner_id, event.name,
                           event.amount, event.currency, event.expected_close, Stage(event.stage),
                           event.probability, event.products)
    assert state is not None, f"{type(event).__name__} before OpportunityOpened"
    match event:
        case OpportunityStageChanged():
            return replace(state, stage=Stage(event.to_stage), probability=event.probability)
        case OpportunityAmountChanged():
            return replace(state, amount=event.amount)
        case OpportunityCloseDateChanged():
            return replace(state, expected_close=event.expected_close)
        case OpportunityQuoteIssued():
            return replace(state, quotes={**state.quotes, event.quote_id: event.total})
        case OpportunityOwnerChanged():
            return replace(state, owner_id=event.owner_id)
        case OpportunityHandedOver():
            return replace(state, owner_id=event.to_rep_id, handover_status="pending",
                           handover_actor_id=event.actor_id)
        case OpportunityHandOverAdvanced():
            return replace(state, handover_status=event.status)
        case OpportunityFollowUpScheduled() | OpportunityFollowUpCompleted():
            return replace(state, follow_ups=activities.evolve(state.follow_ups, event))
    return state
