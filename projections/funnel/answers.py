"""The funnel's answers (``api.routers.funnel`` returns them)."""

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from projections.answers import PageInfo


class StageMoney(BaseModel):
    currency: str
    count: int
    amount: Decimal
    weighted_amount: Decimal


class StageSummary(BaseModel):
    stage: str
    count: int = Field(description="Deals of every currency")
    amount: Decimal | None = Field(description="In `currency`; null when the stage holds "
                                               "several currencies (see `by_currency`)")
    weighted_amount: Decimal | None = Field(description="Sum of amount x probability / 100, "
                                                        "as `amount`")
    currency: str | None = Field(None, description="The one currency of the stage's deals; "
                                                   "null when none or several")
    by_currency: list[StageMoney] = Field([], description="Figures per currency; amounts "
                                                          "of different currencies are never added")


class Funnel(BaseModel):
    stages: list[StageSummary] = Field(description="Every stage, in funnel order")
    as_of: datetime | None = Field(default=None, description="The instant the answer stood "
                                  "at (UTC); null: now")


class StageConversion(BaseModel):
    from_stage: str
    to_stage: str
    reached: int = Field(description="Deals that reached from_stage")
    rate: float | None = Field(description="Share of those that reached to_stage")


class Conversion(BaseModel):
    rates: list[StageConversion] | None = Field(
        description="Stage-to-stage conversion, company-wide only: null when the answer is "
                    "narrowed by a filter or by the caller's scope")
    won: int
    lost: int
    win_rate: float | None = Field(description="won / (won + lost); null before any close")
    average_cycle_days: float | None = Field(description="Days from opening to winning")


class StuckDeal(BaseModel):
    id: str
    name: str | None = None
    stage: str
    days_in_stage: int
    owner_id: str | None
    owner_name: str | None = None
    account_id: str | None = None
    account_name: str | None = None
    last_contact_at: datetime | None = Field(None, description="The last interaction logged "
                                                               "on the deal; null: none yet")
    days_without_contact: int | None = Field(None, description="Days since the last "
                                                               "interaction, or since opening")


class StuckDeals(PageInfo):
    as_of: datetime
    items: list[StuckDeal] = Field(description="Longest in their stage first (with "
                                               "`no_contact_days`: longest silent first)")
