"""How records stood and moved over time: answers from the ``intervals`` read model, which
keeps every fact of a deal with the interval it held."""

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.access import can_see_owner, check_visible
from api.deps import PageDep, PrincipalDep, Services, ServicesDep, only, reads
from api.errors import QUERY_RESPONSES, not_found
from api.inputs import Instant, Label, Period, RecordId
from api.reading import PastInstant, PeriodQuery, midnight, paged, scope_for, utc
from domain.quotas import current_period, days_of
from infra.access.tokens import Principal
from infra.eventstore.ids import canonical_id
from infra.readside.readstore import SqlReader
from projections.access_history.answers import AccessHistory
from projections.access_history.queries import AccessHistoryQueries
from projections.deal_intervals.answers import (
    CommissionStatement,
    CreditPolicies,
    CreditPolicy,
    DealStages,
    RepSlippage,
    RepStageTimes,
    Slip,
    Slippage,
    StageInterval,
    StageTime,
    StageTimes,
    TeamSlippage,
    TeamStageTimes,
)
from projections.deal_intervals.commissions import CommissionQueries, credit_policies
from projections.deal_intervals.queries import (
    DealIntervalQueries,
    SlippageQueries,
    averages,
    totals_by,
)

router = APIRouter(prefix="/v1", tags=["history"], responses=QUERY_RESPONSES)
ReadsIntervals = Annotated[None, reads("intervals")]
OpportunityId = Annotated[RecordId, Path(description="Opportunity id")]
TeamThen = Annotated[Label | None, Query(description="The owner's team then")]
OwnerThen = Annotated[RecordId | None, Query(description="The owner then")]
OptionalPeriod = Annotated[Period | None, Query(description="A month 2026-11, quarter 2026-Q4 "
                                                "or year FY2026", examples=["2026-Q4"])]


@router.get("/opportunities/{opportunity_id}/stages")
def deal_stages(opportunity_id: OpportunityId, caller: PrincipalDep, services: ServicesDep,
                _: ReadsIntervals) -> DealStages:
    """The stages the deal went through, in order: when it entered each, when it left, and
    the whole days it spent there (until now in the open stage it is in; null in a closed
    one). Visible to whoever may see the deal now (its owner, the owner's manager, the
    read-everything roles); 404 else."""
    owner = services.sales.opportunities.find(opportunity_id).state.owner_id
    check_visible(caller, services.sales.directory, owner, f"opportunity {opportunity_id}")
    with services.read_db.reader() as conn:
        found = DealIntervalQueries(SqlReader(services.read_db, conn)).stages(
            str(opportunity_id), utc(None))
    return DealStages(opportunity_id=str(opportunity_id),
                      items=[StageInterval(**stage) for stage in found])


@router.get("/reports/slippage")
def slippage(caller: PrincipalDep, services: ServicesDep, _: ReadsIntervals, page: PageDep,
             period: PeriodQuery, team: TeamThen = None, rep_id: OwnerThen = None) -> Slippage:
    """Close dates pushed later and amounts cut in the period, each with who recorded it
    and when, the deal's owner then and the owner's team then; totals per rep and per team
    (amounts per currency). A rep sees their own deals' slips; a manager their team's."""
    starts, ends, found = _in_period(caller, services, period, rep_id, team,
                                     lambda read: SlippageQueries(read).slips)
    names = {s["owner_id"]: s["owner_name"] for s in found}
    by_rep = [RepSlippage(**r, name=names.get(r["owner_id"])) for r in totals_by(found, "owner_id")]
    return Slippage(period=period, starts=starts, ends=ends,
                    items=[Slip(**s) for s in paged(found, page)], total=len(found), **page,
                    by_rep=by_rep, by_team=[TeamSlippage(**t) for t in totals_by(found, "team")])


@router.get("/reports/stage-times")
def stage_times(caller: PrincipalDep, services: ServicesDep, _: ReadsIntervals,
                period: PeriodQuery, team: TeamThen = None,
                rep_id: OwnerThen = None) -> StageTimes:
    """How long deals stayed in each stage: the stays that ended in the period (a deal left
    the stage), their number and average days, for everyone in scope, by rep (the owner when
    the deal entered the stage) and by team (that owner's team then). A rep sees their own
    deals; a manager their team's."""
    starts, ends, found = _in_period(caller, services, period, rep_id, team,
                                     lambda read: DealIntervalQueries(read).stage_times)
    names = {s["owner_id"]: s["owner_name"] for s in found}

    def times(stays: list[dict[str, Any]]) -> list[StageTime]:
        return [StageTime(**a) for a in averages(stays)]

    return StageTimes(
        period=period, starts=starts, ends=ends, stages=times(found),
        by_rep=[RepStageTimes(owner_id=rep, name=names.get(rep),
                              stages=times([s for s in found if s["owner_id"] == rep]))
                for rep in sorted({s["owner_id"] for s in found})],
        by_team=[TeamStageTimes(team=t, stages=times([s for s in found if s["team"] == t]))
                 for t in sorted({s["team"] for s in found}, key=str)])


