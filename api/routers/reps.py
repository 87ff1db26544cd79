"""Reps: hiring, moves, quotas, commission plans, departure (with hand-over)."""

from typing import Annotated

from fastapi import APIRouter, Path

from api.access import Ref, check_refs, check_visible, may_act, require_role
from api.deps import Command, CommandDep, PrincipalDep, ServicesDep, VersionedCommandDep
from api.errors import ERROR_RESPONSES
from api.inputs import RecordId
from api.schemas import Created, Versioned
from api.schemas.reps import CommissionPlanSet, Departure, QuotaSet, RepCreate, RepMove, RepPublic
from infra.service.commands import Guard

router = APIRouter(prefix="/v1/reps", tags=["reps"], responses=ERROR_RESPONSES)
RepId = Annotated[RecordId, Path(description="Rep id")]


def _visible(call: Command, rep_id: str, *refs: Ref) -> Guard:
    """The rep as decided on is one the caller may see (themself, their team's manager, the
    read-everything roles; else 404), and so is every record the body names."""
    return may_act(call.caller, call.services.sales, f"rep {rep_id}", *refs,
                   owner=lambda rep: str(rep.id))


@router.post("", status_code=201)
def hire(body: RepCreate, call: CommandDep) -> Created:
    """Hire a rep or manager (admin only)."""
    require_role(call.caller, "admin")
    check_refs(call.caller, call.services.sales, Ref("rep", body.manager_id, "manager_id"))
    result = call.services.sales.reps.hire(call.ctx, name=body.name, email=str(body.email),
                                           role=body.role, team=body.team, region=body.region,
                                           manager_id=body.manager_id)
    return Created(id=str(result.stream_id), position=result.position)


@router.get("/{rep_id}")
def get_rep(rep_id: RepId, caller: PrincipalDep, services: ServicesDep) -> RepPublic:
    """A rep as the command side knows them now (reps see themselves, managers their team)."""
    loaded = services.sales.reps.find(rep_id)
    rep = loaded.state
    check_visible(caller, services.sales.directory, str(rep.id), f"rep {rep_id}")
    return RepPublic(id=rep.id, name=rep.name, email=rep.email, role=rep.role, team=rep.team,
                     region=rep.region, manager_id=rep.manager_id, active=rep.active,
                     successor_id=rep.successor_id, version=loaded.version)


@router.post("/{rep_id}/move")
def move(rep_id: RepId, body: RepMove, call: VersionedCommandDep) -> Versioned:
    """Move a rep to another team or territory (admin)."""
    require_role(call.caller, "admin")
    result = call.services.sales.reps.move(
        call.ctx, rep_id, team=body.team, region=body.region, manager_id=body.manager_id,
        expected_version=call.expected_version,
        guard=_visible(call, rep_id, Ref("rep", body.manager_id, "manager_id")))
    return Versioned.of(result)


@router.post("/{rep_id}/quotas")
def set_quota(rep_id: RepId, body: QuotaSet, call: VersionedCommandDep) -> Versioned:
    """Set a rep's quota for a month, quarter or fiscal year (admin, or the rep's manager)."""
    require_role(call.caller, "admin", "manager")
    result = call.services.sales.reps.set_quota(call.ctx, rep_id, period=body.period,
                                                amount=body.amount,
                                                expected_version=call.expected_version,
                                                guard=_visible(call, rep_id))
    return Versioned.of(result)


@router.post("/{rep_id}/commission-plan")
def set_commission_plan(rep_id: RepId, body: CommissionPlanSet,
                        call: VersionedCommandDep) -> Versioned:
    """Set the commission plan: a rate on won revenue, optionally higher above quota, for
    deals closed from `effective_from` on (admin). A plan effective in the past applies to
    the statements issued from now on (`GET /v1/commissions/{rep_id}`)."""
    require_role(call.caller, "admin")
    result = call.services.sales.reps.set_commission_plan(
        call.ctx, rep_id, rate=body.rate, accelerated_rate=body.accelerated_rate,
        effective_from=body.effective_from, expected_version=call.expected_version)
    return Versioned.of(result)


@router.post("/{rep_id}/departure")
def depart(rep_id: RepId, body: Departure, call: VersionedCommandDep) -> Versioned:
    """Record a departure: every open item goes to the successor by the hand-over policy
    (admin, or the manager of the rep's team, who names a successor of that team)."""
    require_role(call.caller, "admin", "manager")
    result = call.services.sales.departure.depart(
        call.ctx, rep_id, successor_id=body.successor_id, effective_date=body.effective_date,
        expected_version=call.expected_version,
        guard=_visible(call, rep_id, Ref("rep", body.successor_id, "successor_id")))
    return Versioned.of(result)
