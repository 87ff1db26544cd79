"""Accounts: customers, their contacts, classification, grade, activities and owner."""

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from domain import account, activities
from domain.catalog import AGGREGATES
from domain.errors import NotFoundError
from infra.eventstore.ids import new_stream_id, parse_id
from infra.service.commands import CommandBus, CommandContext, CommandResult
from infra.service.leads import unclaimed_keys
from infra.service.reps import Reps

ACCOUNT = AGGREGATES[account.STREAM]


class Accounts:
    def __init__(self, bus: CommandBus, reps: Reps) -> None:
        self.bus, self.reps = bus, reps

    def get(self, account_id: str | UUID) -> account.Account:
        state = self.bus.load(ACCOUNT, parse_id(str(account_id), "account_id")).state
        if state is None:
            raise NotFoundError(f"account {account_id} not found")
        return state  # type: ignore[no-any-return]

    def open(self, ctx: CommandContext, *, name: str, region: str, owner_id: str,
             industry: str | None = None, size: int | None = None,
             account_id: UUID | None = None) -> CommandResult:
        stream_id = account_id or new_stream_id(account.STREAM, ctx.idempotency_key)
        command = account.OpenAccount(str(stream_id), name, region, self.reps.ref(owner_id),
                                      industry, size)
        return self.bus.execute(ACCOUNT, stream_id, command, ctx)

    def add_contact(self, ctx: CommandContext, account_id: str, *, contact_id: str, name: str,
                    email: str, phone: str | None = None, role: str | None = None,
                    preferences: Sequence[str] = (),
                    source_lead_id: str | None = None) -> CommandResult:
        stream_id = parse_id(account_id, "account_id")
        command = account.AddContact(contact_id, name, email, phone, role, tuple(preferences),
                                     source_lead_id)

        def claims(events: Sequence[object]) -> list[tuple[str, str]]:
            keys = [k for e in events for k in getattr(e, "duplicate_keys", ())]
            return unclaimed_keys(events, contact_id, self.bus.store.find_claims(keys))  # type: ignore[arg-type]

        return self.bus.execute(ACCOUNT, stream_id, command, ctx, claims=claims)

    def change_contact(self, ctx: CommandContext, account_id: str, *, contact_id: str, name: str,
                       email: str, phone: str | None = None, role: str | None = None,
                       preferences: Sequence[str] = ()) -> CommandResult:
        command = account.ChangeContact(contact_id, name, email, phone, role, tuple(preferences))
        return self.bus.execute(ACCOUNT, parse_id(account_id, "account_id"), command, ctx)

    def remove_contact(self, ctx: CommandContext, account_id: str, *,
                       contact_id: str) -> CommandResult:
        return self.bus.execute(ACCOUNT, parse_id(account_id, "account_id"),
                                account.RemoveContact(contact_id), ctx)

    def classify(self, ctx: CommandContext, account_id: str, *, segment: str,
                 potential: str) -> CommandResult:
        return self.bus.execute(ACCOUNT, parse_id(account_id, "account_id"),
                                account.ClassifyAccount(segment, potential), ctx)

    def grade(self, ctx: CommandContext, account_id: str, *, grade: str) -> CommandResult:
        return self.bus.execute(ACCOUNT, parse_id(account_id, "account_id"),
                                account.GradeAccount(grade), ctx)

    def log_interaction(self, ctx: CommandContext, account_id: str, *, interaction_id: str,
                        kind: str, notes: str = "", outcome: str | None = None,
                        contact_id: str | None = None) -> CommandResult:
        command = activities.LogInteraction(interaction_id, kind, notes, outcome, contact_id)
        return self.bus.execute(ACCOUNT, parse_id(account_id, "account_id"), command, ctx)

    def schedule_follow_up(self, ctx: CommandContext, account_id: str, *, follow_up_id: str,
                           due: date, note: str = "") -> CommandResult:
        command = activities.ScheduleFollowUp(follow_up_id, due, ctx.now.date(), note)
        return self.bus.execute(ACCOUNT, parse_id(account_id, "account_id"), command, ctx)

    def complete_follow_up(self, ctx: CommandContext, account_id: str, *, follow_up_id: str,
                           outcome: str | None = None) -> CommandResult:
        command = activities.CompleteFollowUp(follow_up_id, outcome)
        return self.bus.execute(ACCOUNT, parse_id(account_id, "account_id"), command, ctx)

    def change_owner(self, ctx: CommandContext, account_id: str, *, owner_id: str,
                     expected_version: int | None = None) -> CommandResult:
        command = account.ChangeAccountOwner(self.reps.ref(owner_id))
        return self.bus.execute(ACCOUNT, parse_id(account_id, "account_id"), command, ctx,
                                expected_version)

    def advance_handover(self, ctx: CommandContext, account_id: str, *,
                         status: str) -> CommandResult:
        return self.bus.execute(ACCOUNT, parse_id(account_id, "account_id"),
                                account.AdvanceAccountHandOver(status), ctx)
