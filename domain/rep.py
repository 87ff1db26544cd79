"""Rep: a sales representative or manager, from hiring to departure."""

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from domain.errors import (
    AlreadyExistsError,
    InvalidTransitionError,
    NotFoundError,
    RepDepartedError,
    RuleViolationError,
    ValidationError,
)
from domain.events import Command, Event
from domain.values import (
    RepRef,
    Role,
    require_date,
    require_email,
    require_member,
    require_non_negative,
    require_period,
    require_positive,
    require_text,
)

STREAM = "Rep"


@dataclass(frozen=True)
class RepEvent(Event):
    stream_type = STREAM


@dataclass(frozen=True)
class RepHired(RepEvent):
    rep_id: str
    name: str
    email: str
    role: str
    team: str
    region: str
    manager_id: str | None


@dataclass(frozen=True)
class RepMoved(RepEvent):
    team: str
    region: str
    manager_id: str | None


@dataclass(frozen=True)
class RepQuotaSet(RepEvent):
    period: str
    amount: Decimal


@dataclass(frozen=True)
class RepCommissionPlanSet(RepEvent):
    """``rate`` on won revenue; ``accelerated_rate`` on revenue above quota, if tiered. The
    plan applies to deals closed from ``effective_from`` on (v2; a v1 plan, which has none,
    applies from the day it was recorded), until a plan effective later."""

    schema_version = 2

    rate: Decimal
    accelerated_rate: Decimal | None
    effective_from: date | None = None

    @staticmethod
    def upcast_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "effective_from": None}


@dataclass(frozen=True)
class RepDeparted(RepEvent):
    effective_date: date
    successor_id: str


@dataclass(frozen=True)
class Assignment:
    """One item of a departing rep's funnel and who takes it over."""

    item_id: str
    successor_id: str


@dataclass(frozen=True)
class RepNoticeGiven(RepEvent):
    """The rep handed in notice and leaves on ``effective_date`` (which may already have
    passed, when the notice is recorded late). Until the manager approves the hand-over plan
    and that day comes, the rep keeps working. ``successor_id`` takes every item the plan
    gives no one else."""

    effective_date: date
    successor_id: str


@dataclass(frozen=True)
class RepHandOverPlanned(RepEvent):
    """The manager's split of the departing rep's funnel: who takes each listed item (the
    rest go to the notice's successor). It replaces the previous plan and withdraws an
    approval: a changed plan is approved again."""

    assignments: tuple[Assignment, ...]


@dataclass(frozen=True)
class RepHandOverApproved(RepEvent):
    """The manager checked the departing rep's funnel and approved the plan: it executes on
    the effective date."""


@dataclass(frozen=True)
class Notice:
    """A departure in steps: given, planned, approved; executed on ``effective_date``."""

    effective_date: date
    successor_id: str
    assignments: tuple[Assignment, ...] = ()
    approved: bool = False

    def successor_ids(self) -> tuple[str, ...]:
        """Everyone the plan hands something to, the notice's successor first."""
        named = [self.successor_id, *(a.successor_id for a in self.assignments)]
        return tuple(dict.fromkeys(named))


@dataclass(frozen=True)
class Rep:
    id: str
    name: str
    email: str
    role: str
    team: str
    region: str
    manager_id: str | None
    active: bool = True
    successor_id: str | None = None
    quotas: dict[str, Decimal] = field(default_factory=dict)
    commission_rate: Decimal | None = None
    accelerated_rate: Decimal | None = None
    notice: Notice | None = None

    def ref(self) -> RepRef:
        return RepRef(self.id, self.active, self.role, self.manager_id)


@dataclass(frozen=True)
class HireRep(Command):
    rep_id: str
    name: str
    email: str
    role: str
    team: str
    region: str
    manager: RepRef | None = None


@dataclass(frozen=True)
class MoveRep(Command):
    team: str
    region: str
    manager: RepRef | None = None


