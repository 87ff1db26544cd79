"""Forecast and performance queries: weighted pipeline beside won and projected revenue per
period, and each rep's results against quota."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import MinPosition, PageDep, PrincipalDep, ServicesDep, reads, wait_until_readable
from api.errors import QUERY_RESPONSES
from api.inputs import Label, RecordId, Sku
from api.reading import PastInstant, PeriodQuery, paged, scope_for, seen_as_of, utc
from infra.readside.readstore import SqlReader
from projections.deal_intervals.as_of import AsOf, Seen
from projections.forecast.accuracy import accuracy as accuracy_of
from projections.forecast.answers import Accuracy, Forecast
from projections.forecast.as_of import frames_as_of
from projections.forecast.queries import ForecastQueries
from projections.rep_performance.answers import Performance, RepPerformance
from projections.rep_performance.queries import RepPerformanceQueries

router = APIRouter(prefix="/v1", tags=["forecasts"], responses=QUERY_RESPONSES)
ReadsForecasts = Annotated[None, reads("forecasts")]
ReadsIntervals = Annotated[None, reads("intervals")]
ReadsPerformance = Annotated[None, reads("performance")]
RepFilter = Annotated[RecordId | None, Query(description="The deals' owner")]
TeamFilter = Annotated[Label | None, Query(description="The owner's team")]


@router.get("/forecast")
def forecast(caller: PrincipalDep, services: ServicesDep, _: ReadsForecasts,
             period: Literal["month", "quarter", "year"] = "month",
             rep_id: RepFilter = None, team: TeamFilter = None,
             region: Annotated[Label | None, Query()] = None,
             product: Annotated[Sku | None, Query(description="A SKU")] = None,
             as_of: PastInstant = None, min_position: MinPosition = None,
             ) -> Forecast:
    """Per period: weighted pipeline, won revenue of the months passed (`history_won`) apart
    from the projection of the others (`projected`; `kind` says which a period holds), won so
    far, and the quota of the reps in scope (a year without its own quota adds up its quarters,
    a quarter its months). The projection is by the linear trend, or by the naive mean of the
    last 3 months when that backtests better: `method` names it, `method_reason` says why,
    `backtest` gives both errors. Money is per currency (`by_currency`), never added across.
    A rep's `rep_id` is always themselves and the quota theirs; a manager's `team` always their
    own; the read-everything roles see the company's quota, or a team's or rep's when filtered.

    With `as_of`, the forecast as it stood at that instant: the pipeline, wins, owners, teams
    and quotas then, projected from that month (read from the `intervals` model), of the
    deals the caller may see now."""
    scope = scope_for(caller, services.sales.directory, rep_id, team)
    if as_of is not None:
        wait_until_readable(services, ("intervals",), min_position)
    with services.read_db.reader() as conn:
        read = SqlReader(services.read_db, conn)
        frames, instant = None, None
        if as_of is not None:
            at = AsOf(read, utc(as_of))
            seen = seen_as_of(caller, services.sales.directory, at, scope, region)
            frames, instant = frames_as_of(at, seen, product), at.at
        answer = ForecastQueries(read, frames).forecast(
            period, rep_id=scope.rep_id, team=scope.team, region=region, product=product,
            as_of=(instant or utc(None)).date())
    return Forecast(**answer, instant=instant)


@router.get("/forecast/accuracy")
def accuracy(caller: PrincipalDep, services: ServicesDep, _: ReadsIntervals, period: PeriodQuery,
             rep_id: RepFilter = None, team: TeamFilter = None) -> Accuracy:
    """For a period (a month, quarter or year): what the forecast said at its start and at
    the start of each month inside it, beside what was won in it. Per rep, team and the
    whole scope, per currency: the revenue expected then (won so far + weighted pipeline
    closing in the period) and its error; and the forecast's own answer for the period at
    each checkpoint (`said`). Scope as for `GET /v1/forecast`, each checkpoint as of its
    instant, of the deals the caller may see now."""
    scope = scope_for(caller, services.sales.directory, rep_id, team)

    def seen_at(at: AsOf) -> Seen:
        return seen_as_of(caller, services.sales.directory, at, scope)

    with services.read_db.reader() as conn:
        found = accuracy_of(SqlReader(services.read_db, conn), period, utc(None), seen_at,
                            scope.rep_id, scope.team)
    return Accuracy(**found)


@router.get("/performance")
def performance(caller: PrincipalDep, services: ServicesDep, _: ReadsPerformance, page: PageDep,
                period: PeriodQuery, team: TeamFilter = None, rep_id: RepFilter = None) -> Performance:
    """Each rep's won revenue against quota, commission, new customers, activities and
    lead conversion in the period. The quota is the one set for the period, else the sum of
    its parts' (a year's quarters, a quarter's months; `quota_periods` names them). A rep sees
    only themselves; a manager their team."""
    scope = scope_for(caller, services.sales.directory, rep_id, team)
    with services.read_db.reader() as conn:
        found = RepPerformanceQueries(SqlReader(services.read_db, conn)).performance(period, scope.team)
    if scope.rep_id is not None:
        found = [r for r in found if r["rep_id"] == scope.rep_id]
    return Performance(period=period, items=[RepPerformance(**r) for r in paged(found, page)],
                       total=len(found), **page)