PeriodQuestion = Callable[[datetime, datetime, str | None, str | None], list[dict[str, Any]]]


def _in_period(caller: Principal, services: Services, period: str, rep_id: str | None,
               team: str | None, question: Callable[[SqlReader], PeriodQuestion],
               ) -> tuple[date, date, list[dict[str, Any]]]:
    """The period's first day and the day after it, and what ``question`` finds between
    them for the owners the caller may see (a rep themselves, a manager their team)."""
    scope = scope_for(caller, services.sales.directory, rep_id, team)
    starts, ends = days_of(period)
    with services.read_db.reader() as conn:
        found = question(SqlReader(services.read_db, conn))(midnight(starts), midnight(ends),
                                                      scope.rep_id, scope.team)
    return starts, ends, found


@router.get("/commissions/{rep_id}")
def commission_statement(rep_id: Annotated[RecordId, Path(description="The rep")],
                         caller: PrincipalDep, services: ServicesDep, _: ReadsIntervals,
                         period: OptionalPeriod = None,
                         as_of: PastInstant = None) -> CommissionStatement:
    """The rep's statement for the period (default: this quarter): every deal won in it that
    credits the rep — as its owner when won, or as the rep who handed it over before (by the
    hand-over credit policy in force on the day of the win) — its share, the rep's plan in
    force on that day, and the commission; totals per currency. With `as_of`, the statement
    as it was issued then: only what was recorded by then counts (a plan or policy recorded
    late with an earlier effective day changes later statements, not that one). The rep,
    their team's manager and the read-everything roles may ask; anyone else: 404."""
    directory = services.sales.directory
    rep = directory.catch_up().reps.get(rep_id)
    if rep is None or not can_see_owner(caller, directory, rep_id):
        raise not_found(f"rep {rep_id}")
    period = period or current_period("quarter", utc(None).date())
    starts, ends = days_of(period)
    with services.read_db.reader() as conn:
        found = CommissionQueries(SqlReader(services.read_db, conn)).statement(
            rep_id, period, midnight(starts), midnight(ends), utc(as_of))
    return CommissionStatement(**found)


@router.get("/policies/handover-credit")
def handover_credit(caller: PrincipalDep, services: ServicesDep,
                    _: ReadsIntervals) -> CreditPolicies:
    """Every hand-over credit policy set (the departing rep's share of a deal won after a
    hand-over, per tier) and the one in force today."""
    with services.read_db.reader() as conn:
        found = credit_policies(SqlReader(services.read_db, conn))
    today = utc(None).date()
    in_force = [p for p in found if p["effective_from"] <= today]
    return CreditPolicies(in_force=CreditPolicy(**in_force[-1]) if in_force else None,
                          items=[CreditPolicy(**p) for p in found])


@router.get("/access/history")
def access_history(
        services: ServicesDep, _: Annotated[None, reads("access_history")],
        _role: Annotated[None, only("auditor", "admin")],
        record_id: Annotated[RecordId, Query(description=(
            "A lead, account, opportunity, order or rep"))],
        at: Annotated[Instant | None, Query(description=(
            "The instant (ISO 8601; naive is UTC; a day alone is its midnight); default "
            "now"))] = None) -> AccessHistory:
    """Who could see the record at that instant, and why: everyone holding a valid token
    then whose role, ownership or team let it read the record — its owner, the managers of
    the owner's team then, managers for a lead nobody owned, the read-everything roles —
    from the store's ownership, team and token events (auditors and admins)."""
    with services.read_db.reader() as conn:
        queries = AccessHistoryQueries(SqlReader(services.read_db, conn))
        record = queries.record(canonical_id(record_id, "record_id"))
        if record is None:
            raise not_found(f"record {record_id}")
        return AccessHistory(**queries.who_could_see(record, utc(at)))
