"""Opportunities: opening, evaluation, stages, amount, close date, quotes, owner, hand-over."""

from decimal import Decimal
from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter, Path

from api.access import (
    Ref,
    check_refs,
    check_visible,
    may_act,
    may_advance_handover,
    visibility_reads_store,
)
from api.deps import Command, CommandDep, PrincipalDep, ServicesDep, VersionedCommandDep
from api.errors import ERROR_RESPONSES
from api.inputs import RecordId
from api.schemas import Created, Versioned
from api.schemas.accounts import FollowUpPublic, OwnerChange
from api.schemas.leads import FollowUp, FollowUpDone, FollowUpId, HandOverStep, Interaction
from api.schemas.opportunities import (
    AmountChange,
    CloseDateChange,
    Evaluated,
    EvaluationBody,
    OpportunityCreate,
    OpportunityPublic,
    PricedLinePublic,
    QuoteCreate,
    QuoteIssued,
    QuotePublic,
    StageChange,
    StageChanged,
    StageName,
)
from domain.pricing import CENT
from domain.stages import Stage
from infra.service.commands import Guard

router = APIRouter(prefix="/v1/opportunities", tags=["opportunities"],
                   responses=ERROR_RESPONSES)
OpportunityId = Annotated[RecordId, Path(description="Opportunity id")]
assert set(StageName.__args__) == {s.value for s in Stage}  # type: ignore[attr-defined]


def _acting(call: Command, opportunity_id: str, *refs: Ref,
            roles: tuple[str, ...] = ()) -> Guard:
    """The caller may act on the opportunity as decided on (and see the records the body
    names)."""
    return may_act(call.caller, call.services.sales, f"opportunity {opportunity_id}", *refs,
                   roles=roles)


def _money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT)


@router.post("", status_code=201)
def open_opportunity(body: OpportunityCreate, call: CommandDep) -> Created:
    """Open an opportunity on a visible account; it starts in prospecting (10 %)."""
    check_refs(call.caller, call.services.sales, Ref("account", body.account_id, "account_id"),
               Ref("rep", body.owner_id, "owner_id"))
    result = call.services.sales.opportunities.open(
        call.ctx, account_id=str(body.account_id), owner_id=str(body.owner_id), name=body.name,
        amount=body.amount, expected_close=body.expected_close, currency=body.currency,
        products=body.products)
    return Created(id=str(result.stream_id), position=result.position)


@router.get("/{opportunity_id}")
def get_opportunity(opportunity_id: OpportunityId, caller: PrincipalDep,
                    services: ServicesDep) -> OpportunityPublic:
    """The opportunity as the command side knows it now (its owner and their manager)."""
    loaded = services.sales.opportunities.find(opportunity_id)
    opp, version = loaded.state, loaded.version
    check_visible(caller, services.sales.directory, opp.owner_id, f"opportunity {opportunity_id}")
    quotes = [QuotePublic(quote_id=q, total=_money(t)) for q, t in opp.quotes.items()]
    return OpportunityPublic(
        id=opp.id, account_id=opp.account_id, owner_id=opp.owner_id, name=opp.name,
        amount=_money(opp.amount), currency=opp.currency, expected_close=opp.expected_close,
        stage=opp.stage.value, probability=opp.probability, open=opp.open,
        products=list(opp.products), quotes=quotes, handover_status=opp.handover_status,
        follow_ups=[FollowUpPublic(follow_up_id=f.follow_up_id, due=f.due, note=f.note,
                                   done=f.done) for f in opp.follow_ups.values()],
        version=version)


@router.post("/{opportunity_id}/stage")
async def change_stage(opportunity_id: OpportunityId, body: StageChange,
                       call: VersionedCommandDep) -> StageChanged:
    """Move to a stage; closed_won / closed_lost close the deal (409 `opportunity_closed`
    afterwards). With `If-Match`, a stale version is 409 `version_conflict`."""
    sales = call.services.sales
    result = await sales.opportunities.change_stage_async(
        call.ctx, opportunity_id, stage=body.stage, reason=body.reason,
        competitor=body.competitor, expected_version=call.expected_version,
        guard=_acting(call, opportunity_id),
        guard_reads_store=visibility_reads_store(call.caller))
    probability = sales.opportunities.probabilities[Stage(body.stage)]
    return StageChanged(position=result.position, version=result.version, stage=body.stage,
                        probability=probability)


@router.post("/{opportunity_id}/evaluation")
def evaluate(opportunity_id: OpportunityId, body: EvaluationBody, call: CommandDep) -> Evaluated:
    """Score budget, need, authority and competition (0..10): a priority and a win estimate."""
    result = call.services.sales.opportunities.evaluate(
        call.ctx, opportunity_id, budget=body.budget, need=body.need, authority=body.authority,
        competition=body.competition, guard=_acting(call, opportunity_id))
    evaluated = result.events[0]
    return Evaluated(position=result.position, version=result.version,
                     priority=evaluated.priority,  # type: ignore[attr-defined]
                     win_probability=evaluated.win_probability)  # type: ignore[attr-defined]


