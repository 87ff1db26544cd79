"""The forecast's answers (``api.routers.forecasts`` returns them)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal["history", "projection", "history_and_projection"]
HISTORICAL = ("Deprecated: the name says history but the figure holds projections too — read "
              "history_won and projected instead. Won revenue of the months passed plus the "
              "projection of the others (by `method`); null when a month ahead is beyond the "
              "projection")
HISTORY_WON = ("Won revenue of the period's months that have passed (before as_of's month); "
               "null when none has passed")
PROJECTED = ("The projection (by `method`) of the period's months from as_of's month on, each "
             "month whole (this month's wins so far are in `won`, not in history_won); null "
             "when none is ahead or one is beyond the projection")
KIND = ("history: every month of the period has passed; projection: none has; "
        "history_and_projection: some have (history_won and projected each cover their part)")


class PeriodMoney(BaseModel):
    period: str | None = None
    currency: str | None = None
    kind: Kind | None = Field(None, description=KIND + " (in by_currency's periods)")
    pipeline_weighted: Decimal | None
    historical: Decimal | None = Field(description=HISTORICAL)
    won: Decimal | None
    history_won: Decimal | None = Field(None, description=HISTORY_WON)
    projected: Decimal | None = Field(None, description=PROJECTED)


class ForecastPeriod(BaseModel):
    period: str = Field(description="2026-11, 2026-Q4 or FY2026")
    kind: Kind = Field(description=KIND)
    pipeline_weighted: Decimal | None = Field(
        description="Open deals closing then, amount x probability; null (as every money "
                    "figure of the period) when the deals are in several currencies: see "
                    "by_currency")
    historical: Decimal | None = Field(description=HISTORICAL)
    won: Decimal | None = Field(description="Won revenue of the period so far (this month's "
                                            "wins included)")
    history_won: Decimal | None = Field(None, description=HISTORY_WON)
    projected: Decimal | None = Field(None, description=PROJECTED)
    quota: Decimal | None = Field(description="The quota of the reps in scope (quota_scope): "
                                  "each rep's set for the period, else the sum of its parts' "
                                  "(a year's quarters, a quarter's months); null when none")
    quota_periods: list[str] = Field([], description="The quotas as set that `quota` adds up")
    by_currency: list[PeriodMoney] = Field([], description="The figures per currency")


class Backtest(BaseModel):
    months: int | None = Field(description="Months forecast one step ahead; null when the "
                                           "deals are in several currencies")
    baseline: str = Field(description="The naive baseline: mean_last_3_months")
    method_mae: Decimal | None = Field(description="The linear trend's mean absolute error "
                                                   "(whichever method projects)")
    naive_mae: Decimal | None = Field(description="The naive baseline's mean absolute error")
    method_mape: float | None
    naive_mape: float | None
    chosen: str | None = Field(None, description="The method that projects: the one with the "
                               "lower MAE (linear_trend keeps a tie)")


class QuotaScope(BaseModel):
    level: Literal["rep", "team", "company"] = Field(
        description="Whose quotas: the rep's, the team's current reps', else every rep's. A "
                    "region or product filter narrows the deals, not the quota")
    rep_id: str | None
    team: str | None
    reps: int = Field(description="How many reps' quotas count")


class NextQuarter(BaseModel):
    period: str
    projected: Decimal | None


class FiscalYear(BaseModel):
    period: str
    won: Decimal | None
    projected: Decimal | None
    total: Decimal | None


class CurrencyForecast(BaseModel):
    currency: str
    method: str
    method_reason: str
    periods: list[PeriodMoney]
    backtest: Backtest
    next_quarter: NextQuarter
    fiscal_year: FiscalYear


class Forecast(BaseModel):
    period: str
    as_of: date = Field(description="The day the periods are reckoned from (its month is the "
                                    "current one)")
    instant: datetime | None = Field(default=None, description="With `as_of` asked: the "
                                     "instant the figures stood at (UTC); null: now")
    method: str = Field(description="The method that projects: linear_trend, or "
                        "mean_last_3_months (the naive baseline) when it backtests better; "
                        "per_currency when the currencies' methods differ")
    method_reason: str = Field(description="Why that method: both backtest errors, or why "
                                           "there is no backtest")
    periods: list[ForecastPeriod]
    backtest: Backtest
    next_quarter: NextQuarter
    fiscal_year: FiscalYear
    quota: Decimal | None = Field(description="The periods' quotas added up")
    quota_scope: QuotaScope
    currency: str | None = Field(None, description="The one currency of the deals; null when "
                                 "none or several (money fields outside by_currency are then null)")
    by_currency: list[CurrencyForecast] = Field(
        [], description="The forecast of each currency alone: a trend is never fitted, nor a "
                        "total taken, over amounts of different currencies")


class ForecastAt(BaseModel):
    at: datetime = Field(description="The checkpoint: the period's start or a month's inside it")
    won_so_far: Decimal = Field(description="Won in the period before the checkpoint")
    pipeline_weighted: Decimal = Field(description="Open deals closing in the period then, "
                                                   "amount x probability")
    expected: Decimal = Field(description="won_so_far + pipeline_weighted: the period's "
                                          "revenue expected then")
    error: Decimal = Field(description="expected - won")
    error_percent: float | None = Field(description="error / won x 100; null when nothing "
                                                    "was won")


class AccuracyRow(BaseModel):
    level: Literal["rep", "team", "scope"] = Field(
        description="A rep's deals (owned then), a team's reps' (the rep's team at the "
                    "period's start), or every deal of the answer's scope")
    rep_id: str | None
    rep_name: str | None
    team: str | None
    currency: str
    won: Decimal = Field(description="Won in the period (by the owner when won), up to its "
                                     "end or up to now while it runs")
    forecasts: list[ForecastAt]


class ForecastSaid(BaseModel):
    at: datetime
    method: str = Field(description="The projection's method then")
    period: ForecastPeriod | None = Field(description="The forecast's answer for the period "
                                                      "at the checkpoint (GET /v1/forecast "
                                                      "with as_of)")


class Accuracy(BaseModel):
    period: str
    won_until: datetime
    closed: bool = Field(description="The period has ended: won is final")
    checkpoints: list[datetime]
    said: list[ForecastSaid] = Field(description="What the forecast itself said, for the "
                                                 "answer's scope, at each checkpoint")
    items: list[AccuracyRow] = Field(description="Per rep, team and the whole scope, per "
                                                 "currency")
