"""Leads: capture (duplicates flagged), scoring input, distribution, nurturing, conversion."""

from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter, Path

from api.access import (
    Ref,
    check_visible,
    may_act,
    may_advance_handover,
    require_role,
    require_writer,
    team_of,
)
from api.deps import Command, CommandDep, PrincipalDep, ServicesDep, VersionedCommandDep
from api.errors import ERROR_RESPONSES
from api.inputs import RecordId
from api.schemas import Position, Versioned
from api.schemas.leads import (
    Assignment,
    ChannelName,
    ConversionBody,
    Converted,
    Disqualification,
    Distribution,
    Engagement,
    FollowUp,
    FollowUpDone,
    FollowUpId,
    HandOverStep,
    Interaction,
    LeadCaptured,
    LeadCreate,
    LeadPublic,
)
from domain.values import Channel
from infra.service.commands import Guard

router = APIRouter(prefix="/v1/leads", tags=["leads"], responses=ERROR_RESPONSES)
LeadId = Annotated[RecordId, Path(description="Lead id")]
assert set(ChannelName.__args__) == {c.value for c in Channel}  # type: ignore[attr-defined]


def _acting(call: Command, lead_id: str, *refs: Ref) -> Guard:
    """The caller may act on the lead as decided on (and see the records the body names)."""
    return may_act(call.caller, call.services.sales, f"lead {lead_id}", *refs)


@router.post("", status_code=201)
async def capture(body: LeadCreate, call: CommandDep) -> LeadCaptured:
    """Capture a lead. A match on normalised email, phone, or company + person with an
    existing lead or contact is stored with `duplicate_of` set. A rep's lead is theirs."""
    require_writer(call.caller)
    caller = call.caller
    result = await call.services.sales.leads.capture_async(
        call.ctx, person=body.person, company=body.company, email=str(body.email),
        phone=body.phone, channel=body.channel, region=body.region, industry=body.industry,
        company_size=body.company_size, interests=body.interests,
        owner_id=caller.rep_id if caller.role == "rep" else None, campaign_id=body.campaign_id)
    captured, scored = result.events[0], result.events[1]
    return LeadCaptured(id=str(result.stream_id), duplicate_of=captured.duplicate_of,  # type: ignore[attr-defined]
                        score=scored.score, position=result.position)  # type: ignore[attr-defined]


@router.get("/{lead_id}")
def get_lead(lead_id: LeadId, caller: PrincipalDep, services: ServicesDep) -> LeadPublic:
    loaded = services.sales.leads.find(lead_id)
    lead = loaded.state
    check_visible(caller, services.sales.directory, lead.owner_id, f"lead {lead_id}")
    return LeadPublic(id=lead.id, person=lead.person, company=lead.company, email=lead.email,
                      phone=lead.phone, channel=lead.profile.channel, region=lead.profile.region,
                      status=lead.status, owner_id=lead.owner_id, score=lead.score,
                      duplicate_of=lead.duplicate_of, handover_status=lead.handover_status,
                      campaign_id=lead.campaign_id, version=loaded.version)


@router.post("/{lead_id}/assign")
def assign(lead_id: LeadId, body: Assignment, call: VersionedCommandDep) -> Versioned:
    """Assign (or re-assign) by hand (managers to a rep of their team, and admins)."""
    require_role(call.caller, "manager", "admin")
    result = call.services.sales.leads.assign(
        call.ctx, lead_id, rep_id=body.rep_id, expected_version=call.expected_version,
        guard=_acting(call, lead_id, Ref("rep", body.rep_id, "rep_id")))
    return Versioned.of(result)


