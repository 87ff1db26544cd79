"""Forecast and performance queries: weighted pipeline beside won and projected revenue per
period, and each rep's results against quota."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import PageDep, PrincipalDep, ServicesDep, reads
from api.errors import QUERY_RESPONSES
from api.inputs import Label, RecordId, Sku
from api.reading import AsOfDay, PeriodQuery, paged, scope_for, utc
from infra.readside.readstore import SqlReader
from projections.forecast.answers import Forecast
from projections.forecast.queries import ForecastQueries
from projections.rep_performance.answers import Performance, RepPerformance
from projections.rep_performance.queries import RepPerformanceQueries

router = APIRouter(prefix="/v1", tags=["forecasts"], responses=QUERY_RESPONSES)
ReadsForecasts = Annotated[None, reads("forecasts")]
ReadsPerformance = Annotated[None, reads("performance")]
RepFilter = Annotated[RecordId | None, Query(description="The deals' owner")]
TeamFilter = Annotated[Label | None, Query(description="The owner's team")]


@router.get("/forecast")
def forecast(caller: PrincipalDep, services: ServicesDep, _: ReadsForecasts,
             period: Literal["month", "quarter", "year"] = "month",
             rep_id: RepFilter = None, team: TeamFilter = None,
             region: Annotated[Label | None, Query()] = None,
             product: Annotated[Sku | None, Query(description="A SKU")] = None,
             as_of: AsOfDay = None,
             ) -> Forecast:
    """Per period: weighted pipeline, won revenue of the months passed (`history_won`) apart
    from the projection of the others (`projected`; `kind` says which a period holds), won so
    far, and the quota of the reps in scope (a year without its own quota adds up its quarters,
    a quarter its months). The projection is by the linear trend, or by the naive mean of the
    last 3 months when that backtests better: `method` names it, `method_reason` says why,
    `backtest` gives both errors. Money is per currency (`by_currency`), never added across.
    A rep's `rep_id` is always themselves and the quota theirs; a manager's `team` always their
    own; the read-everything roles see the company's quota, or a team's or rep's when filtered."""
    scope = scope_for(caller, services.sales.directory, rep_id, team)
    with services.db.reader() as conn:
        answer = ForecastQueries(SqlReader(services.db, conn)).forecast(
            period, rep_id=scope.rep_id, team=scope.team, region=region, product=product,
            as_of=as_of or utc(None).date())
    return Forecast(**answer)


@router.get("/performance")
def performance(caller: PrincipalDep, services: ServicesDep, _: ReadsPerformance, page: PageDep,
                period: PeriodQuery, team: TeamFilter = None, rep_id: RepFilter = None) -> Performance:
    """Each rep's won revenue against quota, commission, new customers, activities and
    lead conversion in the period. The quota is the one set for the period, else the sum of
    its parts' (a year's quarters, a quarter's months; `quota_periods` names them). A rep sees
    only themselves; a manager their team."""
    scope = scope_for(caller, services.sales.directory, rep_id, team)
    with services.db.reader() as conn:
        found = RepPerformanceQueries(SqlReader(services.db, conn)).performance(period, scope.team)
    if scope.rep_id is not None:
        found = [r for r in found if r["rep_id"] == scope.rep_id]
    return Performance(period=period, items=[RepPerformance(**r) for r in paged(found, page)],
                       total=len(found), **page)
