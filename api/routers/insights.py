"""Activity and report queries: follow-ups due, channel effectiveness, campaigns against their
cost, sales per period, churn.

Channel effectiveness, campaign figures and sales by region or product add up everyone's
records and cannot be narrowed to a rep's own, so they are for the roles that read everything
(403 for reps and managers); sales by rep, follow-ups and churn are narrowed to what the caller
may see.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.access import READ_ALL, require_role
from api.deps import PageDep, PrincipalDep, ServicesDep, reads
from api.errors import QUERY_RESPONSES
from api.inputs import RecordId
from api.reading import AsOfDay, paged, scope_for, utc, visible
from infra.readside.readstore import SqlReader
from projections.campaigns import (
    CampaignFigures,
    CampaignQueries,
    Campaigns,
    CampaignTotals,
    totals_by_currency,
)
from projections.follow_ups_and_channels.answers import ChannelFigures, Channels, FollowUpDue, FollowUps
from projections.follow_ups_and_channels.queries import FollowUpsAndChannelsQueries
from projections.sales_and_churn.answers import Churn, ChurnedAccount, SalesReport, SalesRow
from projections.sales_and_churn.queries import SalesAndChurnQueries

router = APIRouter(prefix="/v1", tags=["insights"], responses=QUERY_RESPONSES)
ReadsActivities = Annotated[None, reads("activities")]
ReadsReports = Annotated[None, reads("reports")]


@router.get("/activities/follow-ups")
def follow_ups(caller: PrincipalDep, services: ServicesDep, _: ReadsActivities, page: PageDep,
               rep_id: Annotated[RecordId | None, Query(description="The record's owner")] = None,
               overdue: Annotated[bool, Query(description="Only overdue ones")] = False,
               today: AsOfDay = None) -> FollowUps:
    """Open follow-ups on leads and accounts. A rep gets their own; a manager their team's
    (and those on leads nobody owns yet)."""
    day = today or utc(None).date()
    scope = scope_for(caller, services.sales.directory, rep_id, None)
    with services.read_db.reader() as conn:
        found = FollowUpsAndChannelsQueries(SqlReader(services.read_db, conn)).follow_ups(day, scope.rep_id)
    found = [f for f in visible(caller, services.sales.directory, found)
             if f["overdue"] or not overdue]
    return FollowUps(today=day, items=[FollowUpDue(**f) for f in paged(found, page)],
                     total=len(found), **page)


@router.get("/activities/channels")
def channels(caller: PrincipalDep, services: ServicesDep,
             _: Annotated[None, reads("activities", "campaigns")]) -> Channels:
    """Per lead channel: leads, duplicates, qualified, converted, won deals and revenue, and
    its cost (the sum of its campaigns' costs, per currency) per lead and per won deal
    (auditors, integrators, admins)."""
    require_role(caller, *READ_ALL)
    with services.read_db.reader() as conn:
        reader = SqlReader(services.read_db, conn)
        costs = CampaignQueries(reader).channel_costs()
        found = FollowUpsAndChannelsQueries(reader).channel_effectiveness(costs)
    return Channels(items=[ChannelFigures(**c) for c in found])


@router.get("/campaigns")
def campaigns(caller: PrincipalDep, services: ServicesDep,
              _: Annotated[None, reads("campaigns")]) -> Campaigns:
    """Every campaign with its leads, conversions and won deals, its cost per lead and per won
    deal (in its currency), and totals per currency of the costs (auditors, integrators,
    admins)."""
    require_role(caller, *READ_ALL)
    with services.read_db.reader() as conn:
        found = CampaignQueries(SqlReader(services.read_db, conn)).campaigns()
    return Campaigns(items=[CampaignFigures(**c) for c in found],
                     totals=[CampaignTotals(**t) for t in totals_by_currency(found)])


@router.get("/reports/sales")
def sales_report(caller: PrincipalDep, services: ServicesDep, _: ReadsReports, page: PageDep,
                 period: Literal["day", "week", "month", "year"] = "month",
                 by: Literal["region", "product", "rep"] | None = None) -> SalesReport:
    """Orders placed and their revenue (cancelled and rejected ones excluded) per period,
    optionally per region, product or rep. Reps and managers may ask only `by=rep`, and get
    the rows of the reps they may see."""
    if by != "rep":
        require_role(caller, *READ_ALL)
    with services.read_db.reader() as conn:
        found = SalesAndChurnQueries(SqlReader(services.read_db, conn)).sales(period, by)
    if by == "rep":
        found = visible(caller, services.sales.directory, found, owner_key="key")
    return SalesReport(period=period, by=by, items=[SalesRow(**r) for r in paged(found, page)],
                       total=len(found), **page)


@router.get("/reports/churn")
def churn(caller: PrincipalDep, services: ServicesDep, _: ReadsReports, page: PageDep,
          months: Annotated[int, Query(ge=0, le=1200, description="Silent for this many "
                                                                  "calendar months")] = 6,
          as_of: AsOfDay = None) -> Churn:
    """Accounts that bought by `as_of` but placed no order in the `months` before it.
    A rep gets their own accounts; a manager their team's."""
    day = as_of or utc(None).date()
    with services.read_db.reader() as conn:
        found = SalesAndChurnQueries(SqlReader(services.read_db, conn)).churned(day, months)
    found = visible(caller, services.sales.directory, found)
    return Churn(as_of=day, months=months, items=[ChurnedAccount(**r) for r in paged(found, page)],
                 total=len(found), **page)
