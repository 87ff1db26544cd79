"""Hand-over queries: what a departing rep handed over, to whom, who must act and by when."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from api.access import READ_ALL, can_see_owner
from api.deps import PrincipalDep, ServicesDep, only, reads
from api.errors import QUERY_RESPONSES, not_found
from api.inputs import MAX_POSITION, Label, RecordId
from api.reading import PeriodQuery, midnight, scope_for, utc
from domain.quotas import days_of
from infra.access.tokens import Principal
from infra.eventstore.ids import canonical_id
from infra.readside.readstore import SqlReader
from projections.deal_intervals.answers import HandOverOutcomes
from projections.deal_intervals.queries import HandOverOutcomeQueries
from projections.handovers.answers import HandOverItem, HandOvers, Unassigned
from projections.handovers.queries import HandOverQueries, ItemFilter

router = APIRouter(prefix="/v1/handovers", tags=["handovers"], responses=QUERY_RESPONSES)
ReadsHandover = Annotated[None, reads("handover")]
RepId = Annotated[RecordId, Path(description="The departing rep's id")]
MOST_ITEMS = 500  # an answer's items at most (a departure can hand over thousands)


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


@router.get("/outcomes")
def outcomes(caller: PrincipalDep, services: ServicesDep, _: Annotated[None, reads("intervals")],
             _role: Annotated[None, only(*READ_ALL, "manager")],
             period: PeriodQuery,
             team: Annotated[Label | None, Query(description=(
                 "The departing rep's team at the hand-over"))] = None) -> HandOverOutcomes:
    """Deals handed over in the period, per tier: how many, won, lost and still open now,
    and the win rate of those closed — beside the deals opened in the period and never
    handed over. The read-everything roles see everyone's; a manager their team's; a rep
    may not ask (403): the figures add up other reps' deals."""
    scope = scope_for(caller, services.sales.directory, None, team)
    # a manager whose team is unknown sees no one's (scope_for would leave the team open)
    team = scope.team if caller.role != "manager" or scope.team is not None else ""
    starts, ends = days_of(period)
    with services.db.reader() as conn:
        found = HandOverOutcomeQueries(SqlReader(services.db, conn)).outcomes(
            midnight(starts), midnight(ends), team)
    return HandOverOutcomes(period=period, starts=starts, ends=ends, team=team or None, **found)


@router.get("/{rep_id}")
def handovers(rep_id: RepId, caller: PrincipalDep, services: ServicesDep, _: ReadsHandover,
              tier: Annotated[Literal["lower", "middle", "upper"] | None, Query()] = None,
              status: Annotated[Literal["pending", "introduced", "completed"] | None,
                                Query()] = None,
              overdue: Annotated[bool, Query(description=(
                  "true: only the items overdue (due before today, UTC, and not completed)"))
              ] = False,
              limit: Annotated[int, Query(ge=1, le=MOST_ITEMS)] = MOST_ITEMS,
              offset: Annotated[int, Query(ge=0, le=MAX_POSITION - MOST_ITEMS)] = 0) -> HandOvers:
    """Every item the rep handed over on departure (empty while the rep has not departed),
    and any open item left unassigned. A successor or manager outside the rep's team, named
    at departure, gets only the items they take over or must act on. `tier`, `status` and
    `overdue` narrow the items; `limit` of them from `offset` (at most 500: `total` says how
    many there are); `summary` and `overdue_count` count every item the caller may see."""
    rep_id = canonical_id(rep_id, "rep_id")
    today = utc(None).date()
    with services.db.reader() as conn:
        queries = HandOverQueries(SqlReader(services.db, conn))
        departure = queries.departure(rep_id)
        _check_visible(caller, services, rep_id, departure)
        # a successor or manager named at departure only: the items they take over or act on
        named_only = not can_see_owner(caller, services.sales.directory, rep_id)
        visible_to = caller.rep_id if named_only else None
        asked = ItemFilter(tier, status, today if overdue else None, visible_to)
        items = queries.items_for(rep_id, asked, limit, offset)
        total = queries.count(rep_id, asked)
        late = queries.count(rep_id, ItemFilter(overdue_on=today, visible_to=visible_to))
        left = [] if named_only else queries.unassigned_for(rep_id)
        summary = queries.summary(rep_id, visible_to)
    known = departure or {}
    return HandOvers(rep_id=rep_id, name=known.get("name"), departed=departure is not None,
                     successor_id=known.get("successor_id"),
                     successor_name=known.get("successor_name"),
                     manager_id=known.get("manager_id"), manager_name=known.get("manager_name"),
                     effective_date=known.get("effective_date"),
                     items=[HandOverItem(**i) for i in items], total=total, limit=limit,
                     offset=offset, overdue_count=late,
                     unassigned=[Unassigned(**u) for u in left], summary=summary)
