"""Campaigns: registered by admins; leads name them when captured. Their figures (leads, won
deals, cost per lead and per won deal) add up everyone's leads, so they are for the roles
that read everything, like the channel figures."""

from typing import Annotated

from fastapi import APIRouter

from api.access import READ_ALL, require_role
from api.deps import CommandDep, PrincipalDep, ServicesDep, reads
from api.errors import QUERY_RESPONSES
from api.schemas import Created
from api.schemas.campaigns import CampaignCreate
from infra.readside.readstore import SqlReader
from projections.campaigns import (
    CampaignFigures,
    CampaignQueries,
    Campaigns,
    CampaignTotals,
    totals_by_currency,
)

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"], responses=QUERY_RESPONSES)


@router.post("", status_code=201)
def register(body: CampaignCreate, call: CommandDep) -> Created:
    """Register a campaign with what it cost (admins). Leads captured from it name it in
    `campaign_id`; a channel's cost is the sum of its campaigns' costs, per currency."""
    require_role(call.caller, "admin")
    result = call.services.sales.campaigns.register(
        call.ctx, name=body.name, channel=body.channel, cost=body.cost, currency=body.currency,
        starts=body.starts, ends=body.ends)
    return Created(id=str(result.stream_id), position=result.position)


@router.get("")
def campaigns(caller: PrincipalDep, services: ServicesDep,
              _: Annotated[None, reads("campaigns")]) -> Campaigns:
    """Every campaign with its leads, conversions and won deals, its cost per lead and per won
    deal (in its currency), and totals per currency of the costs (auditors, integrators,
    admins)."""
    require_role(caller, *READ_ALL)
    with services.db.reader() as conn:
        found = CampaignQueries(SqlReader(services.db, conn)).campaigns()
    return Campaigns(items=[CampaignFigures(**c) for c in found],
                     totals=[CampaignTotals(**t) for t in totals_by_currency(found)])
