"""Opportunities: opening, evaluation, stages, amounts, close dates, quotes and owner."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from domain import activities, opportunity
from domain.catalog import AGGREGATES
from domain.errors import NotFoundError
from domain.pricing import PriceRequest
from domain.stages import DEFAULT_PROBABILITIES, Stage
from infra.eventstore.ids import canonical_id, new_stream_id, parse_id
from infra.eventstore.store import Loaded
from infra.service.accounts import Accounts
from infra.service.commands import CommandBus, CommandContext, CommandResult, Deferred, Guard
from infra.service.context import CommandSource
from infra.service.prices import Prices
from infra.service.reps import Reps
from infra.service.stock import StockItems

OPPORTUNITY = AGGREGATES[opportunity.STREAM]


class Opportunities:
    def __init__(self, bus: CommandBus, reps: Reps, accounts: Accounts, stock: StockItems,
                 prices: Prices, probabilities: Mapping[Stage, int] = DEFAULT_PROBABILITIES,
                 ) -> None:
        self.bus, self.reps, self.accounts, self.stock = bus, reps, accounts, stock
        self.prices, self.probabilities = prices, probabilities

    def get(self, opportunity_id: str | UUID) -> opportunity.Opportunity:
        return self.find(opportunity_id).state  # type: ignore[no-any-return]

    def find(self, opportunity_id: str | UUID) -> Loaded:
        """The opportunity now, with its version; unknown: ``NotFoundError``."""
        loaded = self.bus.load(OPPORTUNITY, parse_id(str(opportunity_id), "opportunity_id"))
        if loaded.state is None:
            raise NotFoundError(f"opportunity {opportunity_id} not found")
        return loaded

    def open(self, ctx: CommandContext, *, account_id: str, owner_id: str, name: str,
             amount: Decimal, expected_close: date, currency: str = "EUR",
             products: Sequence[str] = (), source_lead_id: str | None = None,
             opportunity_id: UUID | None = None) -> CommandResult:
        account_id = canonical_id(account_id, "account_id")
        self.accounts.get(account_id)
        stream_id = opportunity_id or new_stream_id(opportunity.STREAM, ctx.idempotency_key)
        command = opportunity.OpenOpportunity(
            str(stream_id), account_id, self.reps.ref(owner_id), name, amount, expected_close,
            currency, tuple(products), source_lead_id, self.probabilities)
        return self.bus.handle(OPPORTUNITY, stream_id, command, ctx)

    def evaluate(self, ctx: CommandContext, opportunity_id: str, *, budget: int, need: int,
                 authority: int, competition: int, guard: Guard | None = None) -> CommandResult:
        command = opportunity.EvaluateOpportunity(budget, need, authority, competition)
        return self._handle(ctx, opportunity_id, command, guard)

    def change_stage(self, ctx: CommandContext, opportunity_id: str, *, stage: str,
                     reason: str | None = None, competitor: str | None = None,
                     expected_version: int | None = None,
                     guard: Guard | None = None) -> CommandResult:
        command = opportunity.ChangeStage(stage, reason, competitor, self.probabilities)
        return self.bus.handle(OPPORTUNITY, parse_id(opportunity_id, "opportunity_id"),
                               command, ctx, guard, expected_version=expected_version)

    async def change_stage_async(self, ctx: CommandContext, opportunity_id: str, *, stage: str,
                                 reason: str | None = None, competitor: str | None = None,
                                 expected_version: int | None = None, guard: Guard | None = None,
                                 guard_reads_store: bool = False) -> CommandResult:
        """``change_stage`` for the event loop (``CommandBus.handle_async``)."""
        command = opportunity.ChangeStage(stage, reason, competitor, self.probabilities)
        return await self.bus.handle_async(
            OPPORTUNITY, parse_id(opportunity_id, "opportunity_id"), command, ctx, guard,
            expected_version=expected_version, in_loop=not guard_reads_store)

    def change_amount(self, ctx: CommandContext, opportunity_id: str, *, amount: Decimal,
                      expected_version: int | None = None,
                      guard: Guard | None = None) -> CommandResult:
        return self.bus.handle(OPPORTUNITY, parse_id(opportunity_id, "opportunity_id"),
                               opportunity.ChangeAmount(amount), ctx, guard,
                               expected_version=expected_version)

    def change_close_date(self, ctx: CommandContext, opportunity_id: str, *,
                          expected_close: date, guard: Guard | None = None) -> CommandResult:
        return self._handle(ctx, opportunity_id, opportunity.ChangeCloseDate(expected_close),
                            guard)

    def issue_quote(self, ctx: CommandContext, opportunity_id: str, *, quote_id: str,
                    lines: Sequence[tuple[str, int]], valid_until: date,
                    guard: Guard | None = None) -> CommandResult:
        """Priced on the customer of the very opportunity the quote is decided on, in the
        opportunity's currency, by the price list of the customer's region and the
        promotions stored now."""

        def quote(loaded: Loaded) -> opportunity.IssueQuote:
            if loaded.state is None:
                raise NotFoundError(f"opportunity {opportunity_id} not found")
            customer = self.accounts.get(loaded.state.account_id)
            requests = tuple(
                PriceRequest(sku, self.stock.get(sku).base_price, quantity, customer.grade,
                             customer.region, ctx.now)
                for sku, quantity in lines)
            return opportunity.IssueQuote(quote_id, requests,
                                          self.prices.rules_now(customer.region), valid_until)

        return self._handle(ctx, opportunity_id, Deferred(quote), guard)

    def change_owner(self, ctx: CommandContext, opportunity_id: str, *, owner_id: str,
                     expected_version: int | None = None,
                     guard: Guard | None = None) -> CommandResult:
        command = Deferred(lambda _: opportunity.ChangeOpportunityOwner(self.reps.ref(owner_id)))
        return self.bus.handle(OPPORTUNITY, parse_id(opportunity_id, "opportunity_id"),
                               command, ctx, guard, expected_version=expected_version)

    def advance_handover(self, ctx: CommandContext, opportunity_id: str, *, status: str,
                         next_meeting_at: datetime | None = None,
                         guard: Guard | None = None) -> CommandResult:
        command = opportunity.AdvanceOpportunityHandOver(status, next_meeting_at)
        return self._handle(ctx, opportunity_id, command, guard)

    def log_interaction(self, ctx: CommandContext, opportunity_id: str, *, interaction_id: str,
                        kind: str, notes: str = "", outcome: str | None = None,
                        guard: Guard | None = None) -> CommandResult:
        command = activities.LogInteraction(interaction_id, kind, notes, outcome)
        return self._handle(ctx, opportunity_id, command, guard)

    def schedule_follow_up(self, ctx: CommandContext, opportunity_id: str, *,
                           follow_up_id: str, due: date, note: str = "",
                           guard: Guard | None = None) -> CommandResult:
        command = activities.ScheduleFollowUp(follow_up_id, due, ctx.now.date(), note)
        return self._handle(ctx, opportunity_id, command, guard)

    def complete_follow_up(self, ctx: CommandContext, opportunity_id: str, *,
                           follow_up_id: str, outcome: str | None = None,
                           guard: Guard | None = None) -> CommandResult:
        command = activities.CompleteFollowUp(follow_up_id, outcome)
        return self._handle(ctx, opportunity_id, command, guard)

    def _handle(self, ctx: CommandContext, opportunity_id: str, command: CommandSource,
                guard: Guard | None) -> CommandResult:
        return self.bus.handle(OPPORTUNITY, parse_id(opportunity_id, "opportunity_id"),
                               command, ctx, guard)
