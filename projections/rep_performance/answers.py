"""The reps' performance answers (``api.routers.forecasts`` returns them)."""

from decimal import Decimal

from pydantic import BaseModel, Field

from projections.answers import PageInfo


class RepWins(BaseModel):
    currency: str
    won_revenue: Decimal
    wins: int


class RepPerformance(BaseModel):
    rep_id: str
    name: str
    team: str
    region: str
    active: bool
    period: str
    won_revenue: Decimal | None = Field(description="In `currency`; null (as attainment and "
                                        "commission) when the wins are in several currencies")
    wins: int
    currency: str | None = Field(None, description="The one currency of the wins; null when "
                                                   "none or several")
    by_currency: list[RepWins] = Field([], description="Won revenue per currency")
    quota: Decimal | None = Field(description="The quota set for the period, else the sum of "
                                  "its parts' (a year's quarters, a quarter's months)")
    quota_periods: list[str] = Field([], description="The quotas as set that `quota` adds up "
                                     "(`[\"FY2026\"]`, or `[\"2026-Q1\", \"2026-Q3\"]` when only "
                                     "those quarters have one)")
    attainment: Decimal | None = Field(description="won_revenue / quota")
    commission: Decimal | None
    new_customers: int
    activities: int
    leads_assigned: int
    leads_converted: int
    conversion_rate: Decimal | None = Field(description="leads_converted / leads_assigned")


class Performance(PageInfo):
    period: str
    items: list[RepPerformance] = Field(description="One per rep, by name")
