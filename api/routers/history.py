"""How records stood and moved over time: answers from the ``intervals`` read model, which
keeps every fact of a deal with the interval it held."""

from typing import Annotated

from fastapi import APIRouter, Path

from api.access import check_visible
from api.deps import PrincipalDep, ServicesDep, reads
from api.errors import QUERY_RESPONSES
from api.inputs import RecordId
from api.reading import utc
from infra.readside.readstore import SqlReader
from projections.deal_intervals.answers import DealStages, StageInterval
from projections.deal_intervals.queries import DealIntervalQueries

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
