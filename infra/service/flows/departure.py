"""Rep departure: at once, or in steps (notice, plan, approval, execution on the day).

At once (``depart``): step 1 records ``RepDeparted`` (from then on nothing can be assigned
to the rep); step 2 hands over each open opportunity (tier by its probability), then each
account (following its opportunities), then each lead (upper tier), naming who must act and
by when. A hand-over of an item no longer owned by the departing rep is a no-op, so
re-running the flow completes an interrupted one and sweeps up anything assigned to the rep
in a race with the departure.

In steps: ``give_notice`` records the effective date and the successor of everything the
plan does not give someone else (default: the rep's manager); ``plan`` lets the manager
split the funnel over several successors; ``approve`` approves it; on the effective date
(``execute_due``, run by the flow runner's timer, or at once when approving a notice whose
day has come) ``RepDeparted`` is recorded and step 2 hands each item to its planned
successor.
"""

import logging
from collections.abc import Sequence
from datetime import date
from uuid import UUID

from domain import account, lead, opportunity, rep
from domain.catalog import AggregateType
from domain.errors import DomainError, NotFoundError, RuleViolationError
from domain.events import Command
from domain.handover import Departure, OpenItem, PlannedItem, plan_departure
from domain.values import RepRef
from infra.eventstore.ids import parse_id
from infra.eventstore.store import Loaded
from infra.service.accounts import ACCOUNT
from infra.service.commands import CommandBus, CommandContext, CommandResult, Deferred, Guard
from infra.service.directory import Directory
from infra.service.leads import LEAD
from infra.service.opportunities import OPPORTUNITY
from infra.service.reps import REP, Reps

