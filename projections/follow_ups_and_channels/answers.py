"""Follow-ups due and channel figures, as ``api.routers.insights`` returns them."""

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from projections.answers import PageInfo


class FollowUpDue(BaseModel):
    record_kind: str = Field(description="lead, account or opportunity")
    record_id: str
    record_name: str | None = Field(None, description="A lead's person and company, an "
                                                      "account's or a deal's name")
    follow_up_id: str
    owner_id: str | None
    owner_name: str | None = None
    due: date
    note: str | None
    due_today: bool
    overdue: bool


class FollowUps(PageInfo):
    today: date
    items: list[FollowUpDue] = Field(description="Soonest due first")


class ChannelRevenue(BaseModel):
    currency: str
    won_deals: int
    won_revenue: Decimal


class ChannelCost(BaseModel):
    currency: str
    cost: Decimal = Field(description="The sum of the channel's campaigns' costs in `currency`")
    cost_per_lead: Decimal | None = Field(description="cost / the channel's leads")
    cost_per_won_deal: Decimal | None = Field(description="cost / the channel's won deals")


class ChannelFigures(BaseModel):
    channel: str
    leads: int
    duplicates: int
    qualified: int
    converted: int
    won_deals: int
    won_revenue: Decimal | None = Field(description="In `currency`; null when the won deals "
                                                    "are in several currencies")
    cost: Decimal | None = Field(description="The sum of the channel's campaigns' costs, in "
                                             "`cost_currency`; null when no campaign of the "
                                             "channel has a cost, or when they are in several "
                                             "currencies (then see `costs`)")
    cost_per_lead: Decimal | None = Field(description="cost / leads (null without leads)")
    cost_per_won_deal: Decimal | None = Field(description="cost / won_deals (null without "
                                                          "a won deal)")
    cost_currency: str | None = Field(None, description="The one currency of the costs")
    costs: list[ChannelCost] = Field([], description="Cost figures per currency of the "
                                                     "campaigns' costs")
    currency: str | None = Field(None, description="The one currency of the won deals")
    by_currency: list[ChannelRevenue] = Field([], description="Won revenue per currency")


class Channels(BaseModel):
    items: list[ChannelFigures] = Field(description="By channel")
