"""Shared by the query routers: the filters a caller's role forces, row visibility, pages.

The rule itself lives in ``api.access`` (``rep_scope``, ``can_see_owner``); this module only
applies it to the filters a query takes and to the rows it answers.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, TypeVar

from fastapi import Query

from api.access import READ_ALL, can_see_owner, rep_scope
from api.inputs import Day, Instant, Period
from infra.access.tokens import Principal
from infra.service.directory import Directory
from projections.deal_intervals.as_of import AsOf, Seen
from projections.paging import Scope as ListScope

T = TypeVar("T")
# ISO 8601 text inside the calendar (``api.inputs``): ``as_of=0`` is refused, not read as 1970.
AsOfInstant = Annotated[Instant | None, Query(
    description="The clock to use (ISO 8601; naive is UTC); default now")]
AsOfDay = Annotated[Day | None, Query(description="The day to use (YYYY-MM-DD); default today")]
PastInstant = Annotated[Instant | None, Query(
    description="The answer as it stood at this instant (ISO 8601; naive is UTC; a day alone "
                "is its midnight), of the records the caller may see now; default now")]


@dataclass(frozen=True)
class Scope:
    """The rep and team filters a query runs with."""

    rep_id: str | None = None
    team: str | None = None


def scope_for(caller: Principal, directory: Directory, rep_id: str | None = None,
              team: str | None = None) -> Scope:
    """What the caller asked for, narrowed by their role: a rep's ``rep_id`` is always
    themselves, a manager's ``team`` always their own; the read-everything roles get what
    they asked for."""
    if caller.role in READ_ALL:
        return Scope(rep_id, team)
    own_rep, own_team = rep_scope(caller, directory)
    if caller.role == "manager" and own_team is not None:
        return Scope(rep_id, own_team)
    # a rep; or a manager whose team is unknown, who then sees only their own records
    return Scope(own_rep or caller.rep_id or "", team)


def seen_as_of(caller: Principal, directory: Directory, as_of: AsOf, scope: Scope,
               region: str | None = None) -> Seen:
    """Which deals an answer as of an instant keeps: those whose owner then passed the
    scope's filters (the rep; the team's members then), and of those the ones the caller
    may see now (``list_scope``)."""
    owners = None if scope.rep_id is None else frozenset({scope.rep_id})
    if scope.team is not None:
        members = as_of.team(scope.team)
        owners = members if owners is None else owners & members
    visible = list_scope(caller, directory).owners
    return Seen(owners, region, None if visible is None else frozenset(visible))


def list_scope(caller: Principal, directory: Directory) -> ListScope:
    """Whose records a list shows the caller: the rule of single records (``api.access``)
    as a filter — a rep their own, a manager their team's (their own if their team is
    unknown) and records nobody owns yet, the read-everything roles everyone's."""
    if caller.role in READ_ALL:
        return ListScope()
    own = (caller.rep_id,) if caller.rep_id else ()
    if caller.role != "manager":
        return ListScope(owners=own)
    reps = directory.catch_up().reps
    mine = reps.get(caller.rep_id or "")
    team = tuple(r for r, entry in reps.items() if mine is not None and entry.team == mine.team)
    return ListScope(owners=tuple(dict.fromkeys(own + team)), unassigned=True)


def is_scoped(caller: Principal) -> bool:
    """Whether the caller sees only part of the records (rep, manager)."""
    return caller.role not in READ_ALL


def visible(caller: Principal, directory: Directory, rows: Iterable[dict[str, Any]],
            owner_key: str = "owner_id") -> list[dict[str, Any]]:
    """The rows whose owner the caller may see (all of them for the read-everything roles)."""
    if not is_scoped(caller):
        return list(rows)
    return [r for r in rows if can_see_owner(caller, directory, r[owner_key])]


def paged(items: Sequence[T], page: dict[str, Any]) -> list[T]:
    return list(items[page["offset"]:page["offset"] + page["limit"]])


PeriodQuery = Annotated[Period, Query(description="A month 2026-11, quarter 2026-Q4 or year "
                                                  "FY2026", examples=["2026-Q4"])]


def midnight(day: date) -> datetime:
    """The day's first instant, UTC (a period's bounds as instants)."""
    return datetime.combine(day, time(), UTC)


def utc(value: datetime | None) -> datetime:
    """The instant given (a naive one taken as UTC), or now."""
    if value is None:
        return datetime.now(UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