@router.post("/{opportunity_id}/amount")
def change_amount(opportunity_id: OpportunityId, body: AmountChange,
                  call: VersionedCommandDep) -> Versioned:
    result = call.services.sales.opportunities.change_amount(
        call.ctx, opportunity_id, amount=body.amount, expected_version=call.expected_version,
        guard=_acting(call, opportunity_id))
    return Versioned.of(result)


@router.post("/{opportunity_id}/close-date")
def change_close_date(opportunity_id: OpportunityId, body: CloseDateChange,
                      call: CommandDep) -> Versioned:
    result = call.services.sales.opportunities.change_close_date(
        call.ctx, opportunity_id, expected_close=body.expected_close,
        guard=_acting(call, opportunity_id))
    return Versioned.of(result)


@router.post("/{opportunity_id}/quotes", status_code=201)
def issue_quote(opportunity_id: OpportunityId, body: QuoteCreate,
                call: CommandDep) -> QuoteIssued:
    """Price the lines in the opportunity's currency by the price list of the customer's
    region (else the base price, in EUR), and the best of grade discount, volume break and
    promotion valid today; record the quote with the rule behind each price. A line nothing
    prices in that currency: 409 `rule_violation` naming `lines.<i>.sku`."""
    quote_id = body.quote_id or str(uuid4())
    result = call.services.sales.opportunities.issue_quote(
        call.ctx, opportunity_id, quote_id=quote_id,
        lines=[(ln.sku, ln.quantity) for ln in body.lines], valid_until=body.valid_until,
        guard=_acting(call, opportunity_id))
    issued = result.events[0]
    lines = [PricedLinePublic(sku=ln.sku, quantity=ln.quantity, list_price=_money(ln.list_price),
                              unit_price=_money(ln.unit_price), price_rule=ln.price_rule,
                              line_total=_money(ln.line_total))
             for ln in issued.lines]  # type: ignore[attr-defined]
    return QuoteIssued(id=quote_id, lines=lines, total=_money(issued.total),  # type: ignore[attr-defined]
                       currency=issued.currency,  # type: ignore[attr-defined]
                       position=result.position, version=result.version)


@router.post("/{opportunity_id}/owner")
def change_owner(opportunity_id: OpportunityId, body: OwnerChange,
                 call: VersionedCommandDep) -> Versioned:
    """Give the opportunity to another rep (managers within their team, and admins)."""
    result = call.services.sales.opportunities.change_owner(
        call.ctx, opportunity_id, owner_id=str(body.owner_id),
        expected_version=call.expected_version,
        guard=_acting(call, opportunity_id, Ref("rep", body.owner_id, "owner_id"),
                      roles=("manager", "admin")))
    return Versioned.of(result)


@router.post("/{opportunity_id}/handover")
def advance_handover(opportunity_id: OpportunityId, body: HandOverStep,
                     call: CommandDep) -> Versioned:
    """Move the opportunity's hand-over on: pending -> introduced -> completed (the owner, or
    whoever the hand-over names to act)."""
    sales = call.services.sales
    result = sales.opportunities.advance_handover(
        call.ctx, opportunity_id, status=body.status,
        next_meeting_at=body.next_meeting_at,
        guard=may_advance_handover(call.caller, sales, f"opportunity {opportunity_id}"))
    return Versioned.of(result)


@router.post("/{opportunity_id}/interactions")
def log_interaction(opportunity_id: OpportunityId, body: Interaction,
                    call: CommandDep) -> Versioned:
    """Record a call, meeting, email ... about the deal (its `last_contact_at` in the lists;
    stuck deals by `no_contact_days`). Only an open deal takes new activities."""
    result = call.services.sales.opportunities.log_interaction(
        call.ctx, opportunity_id, interaction_id=body.interaction_id or str(uuid4()),
        kind=body.kind, notes=body.notes, outcome=body.outcome,
        guard=_acting(call, opportunity_id))
    return Versioned.of(result)


@router.post("/{opportunity_id}/follow-ups")
def schedule_follow_up(opportunity_id: OpportunityId, body: FollowUp,
                       call: CommandDep) -> Versioned:
    """Schedule a follow-up on an open deal (it shows in `GET /v1/activities/follow-ups`)."""
    result = call.services.sales.opportunities.schedule_follow_up(
        call.ctx, opportunity_id, follow_up_id=body.follow_up_id or str(uuid4()), due=body.due,
        note=body.note, guard=_acting(call, opportunity_id))
    return Versioned.of(result)


@router.post("/{opportunity_id}/follow-ups/{follow_up_id}/complete")
def complete_follow_up(opportunity_id: OpportunityId, follow_up_id: FollowUpId,
                       body: FollowUpDone, call: CommandDep) -> Versioned:
    """Complete a follow-up, also once the deal is closed."""
    result = call.services.sales.opportunities.complete_follow_up(
        call.ctx, opportunity_id, follow_up_id=follow_up_id, outcome=body.outcome,
        guard=_acting(call, opportunity_id))
    return Versioned.of(result)
