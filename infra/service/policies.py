"""Policies: the hand-over credit policy (``domain.policies``), in the company's one stream."""

from datetime import date
from decimal import Decimal

from domain import policies
from domain.catalog import AGGREGATES
from infra.eventstore.ids import POLICIES_ID
from infra.service.commands import CommandBus, CommandContext, CommandResult

POLICIES = AGGREGATES[policies.STREAM]


class Policies:
    def __init__(self, bus: CommandBus) -> None:
        self.bus = bus

    def set_handover_credit(self, ctx: CommandContext, *, upper: Decimal, middle: Decimal,
                            lower: Decimal, effective_from: date | None = None,
                            expected_version: int | None = None) -> CommandResult:
        """The departing rep's share of a deal won after a hand-over, per tier, for deals won
        from ``effective_from`` (default: the day it is recorded) on."""
        command = policies.SetHandOverCreditPolicy(upper, middle, lower,
                                                   effective_from or ctx.now.date())
        return self.bus.handle(POLICIES, POLICIES_ID, command, ctx,
                               expected_version=expected_version)
