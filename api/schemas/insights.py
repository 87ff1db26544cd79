"""The request bodies and answers of ``api.routers.insights``."""

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from projections.answers import PageInfo


class FollowUpDue(BaseModel):
    record_kind: str = Field(description="lead or account")
    record_id: str
    follow_up_id: str
    owner_id: str | None
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


class ChannelFigures(BaseModel):
    channel: str
    leads: int
    duplicates: int
    qualified: int
    converted: int
    won_deals: int
    won_revenue: Decimal | None = Field(description="In `currency`; null when the won deals "
                                                    "are in several currencies")
    cost: Decimal | None
    cost_per_lead: Decimal | None
    cost_per_won_deal: Decimal | None
    currency: str | None = Field(None, description="The one currency of the won deals")
    by_currency: list[ChannelRevenue] = Field([], description="Won revenue per currency")


class Channels(BaseModel):
    items: list[ChannelFigures] = Field(description="By channel")


class SalesRow(BaseModel):
    period: str = Field(description="2026-11-02, 2026-W45, 2026-11 or 2026")
    key: str | None = Field(description="The region, SKU or rep; null without `by`")
    currency: str | None = Field(None, description="The orders' currency: a row per period, "
                                                   "key and currency, never a sum over currencies")
    orders: int
    revenue: Decimal


class SalesReport(PageInfo):
    period: str
    by: str | None
    items: list[SalesRow] = Field(description="By period, then key, then currency")


class ChurnRevenue(BaseModel):
    currency: str
    orders: int
    revenue: Decimal


class ChurnedAccount(BaseModel):
    account_id: str
    name: str | None
    region: str | None
    owner_id: str | None
    first_order_on: date
    last_order_on: date
    orders: int
    revenue: Decimal | None = Field(description="In `currency`; null when the account's orders "
                                                "are in several currencies")
    currency: str | None = Field(None, description="The one currency of the orders")
    by_currency: list[ChurnRevenue] = Field([], description="Orders and revenue per currency")


class Churn(PageInfo):
    as_of: date
    months: int
    items: list[ChurnedAccount] = Field(description="Longest silent first")
