"""Hand-over queries: what a departing rep handed over, to whom, who must act and by when."""

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from api.access import READ_ALL, can_see_owner
from api.deps import PrincipalDep, ServicesDep, only, reads
from api.errors import QUERY_RESPONSES, not_found
from api.inputs import MAX_POSITION, Label, RecordId
from api.reading import PeriodQuery, midnight, scope_for, utc
from domain.handover import HandOverStatus
from domain.quotas import days_of
from infra.access.tokens import Principal
from infra.eventstore.ids import canonical_id
from infra.readside.readstore import SqlReader
from projections.deal_intervals.answers import HandOverOutcomes
from projections.deal_intervals.queries import HandOverOutcomeQueries
from projections.handovers.answers import HandOverItem, HandOvers, Unassigned
from projections.handovers.queries import HandOverQueries, ItemFilter, kept

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
    known = departure or {}
    named = {known.get("successor_id"), known.get("manager_id"), *(known.get("plan") or {}).values()}
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
    with services.read_db.reader() as conn:
        found = HandOverOutcomeQueries(SqlReader(services.read_db, conn)).outcomes(
            midnight(starts), midnight(ends), team)
    return HandOverOutcomes(period=period, starts=starts, ends=ends, team=team or None, **found)


@router.get("/{rep_id}")
def handovers(rep_id: RepId, caller: PrincipalDep, services: ServicesDep, _: ReadsHandover,
              tier: Annotated[Literal["lower", "middle", "upper"] | None, Query()] = None,
              status: Annotated[Literal["planned", "pending", "introduced", "completed"] | None,
                                Query()] = None,
              overdue: Annotated[bool, Query(description=(
                  "true: only the items overdue (due before today, UTC, and not completed)"))
              ] = False,
              limit: Annotated[int, Query(ge=1, le=MOST_ITEMS)] = MOST_ITEMS,
              offset: Annotated[int, Query(ge=0, le=MAX_POSITION - MOST_ITEMS)] = 0) -> HandOvers:
    """Every item the rep handed over on departure, and any open item left unassigned;
    before a departure given notice of executes, the plan: every open item the rep owns
    now, its tier and successor (status `planned`). A successor or manager outside the
    rep's team, named at departure or in the plan, gets only the items they take over or
    must act on. `tier`, `status` and `overdue` narrow the items; `limit` of them from
    `offset` (at most 500: `total` says how many there are); `summary` and `overdue_count`
    count every item the caller may see."""
    rep_id = canonical_id(rep_id, "rep_id")
    today = utc(None).date()
    with services.read_db.reader() as conn:
        queries = HandOverQueries(SqlReader(services.read_db, conn))
        departure = queries.departure(rep_id)
        _check_visible(caller, services, rep_id, departure)
        # a successor or manager named at departure only: the items they take over or act on
        named_only = not can_see_owner(caller, services.sales.directory, rep_id)
        visible_to = caller.rep_id if named_only else None
        asked = ItemFilter(tier, status, today if overdue else None, visible_to)
        if departure is not None and departure["stage"] != "departed":
            listing = _planned(queries, departure, asked, today, limit, offset)
        else:
            listing = _handed_over(queries, rep_id, asked, today, limit, offset, named_only)
    known = departure or {}
    return HandOvers(rep_id=rep_id, name=known.get("name"),
                     departed=known.get("stage") == "departed", stage=known.get("stage"),
                     noticed_at=known.get("noticed_at"), approved_at=known.get("approved_at"),
                     successor_id=known.get("successor_id"),
                     successor_name=known.get("successor_name"),
                     manager_id=known.get("manager_id"), manager_name=known.get("manager_name"),
                     effective_date=known.get("effective_date"), limit=limit, offset=offset,
                     **listing)


def _planned(queries: HandOverQueries, departure: dict[str, Any], asked: ItemFilter,
             today: date, limit: int, offset: int) -> dict[str, Any]:
    """A plan's items: computed from the open items the rep owns now."""
    visible = kept(queries.planned(departure), ItemFilter(visible_to=asked.visible_to))
    chosen = kept(visible, asked)
    return {"items": [HandOverItem(**i) for i in chosen[offset:offset + limit]],
            "total": len(chosen), "unassigned": [],
            "overdue_count": len(kept(visible, ItemFilter(overdue_on=today))),
            "summary": {s.value: sum(i["status"] == s for i in visible) for s in HandOverStatus}}


def _handed_over(queries: HandOverQueries, rep_id: str, asked: ItemFilter, today: date,
                 limit: int, offset: int, named_only: bool) -> dict[str, Any]:
    """An executed departure's items, as the hand-overs recorded them."""
    late = ItemFilter(overdue_on=today, visible_to=asked.visible_to)
    return {"items": [HandOverItem(**i) for i in queries.items_for(rep_id, asked, limit, offset)],
            "total": queries.count(rep_id, asked), "overdue_count": queries.count(rep_id, late),
            "unassigned": [] if named_only else [Unassigned(**u)
                                                 for u in queries.unassigned_for(rep_id)],
            "summary": queries.summary(rep_id, asked.visible_to)}
