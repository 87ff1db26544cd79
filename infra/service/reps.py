"""Reps: hiring, moves, quotas and commission plans (departure is a flow: infra.service.flows)."""

from datetime import date
from decimal import Decimal
from uuid import UUID

from domain import rep
from domain.catalog import AGGREGATES
from domain.errors import NotFoundError
from domain.values import RepRef
from infra.eventstore.ids import new_stream_id, parse_id
from infra.eventstore.store import Loaded
from infra.service.commands import CommandBus, CommandContext, CommandResult, Deferred, Guard

REP = AGGREGATES[rep.STREAM]


class Reps:
    def __init__(self, bus: CommandBus) -> None:
        self.bus = bus

    def get(self, rep_id: str | UUID) -> rep.Rep:
        return self.find(rep_id).state  # type: ignore[no-any-return]

    def find(self, rep_id: str | UUID) -> Loaded:
        """The rep now, with their version; unknown: ``NotFoundError``."""
        loaded = self.bus.load(REP, parse_id(str(rep_id), "rep_id"))
        if loaded.state is None:
            raise NotFoundError(f"rep {rep_id} not found")
        return loaded

    def ref(self, rep_id: str | UUID) -> RepRef:
        return self.get(rep_id).ref()

    def hire(self, ctx: CommandContext, *, name: str, email: str, role: str, team: str,
             region: str, manager_id: str | None = None) -> CommandResult:
        stream_id = new_stream_id(rep.STREAM, ctx.idempotency_key)
        manager = self.ref(manager_id) if manager_id else None
        command = rep.HireRep(str(stream_id), name, email, role, team, region, manager)
        return self.bus.handle(REP, stream_id, command, ctx)

    def move(self, ctx: CommandContext, rep_id: str, *, team: str, region: str,
             manager_id: str | None = None, expected_version: int | None = None,
             guard: Guard | None = None) -> CommandResult:
        command = Deferred(lambda _: rep.MoveRep(team, region,
                                                 self.ref(manager_id) if manager_id else None))
        return self.bus.handle(REP, parse_id(rep_id, "rep_id"), command, ctx, guard,
                               expected_version=expected_version)

    def set_quota(self, ctx: CommandContext, rep_id: str, *, period: str, amount: Decimal,
                  expected_version: int | None = None,
                  guard: Guard | None = None) -> CommandResult:
        return self.bus.handle(REP, parse_id(rep_id, "rep_id"), rep.SetQuota(period, amount),
                               ctx, guard, expected_version=expected_version)

    def set_commission_plan(self, ctx: CommandContext, rep_id: str, *, rate: Decimal,
                            accelerated_rate: Decimal | None = None,
                            effective_from: date | None = None,
                            expected_version: int | None = None,
                            guard: Guard | None = None) -> CommandResult:
        """The plan for deals closed from ``effective_from`` (default: the day it is
        recorded) on, until a plan effective later."""
        command = rep.SetCommissionPlan(rate, accelerated_rate,
                                        effective_from or ctx.now.date())
        return self.bus.handle(REP, parse_id(rep_id, "rep_id"), command, ctx, guard,
                               expected_version=expected_version)