log = logging.getLogger(__name__)


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
        return self._then_hand_over(ctx, rep_id, departed)

    # --- in steps -------------------------------------------------------------------------
    def give_notice(self, ctx: CommandContext, rep_id: str, *, effective_date: date,
                    successor_id: str | None = None, expected_version: int | None = None,
                    guard: Guard | None = None) -> CommandResult:
        """The rep leaves on ``effective_date``; ``successor_id`` (default: the rep's
        manager) takes whatever the plan gives no one else."""

        def notice(loaded: Loaded) -> rep.GiveNotice:
            leaving = _existing(loaded, rep_id)
            chosen = successor_id or leaving.manager_id
            if chosen is None:
                raise RuleViolationError("successor_id", "the rep has no manager to take "
                                                         "the hand-over: name a successor")
            return rep.GiveNotice(effective_date, self.reps.ref(chosen))

        return self.bus.handle(REP, parse_id(rep_id, "rep_id"), Deferred(notice), ctx, guard,
                               expected_version=expected_version)

    def plan(self, ctx: CommandContext, rep_id: str, assignments: Sequence[tuple[str, str]],
             *, expected_version: int | None = None,
             guard: Guard | None = None) -> CommandResult:
        """Replaces the plan: each (item id, successor id) pair; the rest go to the
        notice's successor. A plan changed after approval needs approving again."""

        def planned(_: Loaded) -> rep.PlanHandOver:
            open_items = frozenset(i.item_id for i in self.directory.owned_open_items(rep_id))
            pairs = tuple((item_id, self.reps.ref(successor_id))
                          for item_id, successor_id in assignments)
            return rep.PlanHandOver(pairs, open_items)

        # a plain callable: the open items may differ between a try and its retry
        return self.bus.handle(REP, parse_id(rep_id, "rep_id"), planned, ctx, guard,
                               expected_version=expected_version)

    def approve(self, ctx: CommandContext, rep_id: str, *, expected_version: int | None = None,
                guard: Guard | None = None) -> CommandResult:
        """Approves the plan; executes it at once when its effective date has come."""
        approved = self.bus.handle(
            REP, parse_id(rep_id, "rep_id"),
            lambda loaded: rep.ApproveHandOver(self._successors(loaded, rep_id)), ctx, guard,
            expected_version=expected_version)
        executed = self.execute(ctx.caused_by(
            approved.event_ids[0] if approved.event_ids else ctx.causation_id), rep_id)
        if not executed.events:
            return approved
        return CommandResult(approved.stream_id, executed.version,
                             max(approved.position, executed.position),
                             approved.events + executed.events,
                             approved.event_ids + executed.event_ids)

    def execute(self, ctx: CommandContext, rep_id: str) -> CommandResult:
        """Records the departure if the rep's approved plan is due today, then hands over."""
        departed = self.bus.handle(
            REP, parse_id(rep_id, "rep_id"),
            lambda loaded: rep.ExecuteNotice(ctx.now.date(), self._successors(loaded, rep_id)),
            ctx)
        if not departed.events:
            return departed
        return self._then_hand_over(ctx, rep_id, departed)

    def execute_due(self, ctx: CommandContext) -> int:
        """Executes every approved plan whose effective date has come; returns how many.
        A plan the domain refuses (a successor who has since departed) is logged and left
        for the manager to change: the hand-over answer shows it approved and overdue."""
        done = 0
        for rep_id in self.directory.departures_due(ctx.now.date()):
            try:
                done += bool(self.execute(ctx, rep_id).events)
            except DomainError as refusal:
                log.error("departure of rep %s is due but cannot execute: %s", rep_id, refusal)
        return done

    def _successors(self, loaded: Loaded, rep_id: str) -> tuple[RepRef, ...]:
        notice = _existing(loaded, rep_id).notice
        return tuple(self.reps.ref(s) for s in (notice.successor_ids() if notice else ()))

    # --- the hand-over ----------------------------------------------------------------------
    def _then_hand_over(self, ctx: CommandContext, rep_id: str,
                        departed: CommandResult) -> CommandResult:
        if not departed.event_ids:
            return departed
        handed = self.hand_over(ctx.caused_by(departed.event_ids[0]), rep_id)
        return CommandResult(departed.stream_id, departed.version,
                             max(departed.position, handed), departed.events, departed.event_ids)

    def hand_over(self, ctx: CommandContext, rep_id: str) -> int:
        """Hands over everything the departed rep still owns, by the plan if the departure
        was given notice of; returns the last position."""
        leaving = self.reps.get(rep_id)
        assert not leaving.active and leaving.successor_id, f"rep {rep_id} has not departed"
        departure = Departure(rep_id, leaving.successor_id, leaving.manager_id,
                              self._effective_date(rep_id))
        notice = leaving.notice
        assignments = {a.item_id: a.successor_id for a in (notice.assignments if notice else ())}
        items = [OpenItem(i.kind, i.item_id, i.account_id, i.probability)
                 for i in self.directory.owned_open_items(rep_id)]
        successors: dict[str, RepRef] = {}
        position = 0
        for planned in plan_departure(items, departure, assignments):
            if planned.successor_id not in successors:
                successors[planned.successor_id] = self.reps.ref(planned.successor_id)
            aggregate, command = _handover_command(planned, rep_id,
                                                   successors[planned.successor_id])
            position = max(position, self._run(aggregate, planned.item.item_id, command, ctx))
        return position

    def _run(self, aggregate: AggregateType, item_id: str, command: Command,
             ctx: CommandContext) -> int:
        return self.bus.handle(aggregate, UUID(item_id), command, ctx).position

    def _effective_date(self, rep_id: str) -> date:
        for recorded in self.bus.history(UUID(rep_id)):
            if isinstance(recorded.event, rep.RepDeparted):
                return recorded.event.effective_date
        raise AssertionError(f"rep {rep_id} has no departure")


def _handover_command(planned: PlannedItem, rep_id: str,
                      successor: RepRef) -> tuple[AggregateType, Command]:
    kind, plan = planned.item.kind, planned.plan
    if kind == "opportunity":
        return OPPORTUNITY, opportunity.HandOverOpportunity(rep_id, successor, plan)
    if kind == "account":
        return ACCOUNT, account.HandOverAccount(rep_id, successor, plan)
    return LEAD, lead.HandOverLead(rep_id, successor, plan)


def _existing(loaded: Loaded, rep_id: str) -> rep.Rep:
    if loaded.state is None:
        raise NotFoundError(f"rep {rep_id} not found")
    return loaded.state  # type: ignore[no-any-return]
