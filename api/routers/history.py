"""How records stood and moved over time: answers from the ``intervals`` read model, which
keeps every fact of a deal with the interval it held."""

from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.access import check_visible
from api.deps import PageDep, PrincipalDep, ServicesDep, reads
from api.errors import QUERY_RESPONSES
from api.inputs import Label, Period, RecordId
from api.reading import paged, scope_for, utc
from domain.quotas import days_of
from infra.readside.readstore import SqlReader
from projections.deal_intervals.answers import (
    DealStages,
    RepSlippage,
    Slip,
    Slippage,
    StageInterval,
    TeamSlippage,
)
from projections.deal_intervals.queries import DealIntervalQueries, SlippageQueries, totals_by

router = APIRouter(prefix="/v1", tags=["history"], responses=QUERY_RESPONSES)
ReadsIntervals = Annotated[None, reads("intervals")]
OpportunityId = Annotated[RecordId, Path(description="Opportunity id")]


@router.get("/opportunities/{opportunity_id}/stages")
def deal_stages(opportunity_id: OpportunityId, caller: PrincipalDep, services: ServicesDep,
                _: ReadsIntervals) -> DealStages:
    """The stages the deal went through, in order: when it entered each, when it left, and
    the whole days it spent there (until now in the open stage it is in; null in a closed
    one). Visible to whoever may see the deal now (its owner, the owner's manager, the
    read-everything roles); 404 else."""
    owner = services.sales.opportunities.find(opportunity_id).state.owner_id
    check_visible(caller, services.sales.directory, owner, f"opportunity {opportunity_id}")
    with services.db.reader() as conn:
        found = DealIntervalQueries(SqlReader(services.db, conn)).stages(
            str(opportunity_id), utc(None))
    return DealStages(opportunity_id=str(opportunity_id),
                      items=[StageInterval(**stage) for stage in found])


@router.get("/reports/slippage")
def slippage(caller: PrincipalDep, services: ServicesDep, _: ReadsIntervals, page: PageDep,
             period: Annotated[Period, Query(description="A month 2026-11, quarter 2026-Q4 or "
                                                         "year FY2026", examples=["2026-Q4"])],
             team: Annotated[Label | None, Query(description="The owner's team then")] = None,
             rep_id: Annotated[RecordId | None, Query(description="The owner then")] = None,
             ) -> Slippage:
    """Close dates pushed later and amounts cut in the period, each with who recorded it
    and when, the deal's owner then and the owner's team then; totals per rep and per team
    (amounts per currency). A rep sees their own deals' slips; a manager their team's."""
    scope = scope_for(caller, services.sales.directory, rep_id, team)
    starts, ends = days_of(period)
    with services.db.reader() as conn:
        found = SlippageQueries(SqlReader(services.db, conn)).slips(
            _midnight(starts), _midnight(ends), scope.rep_id, scope.team)
    names = {s["owner_id"]: s["owner_name"] for s in found}
    by_rep = [RepSlippage(**r, name=names.get(r["owner_id"])) for r in totals_by(found, "owner_id")]
    return Slippage(period=period, starts=starts, ends=ends,
                    items=[Slip(**s) for s in paged(found, page)], total=len(found), **page,
                    by_rep=by_rep, by_team=[TeamSlippage(**t) for t in totals_by(found, "team")])


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)
