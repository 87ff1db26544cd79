"""The forecast's answers (``api.routers.forecasts`` returns them)."""

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field


class PeriodMoney(BaseModel):
    period: str | None = None
    currency: str | None = None
    pipeline_weighted: Decimal | None
    historical: Decimal | None
    won: Decimal | None


class ForecastPeriod(BaseModel):
    period: str = Field(description="2026-11, 2026-Q4 or FY2026")
    pipeline_weighted: Decimal | None = Field(
        description="Open deals closing then, amount x probability; null (as historical and "
                    "won) when the deals are in several currencies: see by_currency")
    historical: Decimal | None = Field(description="Won revenue (past months) and its trend "
                                                   "projection (later); null if not projectable")
    won: Decimal | None
    quota: Decimal | None = Field(description="Null unless filtered by rep or team")
    by_currency: list[PeriodMoney] = Field([], description="The figures per currency")


class Backtest(BaseModel):
    months: int | None = Field(description="Null when the deals are in several currencies")
    baseline: str
    method_mae: Decimal | None
    naive_mae: Decimal | None
    method_mape: float | None
    naive_mape: float | None


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
    periods: list[PeriodMoney]
    backtest: Backtest
    next_quarter: NextQuarter
    fiscal_year: FiscalYear


class Forecast(BaseModel):
    period: str
    as_of: date
    method: str
    periods: list[ForecastPeriod]
    backtest: Backtest
    next_quarter: NextQuarter
    fiscal_year: FiscalYear
    quota: Decimal | None
    currency: str | None = Field(None, description="The one currency of the deals; null when "
                                 "none or several (money fields outside by_currency are then null)")
    by_currency: list[CurrencyForecast] = Field(
        [], description="The forecast of each currency alone: a trend is never fitted, nor a "
                        "total taken, over amounts of different currencies")