@dataclass(frozen=True)
class SetQuota(Command):
    period: str
    amount: Decimal


@dataclass(frozen=True)
class SetCommissionPlan(Command):
    rate: Decimal
    accelerated_rate: Decimal | None = None
    effective_from: date | None = None  # none: from the day it is recorded


@dataclass(frozen=True)
class DepartRep(Command):
    successor: RepRef
    effective_date: date


@dataclass(frozen=True)
class GiveNotice(Command):
    effective_date: date
    successor: RepRef


@dataclass(frozen=True)
class PlanHandOver(Command):
    """``assignments``: (item id, successor) pairs; ``open_items``: the ids of the open items
    the rep owns now (only those can be planned)."""

    assignments: tuple[tuple[str, RepRef], ...]
    open_items: frozenset[str]


@dataclass(frozen=True)
class ApproveHandOver(Command):
    successors: tuple[RepRef, ...]  # everyone the plan names


@dataclass(frozen=True)
class ExecuteNotice(Command):
    """Carries the approved plan out once ``today`` has reached its effective date."""

    today: date
    successors: tuple[RepRef, ...]  # everyone the plan names


def _check_manager(manager: RepRef | None) -> None:
    if manager is None:
        return
    if not manager.active:
        raise RepDepartedError(f"manager {manager.rep_id} has departed")
    if manager.role != Role.MANAGER:
        raise RuleViolationError("manager_id", f"{manager.rep_id} is not a manager")


def _hire(state: Rep | None, c: HireRep) -> list[Event]:
    if state is not None:
        raise AlreadyExistsError(f"rep {c.rep_id} already exists")
    _check_manager(c.manager)
    return [RepHired(
        rep_id=c.rep_id, name=require_text("name", c.name), email=require_email("email", c.email),
        role=require_member("role", c.role, Role), team=require_text("team", c.team),
        region=require_text("region", c.region),
        manager_id=c.manager.rep_id if c.manager else None,
    )]


def _move(state: Rep, c: MoveRep) -> list[Event]:
    _check_manager(c.manager)
    manager_id = c.manager.rep_id if c.manager else None
    team, region = require_text("team", c.team), require_text("region", c.region)
    if (team, region, manager_id) == (state.team, state.region, state.manager_id):
        return []
    return [RepMoved(team, region, manager_id)]


def _set_quota(state: Rep, c: SetQuota) -> list[Event]:
    require_period("period", c.period)
    require_non_negative("amount", c.amount)
    if state.quotas.get(c.period) == c.amount:
        return []
    return [RepQuotaSet(c.period, c.amount)]


def _set_commission(state: Rep, c: SetCommissionPlan) -> list[Event]:
    require_positive("rate", c.rate)
    if c.rate >= 1:
        raise ValidationError("rate", "is a fraction of revenue and must be below 1")
    if c.accelerated_rate is not None and c.accelerated_rate >= 1:
        raise ValidationError("accelerated_rate", "is a fraction of revenue and must be below 1")
    if c.accelerated_rate is not None and c.accelerated_rate < c.rate:
        raise RuleViolationError("accelerated_rate", "must be at least rate")
    if c.effective_from is not None:
        require_date("effective_from", c.effective_from)
    return [RepCommissionPlanSet(c.rate, c.accelerated_rate, c.effective_from)]


def _check_successor(successor: RepRef, departing: Rep, field_name: str) -> None:
    if successor.rep_id == departing.id:
        raise RuleViolationError(field_name, "a rep cannot succeed themself")
    if not successor.active:
        raise RepDepartedError(f"successor {successor.rep_id} has departed")


def _depart(state: Rep, c: DepartRep) -> list[Event]:
    _check_successor(c.successor, state, "successor_id")
    return [RepDeparted(c.effective_date, c.successor.rep_id)]