@router.post("/{lead_id}/distribute")
def distribute(lead_id: LeadId, body: Distribution, call: CommandDep) -> Versioned:
    """Assign by rule: round robin within the lead's territory, or least loaded; a manager
    distributes among the reps of their own team."""
    require_role(call.caller, "manager", "admin")
    sales = call.services.sales
    team = None  # a manager of no known team has nobody to distribute to
    if call.caller.role == "manager":
        team = team_of(sales.directory, call.caller.rep_id) or ""
    result = sales.leads.distribute(call.ctx, lead_id, rule=body.rule, team=team,
                                    guard=_acting(call, lead_id))
    return Versioned.of(result)


@router.post("/{lead_id}/engagement")
def record_engagement(lead_id: LeadId, body: Engagement, call: CommandDep) -> Versioned:
    """Record buying intent (site visits, seminars, replies ...); the lead is scored again."""
    result = call.services.sales.leads.record_engagement(
        call.ctx, lead_id, kind=body.kind, count=body.count, guard=_acting(call, lead_id))
    return Versioned.of(result)


@router.post("/{lead_id}/interactions")
def log_interaction(lead_id: LeadId, body: Interaction, call: CommandDep) -> Versioned:
    result = call.services.sales.leads.log_interaction(
        call.ctx, lead_id, interaction_id=body.interaction_id or str(uuid4()), kind=body.kind,
        notes=body.notes, outcome=body.outcome, guard=_acting(call, lead_id))
    return Versioned.of(result)


@router.post("/{lead_id}/follow-ups")
def schedule_follow_up(lead_id: LeadId, body: FollowUp, call: CommandDep) -> Versioned:
    result = call.services.sales.leads.schedule_follow_up(
        call.ctx, lead_id, follow_up_id=body.follow_up_id or str(uuid4()), due=body.due,
        note=body.note, guard=_acting(call, lead_id))
    return Versioned.of(result)


@router.post("/{lead_id}/follow-ups/{follow_up_id}/complete")
def complete_follow_up(lead_id: LeadId, follow_up_id: FollowUpId, body: FollowUpDone,
                       call: CommandDep) -> Versioned:
    result = call.services.sales.leads.complete_follow_up(
        call.ctx, lead_id, follow_up_id=follow_up_id, outcome=body.outcome,
        guard=_acting(call, lead_id))
    return Versioned.of(result)


@router.post("/{lead_id}/qualify")
def qualify(lead_id: LeadId, call: CommandDep) -> Versioned:
    result = call.services.sales.leads.qualify(call.ctx, lead_id, _acting(call, lead_id))
    return Versioned.of(result)


@router.post("/{lead_id}/disqualify")
def disqualify(lead_id: LeadId, body: Disqualification, call: CommandDep) -> Versioned:
    result = call.services.sales.leads.disqualify(call.ctx, lead_id, reason=body.reason,
                                                  guard=_acting(call, lead_id))
    return Versioned.of(result)


@router.post("/{lead_id}/convert", status_code=201)
def convert(lead_id: LeadId, body: ConversionBody, call: CommandDep) -> Converted:
    """Convert into a new (or an existing) account with a contact, and open an opportunity."""
    done = call.services.sales.conversion.convert(
        call.ctx, lead_id, account_id=body.account_id, opportunity_name=body.opportunity_name,
        amount=body.amount, expected_close=body.expected_close, currency=body.currency,
        guard=_acting(call, lead_id, Ref("account", body.account_id, "account_id")))
    return Converted(account_id=done.account_id, opportunity_id=done.opportunity_id,
                     contact_id=done.contact_id, position=done.position)


@router.post("/{lead_id}/handover")
def advance_handover(lead_id: LeadId, body: HandOverStep, call: CommandDep) -> Position:
    """Move the lead's hand-over on: pending -> introduced -> completed (the owner, or
    whoever the hand-over names to act)."""
    sales = call.services.sales
    result = sales.leads.advance_handover(
        call.ctx, lead_id, status=body.status,
        next_meeting_at=body.next_meeting_at,
        guard=may_advance_handover(call.caller, sales, f"lead {lead_id}"))
    return Position(position=result.position)
