"""Lead conversion: Lead -> (new or existing) Account + Contact + Opportunity.

Step 1 records ``LeadConverted`` with the ids of everything it will create (derived from
the lead id), which also closes the lead. Steps 2-4 create the account, the contact and
the opportunity if they do not exist yet. Re-running the flow resumes after the last
step that was stored.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from domain import account, lead
from domain.errors import NotFoundError, RuleViolationError
from infra.eventstore.ids import canonical_id, derived_id, parse_id
from infra.eventstore.store import Loaded
from infra.service.accounts import ACCOUNT, Accounts
from infra.service.commands import CommandBus, CommandContext, Deferred, Guard
from infra.service.leads import LEAD, Leads
from infra.service.opportunities import Opportunities

DEFAULT_CYCLE = timedelta(days=90)
DEFAULT_AMOUNT = Decimal("10000")


@dataclass(frozen=True)
class Conversion:
    lead_id: str
    account_id: str
    contact_id: str
    opportunity_id: str
    position: int


class ConversionFlow:
    def __init__(self, bus: CommandBus, leads: Leads, accounts: Accounts,
                 opportunities: Opportunities) -> None:
        self.bus, self.leads, self.accounts, self.opportunities = bus, leads, accounts, opportunities

    def convert(self, ctx: CommandContext, lead_id: str, *, account_id: str | None = None,
                opportunity_name: str | None = None, amount: Decimal = DEFAULT_AMOUNT,
                expected_close: date | None = None, currency: str = "EUR",
                guard: Guard | None = None) -> Conversion:
        """Step 1 on the lead as decided on (``guard``: whether the caller may act on it),
        then the rest of the flow."""
        stream_id = parse_id(lead_id, "lead_id")
        if account_id is not None:
            account_id = canonical_id(account_id, "account_id")

        def conversion(loaded: Loaded) -> lead.ConvertLead:
            if account_id is not None:
                self.accounts.get(account_id)  # joining an account that must exist
            source: lead.Lead | None = loaded.state
            if source is None:
                raise NotFoundError(f"lead {lead_id} not found")
            target = UUID(account_id) if account_id else derived_id(stream_id, "account")
            interests = ", ".join(source.profile.interests) or "first deal"
            return lead.ConvertLead(
                str(target), str(derived_id(stream_id, "contact")),
                str(derived_id(stream_id, "opportunity")), account_id is not None,
                opportunity_name or f"{source.company}: {interests}", amount,
                expected_close or ctx.now.date() + DEFAULT_CYCLE, currency)

        result = self.bus.handle(LEAD, stream_id, Deferred(conversion), ctx, guard)
        return self.complete(ctx.caused_by(result.event_ids[-1]), lead_id)

    def complete(self, ctx: CommandContext, lead_id: str) -> Conversion:
        """Steps 2-4; each is skipped when already stored."""
        converted = self.leads.get(lead_id)
        if converted.conversion is None:
            raise RuleViolationError("lead_id", f"lead {lead_id} is not converted")
        c = converted.conversion
        if not c.joined_existing_account:
            self._ensure_account(ctx, converted, c.account_id, converted.owner_id or "")
        self._ensure_contact(ctx, converted, c)
        position = self._ensure_opportunity(ctx, converted, c)
        return Conversion(lead_id, c.account_id, c.contact_id, c.opportunity_id, position)

    def _ensure_account(self, ctx: CommandContext, source: lead.Lead, account_id: str,
                        owner: str) -> None:
        if self.bus.load(ACCOUNT, UUID(account_id)).state is not None:
            return
        self.accounts.open(ctx, name=source.company, region=source.profile.region or "unassigned",
                           owner_id=self._active_owner(owner), industry=source.profile.industry,
                           size=source.profile.company_size, account_id=UUID(account_id))

    def _ensure_contact(self, ctx: CommandContext, source: lead.Lead,
                        c: lead.LeadConverted) -> None:
        history = self.bus.history(UUID(c.account_id))
        if any(isinstance(r.event, account.ContactAdded) and r.event.contact_id == c.contact_id
               for r in history):
            return  # added before (perhaps removed since): never add it twice
        self.accounts.add_contact(ctx, c.account_id, contact_id=c.contact_id, name=source.person,
                                  email=source.email, phone=source.phone,
                                  source_lead_id=source.id)

    def _ensure_opportunity(self, ctx: CommandContext, source: lead.Lead,
                            c: lead.LeadConverted) -> int:
        if self.bus.history(UUID(c.opportunity_id)):
            return self.bus.max_position()
        result = self.opportunities.open(
            ctx, account_id=c.account_id, owner_id=self._active_owner(source.owner_id or ""),
            name=c.opportunity_name, amount=c.amount, expected_close=c.expected_close,
            currency=c.currency, products=source.profile.interests, source_lead_id=source.id,
            opportunity_id=UUID(c.opportunity_id))
        return result.position

    def _active_owner(self, owner_id: str) -> str:
        """If the lead's owner departed while the flow was interrupted, their successor."""
        rep = self.leads.reps.get(owner_id)
        while not rep.active and rep.successor_id:
            rep = self.leads.reps.get(rep.successor_id)
        return rep.id