def _give_notice(state: Rep, c: GiveNotice) -> list[Event]:
    if state.notice is not None:
        raise RuleViolationError(
            "effective_date", f"rep {state.id} already gave notice, effective "
                              f"{state.notice.effective_date.isoformat()}")
    require_date("effective_date", c.effective_date)
    _check_successor(c.successor, state, "successor_id")
    return [RepNoticeGiven(c.effective_date, c.successor.rep_id)]


def _noticed(state: Rep) -> Notice:
    if state.notice is None:
        raise InvalidTransitionError(f"rep {state.id} has not given notice")
    return state.notice


def _plan(state: Rep, c: PlanHandOver) -> list[Event]:
    notice = _noticed(state)
    seen: set[str] = set()
    for n, (item_id, successor) in enumerate(c.assignments):
        if item_id in seen:
            raise ValidationError(f"assignments[{n}].id", f"{item_id} is listed twice")
        seen.add(item_id)
        if item_id not in c.open_items:
            raise RuleViolationError(f"assignments[{n}].id",
                                     f"{item_id} is not an open item of rep {state.id}")
        _check_successor(successor, state, f"assignments[{n}].successor_id")
    assignments = tuple(Assignment(item_id, successor.rep_id)
                        for item_id, successor in c.assignments)
    if assignments == notice.assignments:
        return []
    return [RepHandOverPlanned(assignments)]


def _check_plan_successors(state: Rep, successors: tuple[RepRef, ...]) -> None:
    for successor in successors:
        _check_successor(successor, state, "successor_id")


def _approve(state: Rep, c: ApproveHandOver) -> list[Event]:
    if _noticed(state).approved:
        return []
    _check_plan_successors(state, c.successors)
    return [RepHandOverApproved()]


def _execute(state: Rep, c: ExecuteNotice) -> list[Event]:
    notice = state.notice
    if notice is None or not notice.approved or notice.effective_date > c.today:
        return []  # nothing due: not approved (yet), or not that day yet
    _check_plan_successors(state, c.successors)
    return [RepDeparted(notice.effective_date, notice.successor_id)]


def decide(state: Rep | None, command: Command) -> list[Event]:
    if isinstance(command, HireRep):
        return _hire(state, command)
    if state is None:
        raise NotFoundError("rep not found")
    if not state.active:
        raise RepDepartedError(f"rep {state.id} has departed")
    match command:
        case MoveRep():
            return _move(state, command)
        case SetQuota():
            return _set_quota(state, command)
        case SetCommissionPlan():
            return _set_commission(state, command)
        case DepartRep():
            return _depart(state, command)
        case GiveNotice():
            return _give_notice(state, command)
        case PlanHandOver():
            return _plan(state, command)
        case ApproveHandOver():
            return _approve(state, command)
        case ExecuteNotice():
            return _execute(state, command)
    raise TypeError(f"not a rep command: {command!r}")


def evolve(state: Rep | None, event: Event) -> Rep:
    if isinstance(event, RepHired):
        return Rep(event.rep_id, event.name, event.email, event.role, event.team, event.region,
                   event.manager_id)
    assert state is not None, f"{type(event).__name__} before RepHired"
    match event:
        case RepMoved():
            return replace(state, team=event.team, region=event.region,
                           manager_id=event.manager_id)
        case RepQuotaSet():
            return replace(state, quotas={**state.quotas, event.period: event.amount})
        case RepCommissionPlanSet():
            return replace(state, commission_rate=event.rate,
                           accelerated_rate=event.accelerated_rate)
        case RepDeparted():
            return replace(state, active=False, successor_id=event.successor_id)
        case RepNoticeGiven():
            return replace(state, notice=Notice(event.effective_date, event.successor_id))
        case RepHandOverPlanned():
            return replace(state, notice=replace(_noticed(state), assignments=event.assignments,
                                                 approved=False))
        case RepHandOverApproved():
            return replace(state, notice=replace(_noticed(state), approved=True))
    return state
