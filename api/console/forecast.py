"""The Forecast page: per period, the weighted pipeline, won and projected revenue against
quota (chart and table, per currency), the backtest errors of the method and of the naive
baseline with the method chosen and why, and the reps against quota this period.

Its figures are the answers of ``GET /v1/forecast`` and ``GET /v1/performance`` (their route
functions, called with the caller and the filters), its pickers the reps ``GET /v1/reps``
shows the caller: the API's numbers and scope, by construction. Quotas are set without a
currency (the API's rule), so the chart draws the quota across the bars only when the
forecast is in one currency; with several, the quota stands in the table beside them.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from fastapi.responses import HTMLResponse
from markupsafe import Markup

from api.console import charts
from api.console.formatting import money, number
from api.console.funnel import heading
from api.console.lookups import teams_of, visible_reps
from api.console.views import Page, PageError, View, console_router, optional
from api.deps import Services
from api.inputs import Label, RecordId
from api.reading import Scope, scope_for
from api.routers.forecasts import forecast, performance
from domain.quotas import PeriodKind, current_period
from infra.access.tokens import Principal
from projections.forecast.answers import CurrencyForecast, Forecast, PeriodMoney
from projections.rep_performance.answers import RepPerformance

PAGE = Page(title="Forecast", path="/forecast", template="forecast.html",
            reads=("forecasts", "performance", "lists"))
router = console_router()
ForecastView = Annotated[View, PAGE.viewer()]
PERIODS: tuple[PeriodKind, ...] = ("month", "quarter", "year")
TONES = {"history": "good", "projection": "muted"}  # else (history and projection) the default
REPS_PAGE = 500


@dataclass(frozen=True)
class PeriodRow:
    """One period of one currency: the API's figures and the period's quota."""

    money: PeriodMoney
    quota: Decimal | None

    @property
    def expected(self) -> Decimal | None:
        """Won in the months passed plus the projection of the others (the API's
        ``history_won`` + ``projected``; ``historical`` is the deprecated name of it); None
        when the period holds neither (a month beyond the projection)."""
        parts = [v for v in (self.money.history_won, self.money.projected) if v is not None]
        return sum(parts, Decimal(0)) if parts else None


@dataclass(frozen=True)
class CurrencySection:
    currency: str
    answer: CurrencyForecast
    rows: list[PeriodRow]
    chart: Markup


def section(answer: Forecast, part: CurrencyForecast) -> CurrencySection:
    quotas = {p.period: p.quota for p in answer.periods}
    rows = [PeriodRow(p, quotas.get(p.period or "")) for p in part.periods]
    return CurrencySection(part.currency, part, rows, chart(part.currency, rows,
                                                           answer.currency is not None))


def chart(currency: str, rows: list[PeriodRow], with_quota: bool) -> Markup:
    """A column per period (won, then won + projected), the quota across it when the
    forecast is in this one currency."""
    bars = [charts.Bar(row.money.period or "", float(row.expected or 0),
                       money(row.expected, currency), TONES.get(row.money.kind or "", ""),
                       float(row.quota) if with_quota and row.quota is not None else None,
                       money(row.quota, currency) if row.quota is not None else "")
            for row in rows]
    note = ("Won and projected revenue per period against quota" if with_quota
            else "Won and projected revenue per period")
    return charts.vertical(f"Revenue per period in {currency}", bars, note, height=240)


def reps_against_quota(caller: Principal, services: Services, period: str,
                       shown: Scope) -> list[RepPerformance]:
    """Every rep of ``GET /v1/performance`` in the scope, all its pages."""
    found: list[RepPerformance] = []
    while True:
        page = {"limit": REPS_PAGE, "offset": len(found)}
        answer = performance(caller, services, None, page, period=period, team=shown.team,
                             rep_id=shown.rep_id)
        found.extend(answer.items)
        if not answer.items or len(found) >= answer.total:
            return found


def period_kind(value: str) -> PeriodKind:
    for kind in PERIODS:
        if value == kind:
            return kind
    raise PageError(422, "Not an address of this page", "period: month, quarter or year")


@router.get(PAGE.path)
def forecast_page(view: ForecastView, period: str = "quarter", rep_id: str = "",
                  team: str = "") -> HTMLResponse:
    caller, services, kind = view.caller, view.services, period_kind(period)
    asked = Scope(optional(RecordId, rep_id, "rep_id"), optional(Label, team, "team"))
    people = visible_reps(caller, services)
    answer = forecast(caller, services, None, period=kind, rep_id=asked.rep_id, team=asked.team,
                      region=None, product=None, as_of=None)
    shown = scope_for(caller, services.sales.directory, asked.rep_id, asked.team)
    now = current_period(kind, answer.as_of)
    reps = reps_against_quota(caller, services, now, shown)
    return view.render(answer=answer, sections=[section(answer, p) for p in answer.by_currency],
                       reps=reps, now=now, kind=kind, kinds=PERIODS, asked=asked, people=people,
                       teams=teams_of(people), heading=heading(shown, people),
                       reps_count=number(answer.quota_scope.reps))
