"""A departure in steps: the rep's notice, the manager's plan and its approval.

The notice (``POST /v1/reps/{id}/notice``) opens the plan, which ``GET /v1/handovers/{id}``
lists; the manager splits it (``PUT …/plan``) and approves it (``POST …/approve``); it
executes on the effective date. The immediate ``POST /v1/reps/{id}/departure`` stays.
"""

from typing import Annotated

from fastapi import APIRouter, Path

from api.access import Ref, may_act, require_role
from api.deps import Command, VersionedCommandDep
from api.errors import ERROR_RESPONSES
from api.inputs import RecordId
from api.schemas import Created, Versioned
from api.schemas.reps import HandOverPlanPut, NoticeCreate
from infra.service.commands import Guard

notices = APIRouter(prefix="/v1/reps", tags=["reps"], responses=ERROR_RESPONSES)
plans = APIRouter(prefix="/v1/handovers", tags=["handovers"], responses=ERROR_RESPONSES)
RepId = Annotated[RecordId, Path(description="The departing rep's id")]


def _on_rep(call: Command, rep_id: str, *refs: Ref, roles: tuple[str, ...] = ()) -> Guard:
    """The rep is one the caller may see (themself, their team's manager, the admins; else
    404), and so is every rep the body names."""
    return may_act(call.caller, call.services.sales, f"rep {rep_id}", *refs, roles=roles,
                   owner=lambda rep: str(rep.id))


@notices.post("/{rep_id}/notice", status_code=201)
def give_notice(rep_id: RepId, body: NoticeCreate, call: VersionedCommandDep) -> Created:
    """The rep hands in notice: they leave on `effective_date`. The hand-over plan is then
    listed by `GET /v1/handovers/{rep_id}` (status `planned`) for the manager to split and
    approve (the rep themself, their manager, or an admin)."""
    require_role(call.caller, "admin", "manager", "rep")
    result = call.services.sales.departure.give_notice(
        call.ctx, rep_id, effective_date=body.effective_date, successor_id=body.successor_id,
        expected_version=call.expected_version,
        guard=_on_rep(call, rep_id, Ref("rep", body.successor_id, "successor_id")))
    return Created(id=str(result.stream_id), position=result.position)


@plans.put("/{rep_id}/plan")
def plan(rep_id: RepId, body: HandOverPlanPut, call: VersionedCommandDep) -> Versioned:
    """Split the departing rep's funnel over several successors: who takes each listed
    item; the rest go to the notice's successor (the manager of the rep's team, who names
    successors they may see, or an admin). A changed plan needs approving again."""
    require_role(call.caller, "admin", "manager")
    refs = [Ref("rep", a.successor_id, f"assignments[{n}].successor_id")
            for n, a in enumerate(body.assignments)]
    result = call.services.sales.departure.plan(
        call.ctx, rep_id, [(a.id, a.successor_id) for a in body.assignments],
        expected_version=call.expected_version,
        guard=_on_rep(call, rep_id, *refs, roles=("admin", "manager")))
    return Versioned.of(result)


@plans.post("/{rep_id}/approve")
def approve(rep_id: RepId, call: VersionedCommandDep) -> Versioned:
    """Approve the plan (the manager of the rep's team, or an admin): it executes on the
    effective date — at once if that day has come."""
    require_role(call.caller, "admin", "manager")
    result = call.services.sales.departure.approve(
        call.ctx, rep_id, expected_version=call.expected_version,
        guard=_on_rep(call, rep_id, roles=("admin", "manager")))
    return Versioned.of(result)


__all__ = ["notices", "plans"]
