"""Campaigns: registered by admins; leads name them when captured. Their figures are a query
over the ``campaigns`` read model (``GET /v1/campaigns``, in ``api.routers.insights``)."""

from fastapi import APIRouter

from api.access import require_role
from api.deps import CommandDep
from api.errors import ERROR_RESPONSES
from api.schemas import Created
from api.schemas.campaigns import CampaignCreate

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"], responses=ERROR_RESPONSES)


@router.post("", status_code=201)
def register(body: CampaignCreate, call: CommandDep) -> Created:
    """Register a campaign with what it cost (admins). Leads captured from it name it in
    `campaign_id`; a channel's cost is the sum of its campaigns' costs, per currency."""
    require_role(call.caller, "admin")
    result = call.services.sales.campaigns.register(
        call.ctx, name=body.name, channel=body.channel, cost=body.cost, currency=body.currency,
        starts=body.starts, ends=body.ends)
    return Created(id=str(result.stream_id), position=result.position)
