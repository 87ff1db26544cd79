"""The request bodies of ``api.routers.campaigns`` (its answers: ``projections.campaigns``)."""

from pydantic import BaseModel, ConfigDict, Field

from api.inputs import Amount, Currency, Day, Name
from api.schemas.leads import ChannelName


class CampaignCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "Hannover Messe 2027", "channel": "event", "cost": "18500.00", "currency": "EUR",
        "starts": "2027-04-12", "ends": "2027-04-16"}]})
    name: Name
    channel: ChannelName = Field(description="The lead channel it runs on")
    cost: Amount = Field(description="What it cost, in `currency`: zero or more, in cents")
    currency: Currency
    starts: Day
    ends: Day = Field(description="Not before `starts` (409 `rule_violation`)")
