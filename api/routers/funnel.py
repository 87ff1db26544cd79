"""Funnel queries: deals per stage, conversion and win rates, and the deals stuck in a stage."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import PageDep, PrincipalDep, ServicesDep, WaitDep
from api.errors import QUERY_RESPONSES
from api.inputs import Label, RecordId
from api.routers.reading import AsOfInstant, PageInfo, is_scoped, paged, scope_for, utc
from infra.readside.queries.funnel import Filters, FunnelQueries

router = APIRouter(prefix="/v1", tags=["funnel"], responses=QUERY_RESPONSES)
RepFilter = Annotated[RecordId | None, Query(description="The deals' owner")]
TeamFilter = Annotated[Label | None, Query(description="The owner's team")]
RegionFilter = Annotated[Label | None, Query(description="The account's region")]


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
    stage: str
    days_in_stage: int
    owner_id: str | None


class StuckDeals(PageInfo):
    as_of: datetime
    items: list[StuckDeal] = Field(description="Longest in their stage first")


def _filters(caller: PrincipalDep, services: ServicesDep, rep_id: str | None,
             team: str | None, region: str | None) -> Filters:
    scope = scope_for(caller, services.sales.directory, rep_id, team)
    return Filters(rep_id=scope.rep_id, team=scope.team, region=region)


@router.get("/funnel")
def funnel(caller: PrincipalDep, services: ServicesDep, _: WaitDep, rep_id: RepFilter = None,
           team: TeamFilter = None, region: RegionFilter = None) -> Funnel:
    """Open and closed deals per stage: count, amount and weighted amount.

    A rep's `rep_id` is always themselves (another rep's id is ignored); a manager's `team`
    is always their own team. Auditors, integrators and admins filter as they like."""
    filters = _filters(caller, services, rep_id, team, region)
    with services.db.reader() as conn:
        stages = FunnelQueries(services.db, conn).summary(filters)
    return Funnel(stages=[StageSummary(**s) for s in stages])


@router.get("/funnel/conversion")
def conversion(caller: PrincipalDep, services: ServicesDep, _: WaitDep,
               rep_id: RepFilter = None, team: TeamFilter = None,
               region: RegionFilter = None) -> Conversion:
    """Stage-to-stage conversion rates, win rate and the average sales cycle (won deals).

    Filters and scope as for `GET /v1/funnel`; the stage-to-stage rates are kept only
    company-wide, so they are null for a narrowed answer."""
    filters = _filters(caller, services, rep_id, team, region)
    whole = not is_scoped(caller) and filters == Filters()
    with services.db.reader() as conn:
        queries = FunnelQueries(services.db, conn)
        rates = queries.conversion_rates() if whole else None
        closed = queries.win_rate_and_cycle(filters)
    return Conversion(rates=None if rates is None else [StageConversion(**r) for r in rates],
                      **closed)


@router.get("/opportunities/stuck")
def stuck(caller: PrincipalDep, services: ServicesDep, _: WaitDep, page: PageDep,
          rep_id: RepFilter = None, team: TeamFilter = None, region: RegionFilter = None,
          as_of: AsOfInstant = None) -> StuckDeals:
    """Open deals longer in their stage than its threshold (prospecting 14 days,
    qualification 21, proposal 30, negotiation 30), longest first. Scope as for the funnel."""
    filters, now = _filters(caller, services, rep_id, team, region), utc(as_of)
    with services.db.reader() as conn:
        found = FunnelQueries(services.db, conn).stuck(now, filters)
    return StuckDeals(as_of=now, items=[StuckDeal(**d) for d in paged(found, page)],
                      total=len(found), **page)
