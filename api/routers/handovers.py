"""Hand-over queries: what a departing rep handed over, to whom, who must act and by when."""

from typing import Annotated, Any

from fastapi import APIRouter, Path

from api.access import can_see_owner
from api.deps import PrincipalDep, ServicesDep, reads
from api.errors import QUERY_RESPONSES, not_found
from api.inputs import RecordId
from infra.access.tokens import Principal
from infra.eventstore.ids import canonical_id
from infra.readside.readstore import SqlReader
from projections.handovers.answers import HandOverItem, HandOvers, Unassigned
from projections.handovers.queries import HandOverQueries

router = APIRouter(prefix="/v1/handovers", tags=["handovers"], responses=QUERY_RESPONSES)
ReadsHandover = Annotated[None, reads("handover")]
RepId = Annotated[RecordId, Path(description="The departing rep's id")]


def _check_visible(caller: Principal, services: ServicesDep, rep_id: str,
                   departure: dict[str, Any] | None) -> None:
    """Auditors, integrators, admins; the rep; their team's manager; the successor and the
    manager named at departure. Anyone else: 404, as for an unknown rep."""
    directory = services.sales.directory
    if rep_id not in directory.catch_up().reps:
        raise not_found(f"rep {rep_id}")
    if can_see_owner(caller, directory, rep_id):
        return
    named = (departure or {}).get("successor_id"), (departure or {}).get("manager_id")
    if caller.rep_id is None or caller.rep_id not in named:
        raise not_found(f"rep {rep_id}")


@router.get("/{rep_id}")
def handovers(rep_id: RepId, caller: PrincipalDep, services: ServicesDep,
              _: ReadsHandover) -> HandOvers:
    """Every item the rep handed over on departure (empty while the rep has not departed),
    and any open item left unassigned. A successor or manager outside the rep's team, named
    at departure, gets only the items they take over or must act on."""
    rep_id = canonical_id(rep_id, "rep_id")
    with services.db.reader() as conn:
        queries = HandOverQueries(SqlReader(services.db, conn))
        departure = queries.departure(rep_id)
        _check_visible(caller, services, rep_id, departure)
        items, left = queries.items_for(rep_id), queries.unassigned_for(rep_id)
        summary = queries.summary(rep_id)
    if not can_see_owner(caller, services.sales.directory, rep_id):  # named at departure only
        items, left = [i for i in items if caller.rep_id in (i["successor_id"], i["actor_id"])], []
        summary = {status: sum(i["status"] == status for i in items) for status in summary}
    known = departure or {}
    return HandOvers(rep_id=rep_id, name=known.get("name"), departed=departure is not None,
                     successor_id=known.get("successor_id"),
                     successor_name=known.get("successor_name"),
                     manager_id=known.get("manager_id"), manager_name=known.get("manager_name"),
                     effective_date=known.get("effective_date"),
                     items=[HandOverItem(**i) for i in items],
                     unassigned=[Unassigned(**u) for u in left], summary=summary)
