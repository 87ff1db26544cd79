"""The deal intervals' answers (``api.routers.opportunities`` returns them)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field


class StageInterval(BaseModel):
    stage: str
    entered_at: datetime
    left_at: datetime | None = Field(description="Null while the deal is in this stage")
    days: int | None = Field(description="Whole days in the stage: until it left, or until "
                                         "now while it is there; null in a closed stage")


class DealStages(BaseModel):
    opportunity_id: str
    items: list[StageInterval] = Field(description="In the order the deal went through them")


class Slip(BaseModel):
    """A close date pushed later or an amount cut, as recorded."""

    opportunity_id: str
    name: str | None
    owner_id: str = Field(description="The deal's owner when the change was recorded")
    owner_name: str | None
    team: str | None = Field(description="The owner's team when the change was recorded")
    at: datetime
    actor: str | None = Field(description="Who recorded the change")
    kind: Literal["close_date_pushed", "amount_cut"]
    currency: str
    expected_close_before: date | None
    expected_close_after: date | None
    days_pushed: int | None
    amount_before: Decimal | None
    amount_after: Decimal | None


class Cut(BaseModel):
    currency: str
    amount: Decimal


class SlipTotals(BaseModel):
    deals: int = Field(description="Deals that slipped at least once")
    close_dates_pushed: int
    days_pushed: int = Field(description="All the pushes' days added up")
    amounts_cut: int
    amount_cut: list[Cut] = Field(description="Per currency, never added across")


class RepSlippage(SlipTotals):
    owner_id: str
    name: str | None = None


class TeamSlippage(SlipTotals):
    team: str | None


class Slippage(BaseModel):
    period: str
    starts: date
    ends: date = Field(description="The first day after the period")
    items: list[Slip] = Field(description="Oldest first")
    total: int
    limit: int
    offset: int
    by_rep: list[RepSlippage]
    by_team: list[TeamSlippage]


class Outcome(BaseModel):
    items: int
    won: int
    lost: int
    open: int = Field(description="Still open now")
    win_rate: float | None = Field(description="won / (won + lost); null before any closed")


class TierOutcome(Outcome):
    tier: str


class HandOverOutcomes(BaseModel):
    period: str
    starts: date
    ends: date = Field(description="The first day after the period")
    team: str | None
    tiers: list[TierOutcome] = Field(description="Deals handed over in the period, per tier "
                                                 "(lower, middle, upper)")
    handed_over: Outcome = Field(description="Every tier together")
    never_handed_over: Outcome = Field(description="Deals opened in the period and never "
                                                   "handed over")


class StageTime(BaseModel):
    stage: str
    stays: int = Field(description="Stays in the stage that ended in the period")
    average_days: float


class RepStageTimes(BaseModel):
    owner_id: str
    name: str | None = None
    stages: list[StageTime]


class TeamStageTimes(BaseModel):
    team: str | None
    stages: list[StageTime]


class StageTimes(BaseModel):
    period: str
    starts: date
    ends: date = Field(description="The first day after the period")
    stages: list[StageTime] = Field(description="In the funnel's order")
    by_rep: list[RepStageTimes] = Field(description="By the owner when the deal entered the stage")
    by_team: list[TeamStageTimes] = Field(description="By that owner's team then")
