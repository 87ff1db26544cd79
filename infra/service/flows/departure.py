"""Rep departure: record it, then hand every open item over to the successor by policy.

Step 1 records ``RepDeparted`` (from then on nothing can be assigned to the rep).
Step 2 hands over each open opportunity (tier by its probability), then each account
(following its opportunities), then each lead (upper tier), to the successor, naming
who must act and by when. A hand-over of an item no longer owned by the departing rep
is a no-op, so re-running the flow completes an interrupted one and sweeps up anything
assigned to the rep in a race with the departure.
"""

from collections import defaultdict
from datetime import date
from uuid import UUID

from domain import account, lead, opportunity, rep
from domain.catalog import AggregateType
from domain.events import Command
from domain.handover import Departure, account_tier, plan_handover
from domain.stages import tier_of
from domain.values import Tier
from infra.eventstore.ids import parse_id
from infra.service.accounts import ACCOUNT
from infra.service.commands import CommandBus, CommandContext, CommandResult, Deferred, Guard
from infra.service.directory import Directory, Item
from infra.service.leads import LEAD
from infra.service.opportunities import OPPORTUNITY
from infra.service.reps import REP, Reps


class DepartureFlow:
    def __init__(self, bus: CommandBus, reps: Reps, directory: Directory) -> None:
        self.bus, self.reps, self.directory = bus, reps, directory

    def depart(self, ctx: CommandContext, rep_id: str, *, successor_id: str,
               effective_date: date | None = None, expected_version: int | None = None,
               guard: Guard | None = None) -> CommandResult:
        command = Deferred(lambda _: rep.DepartRep(self.reps.ref(successor_id),
                                                   effective_date or ctx.now.date()))
        departed = self.bus.handle(REP, parse_id(rep_id, "rep_id"), command, ctx, guard,
                                   expected_version=expected_version)
        handed = self.hand_over(ctx.caused_by(departed.event_ids[0]), rep_id)
        return CommandResult(departed.stream_id, departed.version,
                             max(departed.position, handed), departed.events, departed.event_ids)

    def hand_over(self, ctx: CommandContext, rep_id: str) -> int:
        """Hands over everything the departed rep still owns; returns the last position."""
        leaving = self.reps.get(rep_id)
        assert not leaving.active and leaving.successor_id, f"rep {rep_id} has not departed"
        successor = self.reps.ref(leaving.successor_id)
        departure = Departure(rep_id, leaving.successor_id, leaving.manager_id,
                              self._effective_date(rep_id))
        items = self.directory.owned_open_items(rep_id)
        position = 0
        opportunity_tiers: dict[str, list[Tier]] = defaultdict(list)
        for item in (i for i in items if i.kind == "opportunity"):
            tier = tier_of(item.probability)
            opportunity_tiers[item.account_id or ""].append(tier)
            handover: Command = opportunity.HandOverOpportunity(rep_id, successor,
                                                                plan_handover(tier, departure))
            position = max(position, self._run(OPPORTUNITY, item, handover, ctx))
        for item in (i for i in items if i.kind == "account"):
            plan = plan_handover(account_tier(opportunity_tiers[item.item_id]), departure)
            handover = account.HandOverAccount(rep_id, successor, plan)
            position = max(position, self._run(ACCOUNT, item, handover, ctx))
        for item in (i for i in items if i.kind == "lead"):
            handover = lead.HandOverLead(rep_id, successor, plan_handover(Tier.UPPER, departure))
            position = max(position, self._run(LEAD, item, handover, ctx))
        return position

    def _run(self, aggregate: AggregateType, item: Item, command: Command,
             ctx: CommandContext) -> int:
        return self.bus.handle(aggregate, UUID(item.item_id), command, ctx).position

    def _effective_date(self, rep_id: str) -> date:
        for recorded in self.bus.history(UUID(rep_id)):
            if isinstance(recorded.event, rep.RepDeparted):
                return recorded.event.effective_date
        raise AssertionError(f"rep {rep_id} has no departure")
