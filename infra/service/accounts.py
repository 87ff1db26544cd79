"""Accounts: customers, their contacts, classification, grade, activities and owner."""

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from domain import account, activities
from domain.catalog import AGGREGATES
from domain.errors import NotFoundError
from domain.events import Command, Event
from infra.eventstore.ids import new_stream_id, parse_id
from infra.eventstore.store import Loaded
from infra.service.commands import CommandBus, CommandContext, CommandResult, Deferred, Guard
from infra.service.context import as_earlier_activity
from infra.service.leads import unclaimed_keys
from infra.service.reps import Reps

ACCOUNT = AGGREGATES[account.STREAM]


class Accounts:
    def __init__(self, bus: CommandBus, reps: Reps) -> None:
        self.bus, self.reps = bus, reps

    def get(self, account_id: str | UUID) -> account.Account:
        return self.find(account_id).state  # type: ignore[no-any-return]

    def find(self, account_id: str | UUID) -> Loaded:
        """The account now, with its version; unknown: ``NotFoundError``."""
        loaded = self.bus.load(ACCOUNT, parse_id(str(account_id), "account_id"))
        if loaded.state is None:
            raise NotFoundError(f"account {account_id} not found")
        return loaded

    def open(self, ctx: CommandContext, *, name: str, region: str, owner_id: str,
             industry: str | None = None, size: int | None = None,
             account_id: UUID | None = None) -> CommandResult:
        stream_id = account_id or new_stream_id(account.STREAM, ctx.idempotency_key)
        command = account.OpenAccount(str(stream_id), name, region, self.reps.ref(owner_id),
                                      industry, size)
        return self.bus.handle(ACCOUNT, stream_id, command, ctx)

    def add_contact(self, ctx: CommandContext, account_id: str, *, contact_id: str, name: str,
                    email: str, phone: str | None = None, role: str | None = None,
                    preferences: Sequence[str] = (), source_lead_id: str | None = None,
                    guard: Guard | None = None) -> CommandResult:
        stream_id = parse_id(account_id, "account_id")
        command = account.AddContact(contact_id, name, email, phone, role, tuple(preferences),
                                     source_lead_id)

        def claims(events: Sequence[Event]) -> list[tuple[str, str]]:
            keys = [k for e in events for k in getattr(e, "duplicate_keys", ())]
            return unclaimed_keys(events, contact_id, self.bus.find_claims(keys))

        return self.bus.handle(ACCOUNT, stream_id, command, ctx, guard, claims=claims)

    def change_contact(self, ctx: CommandContext, account_id: str, *, contact_id: str, name: str,
                       email: str, phone: str | None = None, role: str | None = None,
                       preferences: Sequence[str] = (),
                       guard: Guard | None = None) -> CommandResult:
        command = account.ChangeContact(contact_id, name, email, phone, role, tuple(preferences))
        return self._handle(ctx, account_id, command, guard)

    def remove_contact(self, ctx: CommandContext, account_id: str, *, contact_id: str,
                       guard: Guard | None = None) -> CommandResult:
        return self._handle(ctx, account_id, account.RemoveContact(contact_id), guard)

    def classify(self, ctx: CommandContext, account_id: str, *, segment: str,
                 potential: str, guard: Guard | None = None) -> CommandResult:
        return self._handle(ctx, account_id, account.ClassifyAccount(segment, potential), guard)

    def grade(self, ctx: CommandContext, account_id: str, *, grade: str,
              guard: Guard | None = None) -> CommandResult:
        return self._handle(ctx, account_id, account.GradeAccount(grade), guard)

    def log_interaction(self, ctx: CommandContext, account_id: str, *, interaction_id: str,
                        kind: str, notes: str = "", outcome: str | None = None,
                        contact_id: str | None = None,
                        guard: Guard | None = None) -> CommandResult:
        command = activities.LogInteraction(interaction_id, kind, notes, outcome, contact_id)
        return self._handle(ctx, account_id, command, guard,
                            as_earlier_activity("Account", command))

    def schedule_follow_up(self, ctx: CommandContext, account_id: str, *, follow_up_id: str,
                           due: date, note: str = "", guard: Guard | None = None) -> CommandResult:
        command = activities.ScheduleFollowUp(follow_up_id, due, ctx.now.date(), note)
        return self._handle(ctx, account_id, command, guard,
                            as_earlier_activity("Account", command))

    def complete_follow_up(self, ctx: CommandContext, account_id: str, *, follow_up_id: str,
                           outcome: str | None = None, guard: Guard | None = None) -> CommandResult:
        command = activities.CompleteFollowUp(follow_up_id, outcome)
        return self._handle(ctx, account_id, command, guard,
                            as_earlier_activity("Account", command))

    def change_owner(self, ctx: CommandContext, account_id: str, *, owner_id: str,
                     expected_version: int | None = None,
                     guard: Guard | None = None) -> CommandResult:
        command = Deferred(lambda _: account.ChangeAccountOwner(self.reps.ref(owner_id)))
        return self.bus.handle(ACCOUNT, parse_id(account_id, "account_id"), command, ctx, guard,
                               expected_version=expected_version)

    def advance_handover(self, ctx: CommandContext, account_id: str, *, status: str,
                         next_meeting_at: datetime | None = None,
                         guard: Guard | None = None) -> CommandResult:
        command = account.AdvanceAccountHandOver(status, next_meeting_at)
        return self._handle(ctx, account_id, command, guard)

    def _handle(self, ctx: CommandContext, account_id: str, command: Command,
                guard: Guard | None, request: object = None) -> CommandResult:
        return self.bus.handle(ACCOUNT, parse_id(account_id, "account_id"), command, ctx, guard,
                               request=request)
