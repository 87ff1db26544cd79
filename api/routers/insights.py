"""Activity and report queries: follow-ups due, channel effectiveness, sales per period, churn.

Channel effectiveness and sales by region or product add up everyone's records and cannot
be narrowed to a rep's own, so they are for the roles that read everything (403 for reps
and managers); sales by rep, follow-ups and churn are narrowed to what the caller may see.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.access import READ_ALL, require_role
from api.deps import PageDep, PrincipalDep, ServicesDep, WaitDep
from api.errors import QUERY_RESPONSES
from api.inputs import RecordId
from api.routers.reading import AsOfDay, PageInfo, paged, scope_for, utc, visible
from infra.readside.queries.activities import ActivityQueries
from infra.readside.queries.reports import ReportQueries

router = APIRouter(prefix="/v1", tags=["insights"], responses=QUERY_RESPONSES)


class FollowUpDue(BaseModel):
    record_kind: str = Field(description="lead or account")
    record_id: str
    follow_up_id: str
    owner_id: str | None
    due: date
    note: str | None
    due_today: bool
    overdue: bool


class FollowUps(PageInfo):
    today: date
    items: list[FollowUpDue] = Field(description="Soonest due first")


class ChannelRevenue(BaseModel):
    currency: str
    won_deals: int
    won_revenue: Decimal


class ChannelFigures(BaseModel):
    channel: str
    leads: int
    duplicates: int
    qualified: int
    converted: int
    won_deals: int
    won_revenue: Decimal | None = Field(description="In `currency`; null when the won deals "
                                                    "are in several currencies")
    cost: Decimal | None
    cost_per_lead: Decimal | None
    cost_per_won_deal: Decimal | None
    currency: str | None = Field(None, description="The one currency of the won deals")
    by_currency: list[ChannelRevenue] = Field([], description="Won revenue per currency")


class Channels(BaseModel):
    items: list[ChannelFigures] = Field(description="By channel")


class SalesRow(BaseModel):
    period: str = Field(description="2026-11-02, 2026-W45, 2026-11 or 2026")
    key: str | None = Field(description="The region, SKU or rep; null without `by`")
    currency: str | None = Field(None, description="The orders' currency: a row per period, "
                                                   "key and currency, never a sum over currencies")
    orders: int
    revenue: Decimal


class SalesReport(PageInfo):
    period: str
    by: str | None
    items: list[SalesRow] = Field(description="By period, then key, then currency")


class ChurnRevenue(BaseModel):
    currency: str
    orders: int
    revenue: Decimal


class ChurnedAccount(BaseModel):
    account_id: str
    name: str | None
    region: str | None
    owner_id: str | None
    first_order_on: date
    last_order_on: date
    orders: int
    revenue: Decimal | None = Field(description="In `currency`; null when the account's orders "
                                                "are in several currencies")
    currency: str | None = Field(None, description="The one currency of the orders")
    by_currency: list[ChurnRevenue] = Field([], description="Orders and revenue per currency")


class Churn(PageInfo):
    as_of: date
    months: int
    items: list[ChurnedAccount] = Field(description="Longest silent first")


@router.get("/activities/follow-ups")
def follow_ups(caller: PrincipalDep, services: ServicesDep, _: WaitDep, page: PageDep,
               rep_id: Annotated[RecordId | None, Query(description="The record's owner")] = None,
               overdue: Annotated[bool, Query(description="Only overdue ones")] = False,
               today: AsOfDay = None) -> FollowUps:
    """Open follow-ups on leads and accounts. A rep gets their own; a manager their team's
    (and those on leads nobody owns yet)."""
    day = today or utc(None).date()
    scope = scope_for(caller, services.sales.directory, rep_id, None)
    with services.db.reader() as conn:
        found = ActivityQueries(services.db, conn).follow_ups(day, scope.rep_id)
    found = [f for f in visible(caller, services.sales.directory, found)
             if f["overdue"] or not overdue]
    return FollowUps(today=day, items=[FollowUpDue(**f) for f in paged(found, page)],
                     total=len(found), **page)


@router.get("/activities/channels")
def channels(caller: PrincipalDep, services: ServicesDep, _: WaitDep) -> Channels:
    """Per lead channel: leads, duplicates, qualified, converted, won deals and revenue
    (auditors, integrators, admins)."""
    require_role(caller, *READ_ALL)
    with services.db.reader() as conn:
        found = ActivityQueries(services.db, conn).channel_effectiveness({})
    return Channels(items=[ChannelFigures(**c) for c in found])


@router.get("/reports/sales")
def sales_report(caller: PrincipalDep, services: ServicesDep, _: WaitDep, page: PageDep,
                 period: Literal["day", "week", "month", "year"] = "month",
                 by: Literal["region", "product", "rep"] | None = None) -> SalesReport:
    """Orders placed and their revenue (cancelled and rejected ones excluded) per period,
    optionally per region, product or rep. Reps and managers may ask only `by=rep`, and get
    the rows of the reps they may see."""
    if by != "rep":
        require_role(caller, *READ_ALL)
    with services.db.reader() as conn:
        found = ReportQueries(services.db, conn).sales(period, by)
    if by == "rep":
        found = visible(caller, services.sales.directory, found, owner_key="key")
    return SalesReport(period=period, by=by, items=[SalesRow(**r) for r in paged(found, page)],
                       total=len(found), **page)


@router.get("/reports/churn")
def churn(caller: PrincipalDep, services: ServicesDep, _: WaitDep, page: PageDep,
          months: Annotated[int, Query(ge=0, le=1200, description="Silent for this many "
                                                                  "calendar months")] = 6,
          as_of: AsOfDay = None) -> Churn:
    """Accounts that bought by `as_of` but placed no order in the `months` before it.
    A rep gets their own accounts; a manager their team's."""
    day = as_of or utc(None).date()
    with services.db.reader() as conn:
        found = ReportQueries(services.db, conn).churned(day, months)
    found = visible(caller, services.sales.directory, found)
    return Churn(as_of=day, months=months, items=[ChurnedAccount(**r) for r in paged(found, page)],
                 total=len(found), **page)
