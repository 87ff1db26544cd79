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


class PlanInForce(BaseModel):
    effective_from: date
    rate: Decimal
    accelerated_rate: Decimal | None


class CreditedDeal(BaseModel):
    opportunity_id: str
    name: str | None
    won_at: datetime
    currency: str
    won_amount: Decimal = Field(description="The deal's amount when won")
    role: Literal["owner", "departing"] = Field(
        description="owner: the rep owned it when it was won; departing: the rep handed it "
                    "over before")
    tier: str | None = Field(description="The deal's tier at its last hand-over before the win")
    handed_over_by: str | None = Field(description="The departing rep of that hand-over")
    share: Decimal = Field(description="The rep's share of the deal (the hand-over credit "
                                       "policy in force on the day of the win)")
    credited_amount: Decimal = Field(description="won_amount x share")
    plan: PlanInForce | None = Field(description="The rep's plan in force on the day of the "
                                                 "win; null: none")
    accelerated_amount: Decimal | None = Field(
        None, description="The part of credited_amount above the quota, at accelerated_rate")
    commission: Decimal | None = Field(description="null when no plan was in force")


class CommissionTotal(BaseModel):
    currency: str
    deals: int
    credited: Decimal
    commission: Decimal


class CommissionStatement(BaseModel):
    rep_id: str
    rep_name: str | None
    period: str
    as_of: datetime = Field(description="What was recorded by this instant counts: a "
                                        "statement re-issued as of the same instant is the same")
    quota: Decimal | None = Field(description="The rep's quota for the period as known then "
                                              "(no currency: it accelerates only a statement "
                                              "in one currency)")
    items: list[CreditedDeal] = Field(description="Every credited deal, in the order won")
    totals: list[CommissionTotal] = Field(description="Per currency")


class CreditPolicy(BaseModel):
    effective_from: date
    set_at: datetime
    upper: Decimal
    middle: Decimal
    lower: Decimal


class CreditPolicies(BaseModel):
    in_force: CreditPolicy | None = Field(description="The policy in force today (UTC)")
    items: list[CreditPolicy] = Field(description="Every policy set, by effective day")
