"""Funnel queries: deals per stage, conversion and win rates, and the deals stuck in a stage."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import MinPosition, PageDep, PrincipalDep, ServicesDep, reads, wait_until_readable
from api.errors import QUERY_RESPONSES
from api.inputs import Label, RecordId
from api.reading import (
    AsOfInstant,
    PastInstant,
    Scope,
    is_scoped,
    paged,
    scope_for,
    seen_as_of,
    utc,
)
from infra.readside.readstore import SqlReader
from projections.deal_intervals.as_of import AsOf
from projections.funnel.answers import (
    Conversion,
    Funnel,
    StageConversion,
    StageSummary,
    StuckDeal,
    StuckDeals,
)
from projections.funnel.queries import Filters, FunnelQueries, summary_as_of

router = APIRouter(prefix="/v1", tags=["funnel"], responses=QUERY_RESPONSES)
ReadsFunnel = Annotated[None, reads("funnel")]
RepFilter = Annotated[RecordId | None, Query(description="The deals' owner")]
TeamFilter = Annotated[Label | None, Query(description="The owner's team")]
RegionFilter = Annotated[Label | None, Query(description="The account's region")]
NoContactDays = Annotated[int | None, Query(
    ge=0, le=36_500, description="Open deals nobody contacted for this many days instead")]


def _filters(caller: PrincipalDep, services: ServicesDep, rep_id: str | None,
             team: str | None, region: str | None) -> Filters:
    scope = scope_for(caller, services.sales.directory, rep_id, team)
    return Filters(rep_id=scope.rep_id, team=scope.team, region=region)


@router.get("/funnel")
def funnel(caller: PrincipalDep, services: ServicesDep, _: ReadsFunnel, rep_id: RepFilter = None,
           team: TeamFilter = None, region: RegionFilter = None, as_of: PastInstant = None,
           min_position: MinPosition = None) -> Funnel:
    """Open and closed deals per stage: count, amount and weighted amount.

    A rep's `rep_id` is always themselves (another rep's id is ignored); a manager's `team`
    is always their own team. Auditors, integrators and admins filter as they like.

    With `as_of`, the funnel as it stood at that instant: each deal's stage, amount,
    probability and owner then, the filters applied to the owner then (and the owner's team
    then), of the deals the caller may see now (read from the `intervals` model)."""
    filters = _filters(caller, services, rep_id, team, region)
    if as_of is not None:
        wait_until_readable(services, ("intervals",), min_position)
        with services.read_db.reader() as conn:
            at = AsOf(SqlReader(services.read_db, conn), utc(as_of))
            scope = Scope(filters.rep_id, filters.team)
            stages = summary_as_of(at, seen_as_of(caller, services.sales.directory, at, scope,
                                                  region))
        return Funnel(stages=[StageSummary(**s) for s in stages], as_of=at.at)
    with services.read_db.reader() as conn:
        stages = FunnelQueries(SqlReader(services.read_db, conn)).summary(filters)
    return Funnel(stages=[StageSummary(**s) for s in stages])


@router.get("/funnel/conversion")
def conversion(caller: PrincipalDep, services: ServicesDep, _: ReadsFunnel,
               rep_id: RepFilter = None, team: TeamFilter = None,
               region: RegionFilter = None) -> Conversion:
    """Stage-to-stage conversion rates, win rate and the average sales cycle (won deals).

    Filters and scope as for `GET /v1/funnel`; the stage-to-stage rates are kept only
    company-wide, so they are null for a narrowed answer."""
    filters = _filters(caller, services, rep_id, team, region)
    whole = not is_scoped(caller) and filters == Filters()
    with services.read_db.reader() as conn:
        queries = FunnelQueries(SqlReader(services.read_db, conn))
        rates = queries.conversion_rates() if whole else None
        closed = queries.win_rate_and_cycle(filters)
    return Conversion(rates=None if rates is None else [StageConversion(**r) for r in rates],
                      **closed)


@router.get("/opportunities/stuck")
def stuck(caller: PrincipalDep, services: ServicesDep, _: ReadsFunnel, page: PageDep,
          rep_id: RepFilter = None, team: TeamFilter = None, region: RegionFilter = None,
          as_of: AsOfInstant = None, no_contact_days: NoContactDays = None) -> StuckDeals:
    """Open deals longer in their stage than its threshold (prospecting 14 days,
    qualification 21, proposal 30, negotiation 30), longest first; with `no_contact_days=N`,
    open deals nobody contacted for N days or more instead (since their last interaction,
    or since they opened). Scope as for the funnel."""
    filters, now = _filters(caller, services, rep_id, team, region), utc(as_of)
    with services.read_db.reader() as conn:
        found = FunnelQueries(SqlReader(services.read_db, conn)).stuck(
            now, filters, no_contact_days=no_contact_days)
    return StuckDeals(as_of=now, items=[StuckDeal(**d) for d in paged(found, page)],
                      total=len(found), **page)
