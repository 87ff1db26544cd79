"""Campaigns: registration; leads name them when captured (``infra.service.leads``)."""

from datetime import date
from decimal import Decimal
from uuid import UUID

from domain import campaign
from domain.catalog import AGGREGATES
from domain.errors import NotFoundError
from infra.eventstore.ids import new_stream_id, parse_id
from infra.service.commands import CommandBus, CommandContext, CommandResult

CAMPAIGN = AGGREGATES[campaign.STREAM]


class Campaigns:
    def __init__(self, bus: CommandBus) -> None:
        self.bus = bus

    def register(self, ctx: CommandContext, *, name: str, channel: str, cost: Decimal,
                 currency: str, starts: date, ends: date) -> CommandResult:
        stream_id = new_stream_id(campaign.STREAM, ctx.idempotency_key)
        command = campaign.RegisterCampaign(str(stream_id), name, channel, cost, currency,
                                            starts, ends)
        return self.bus.handle(CAMPAIGN, stream_id, command, ctx)

    def get(self, campaign_id: str | UUID) -> campaign.Campaign:
        state = self.bus.load(CAMPAIGN, parse_id(str(campaign_id), "campaign_id")).state
        if state is None:
            raise NotFoundError(f"campaign {campaign_id} not found")
        return state  # type: ignore[no-any-return]
