"""Leads: capture with duplicate detection, scoring, distribution, nurturing, qualification."""

import asyncio
from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from domain import activities, lead
from domain.catalog import AGGREGATES
from domain.dedup import duplicate_keys
from domain.distribution import DistributionRule, least_loaded, round_robin
from domain.errors import NotFoundError, ValidationError
from domain.events import Event
from domain.scoring import DEFAULT_MODEL, ScoringModel
from domain.values import RepRef
from infra.eventstore.ids import canonical_id, new_stream_id, parse_id
from infra.eventstore.store import Loaded
from infra.service.campaigns import CAMPAIGN
from infra.service.commands import CommandBus, CommandContext, CommandResult, Deferred, Guard, Unit, Work
from infra.service.context import as_earlier_activity
from infra.service.directory import Directory
from infra.service.reps import Reps

LEAD = AGGREGATES[lead.STREAM]


def unclaimed_keys(events: Sequence[Event], record_id: str,
                   claimed: dict[str, str]) -> list[tuple[str, str]]:
    """The duplicate keys of a new lead or contact that nobody holds yet."""
    keys = [k for e in events for k in getattr(e, "duplicate_keys", ())]
    return [(k, record_id) for k in dict.fromkeys(keys) if k not in claimed]


class Leads:
    def __init__(self, bus: CommandBus, reps: Reps, directory: Directory,
                 model: ScoringModel = DEFAULT_MODEL) -> None:
        self.bus, self.reps, self.directory, self.model = bus, reps, directory, model

    def get(self, lead_id: str | UUID) -> lead.Lead:
        state = self.find(lead_id).state
        return state  # type: ignore[no-any-return]

    def find(self, lead_id: str | UUID) -> Loaded:
        """The lead now, with its version; unknown: ``NotFoundError``."""
        loaded = self.bus.load(LEAD, parse_id(str(lead_id), "lead_id"))
        if loaded.state is None:
            raise NotFoundError(f"lead {lead_id} not found")
        return loaded

    def capture(self, ctx: CommandContext, *, person: str, company: str, email: str,
                channel: str, phone: str | None = None, industry: str | None = None,
                company_size: int | None = None, region: str | None = None,
                interests: Sequence[str] = (), owner_id: str | None = None,
                campaign_id: str | None = None) -> CommandResult:
        """Flags a lead matching an existing lead or contact as its duplicate. With
        ``owner_id`` the lead is assigned to that rep in the same transaction. A
        ``campaign_id`` must name a campaign (else ``NotFoundError``, 404).

        The first attempt claims the lead's duplicate keys without looking who holds them:
        the keys are unique in the store, so a taken one fails that attempt (and only it),
        and the next, on current states, reads the holders and flags the duplicate. A new
        person, the common case, costs no read."""
        stream_id = self._new_lead_id(ctx)
        owner = self.reps.ref(owner_id) if owner_id else None
        return self.bus.handle(LEAD, stream_id, self._capturing(
            stream_id, owner, person, company, email, channel, phone, industry, company_size,
            region, interests, campaign_id), ctx)

    async def capture_async(self, ctx: CommandContext, *, person: str, company: str,
                            email: str, channel: str, phone: str | None = None,
                            industry: str | None = None, company_size: int | None = None,
                            region: str | None = None, interests: Sequence[str] = (),
                            owner_id: str | None = None,
                            campaign_id: str | None = None) -> CommandResult:
        """``capture`` for the event loop, on an id from the key ring's reserve (no I/O).
        The owner, or a reserve to refill, take one hop to a worker thread; a retried create
        (``Idempotency-Key``) goes the thread path (``CommandBus.handle_async``)."""
        reserved = self.bus.reserved_id() if ctx.idempotency_key is None else None

        def id_and_owner() -> tuple[UUID, RepRef | None]:
            return (reserved or self._new_lead_id(ctx),
                    self.reps.ref(owner_id) if owner_id else None)

        stream_id, owner = (await asyncio.to_thread(id_and_owner) if reserved is None or owner_id
                            else id_and_owner())
        return await self.bus.handle_async(LEAD, stream_id, self._capturing(
            stream_id, owner, person, company, email, channel, phone, industry, company_size,
            region, interests, campaign_id), ctx)

    def _new_lead_id(self, ctx: CommandContext) -> UUID:
        """A retried create's id follows from its ``Idempotency-Key``; a new lead's comes from
        the key ring's reserve, its key stored already (sealing it then needs no I/O)."""
        if ctx.idempotency_key is not None:
            return new_stream_id(lead.STREAM, ctx.idempotency_key)
        return self.bus.new_id()

    def _capturing(self, stream_id: UUID, owner: RepRef | None, person: str, company: str,
                   email: str, channel: str, phone: str | None, industry: str | None,
                   company_size: int | None, region: str | None,
                   interests: Sequence[str], campaign_id: str | None = None) -> Work:
        """The capture (and assignment to ``owner``) as a unit of work; on a cached unit it
        reads nothing (the duplicate keys' holders are read on current states only; the
        campaign named is read in the unit, so a campaign unknown here is looked for in the
        store before the capture is refused)."""
        keys = duplicate_keys(person, company, email, phone)
        campaign = canonical_id(campaign_id, "campaign_id") if campaign_id else None
        request = ("capture", person, company, email, channel, phone, industry, company_size,
                   region, tuple(interests)) + ((campaign,) if campaign else ())

        def decide(unit: Unit) -> tuple[Event, ...]:
            if campaign is not None:
                unit.existing(CAMPAIGN, UUID(campaign), f"campaign {campaign}")
            claimed = self.bus.find_claims(keys) if unit.fresh else {}
            others = [claimed[k] for k in keys if claimed.get(k, str(stream_id)) != str(stream_id)]
            command = lead.CaptureLead(str(stream_id), channel, person, company, email, phone,
                                       industry, company_size, region, tuple(interests),
                                       others[0] if others else None, self.model, campaign)
            events = unit.decide(LEAD, stream_id, command, request=request, claims=lambda
                                 made: unclaimed_keys(made, str(stream_id), claimed))
            if owner is not None:
                events += unit.decide(LEAD, stream_id,
                                      lead.AssignLead(owner, DistributionRule.MANUAL))
            return tuple(events)

        return Work(decide, request)

    def record_engagement(self, ctx: CommandContext, lead_id: str, *, kind: str,
                          count: int = 1, guard: Guard | None = None) -> CommandResult:
        command = lead.RecordEngagement(kind, count, self.model)
        return self.bus.handle(LEAD, parse_id(lead_id, "lead_id"), command, ctx, guard)

    def assign(self, ctx: CommandContext, lead_id: str, *, rep_id: str,
               expected_version: int | None = None, guard: Guard | None = None) -> CommandResult:
        command = Deferred(lambda _: lead.AssignLead(self.reps.ref(rep_id),
                                                     DistributionRule.MANUAL))
        return self.bus.handle(LEAD, parse_id(lead_id, "lead_id"), command, ctx, guard,
                               expected_version=expected_version)

    def distribute(self, ctx: CommandContext, lead_id: str, *,
                   rule: str = DistributionRule.ROUND_ROBIN,
                   team: str | None = None, guard: Guard | None = None) -> CommandResult:
        """Assigns by rule among the active reps of the lead's territory (of ``team`` only,
        if given: a manager distributes within their team)."""
        stream_id = parse_id(lead_id, "lead_id")

        def command(loaded: Loaded) -> lead.AssignLead:
            if loaded.state is None:
                raise NotFoundError(f"lead {lead_id} not found")
            region = loaded.state.profile.region
            return lead.AssignLead(self.reps.ref(self._choose(rule, region, team)), rule)

        return self.bus.handle(LEAD, stream_id, command, ctx, guard)

    def _choose(self, rule: str, region: str | None, team: str | None) -> str:
        candidates = (self.directory.active_reps_in(region, team)
                      or self.directory.active_reps_in(None, team))
        if rule == DistributionRule.ROUND_ROBIN:
            turns = self.directory.state.round_robin_counts[region or ""]
            return round_robin(candidates, turns)
        if rule == DistributionRule.LEAST_LOADED:
            return least_loaded(self.directory.open_lead_counts(candidates))
        raise ValidationError("rule", f"{rule!r} is not round_robin or least_loaded")

    def log_interaction(self, ctx: CommandContext, lead_id: str, *, interaction_id: str,
                        kind: str, notes: str = "", outcome: str | None = None,
                        guard: Guard | None = None) -> CommandResult:
        command = activities.LogInteraction(interaction_id, kind, notes, outcome)
        return self.bus.handle(LEAD, parse_id(lead_id, "lead_id"), command, ctx, guard,
                               request=as_earlier_activity("Lead", command))

    def schedule_follow_up(self, ctx: CommandContext, lead_id: str, *, follow_up_id: str,
                           due: date, note: str = "", guard: Guard | None = None) -> CommandResult:
        command = activities.ScheduleFollowUp(follow_up_id, due, ctx.now.date(), note)
        return self.bus.handle(LEAD, parse_id(lead_id, "lead_id"), command, ctx, guard,
                               request=as_earlier_activity("Lead", command))

    def complete_follow_up(self, ctx: CommandContext, lead_id: str, *, follow_up_id: str,
                           outcome: str | None = None, guard: Guard | None = None) -> CommandResult:
        command = activities.CompleteFollowUp(follow_up_id, outcome)
        return self.bus.handle(LEAD, parse_id(lead_id, "lead_id"), command, ctx, guard,
                               request=as_earlier_activity("Lead", command))

    def qualify(self, ctx: CommandContext, lead_id: str,
                guard: Guard | None = None) -> CommandResult:
        return self.bus.handle(LEAD, parse_id(lead_id, "lead_id"), lead.QualifyLead(), ctx,
                               guard)

    def disqualify(self, ctx: CommandContext, lead_id: str, *, reason: str,
                   guard: Guard | None = None) -> CommandResult:
        return self.bus.handle(LEAD, parse_id(lead_id, "lead_id"),
                               lead.DisqualifyLead(reason), ctx, guard)

    def advance_handover(self, ctx: CommandContext, lead_id: str, *, status: str,
                         next_meeting_at: datetime | None = None,
                         guard: Guard | None = None) -> CommandResult:
        return self.bus.handle(LEAD, parse_id(lead_id, "lead_id"),
                               lead.AdvanceLeadHandOver(status, next_meeting_at), ctx,
                               guard)
