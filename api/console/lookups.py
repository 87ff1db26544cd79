"""Lists several pages need, read through the API's own route functions (so with the API's
scope): the reps the caller may see — for names instead of ids, and the team and rep
pickers — and the signed-in person's name."""

from api.deps import Services
from api.errors import ApiError
from api.routers.lists import reps as list_reps
from api.routers.reps import get_rep
from domain.errors import DomainError
from infra.access.tokens import Principal
from projections.work_lists.answers import RepItem

PAGE = 500  # the largest page GET /v1/reps gives


def visible_reps(caller: Principal, services: Services, active: bool | None = None
                 ) -> list[RepItem]:
    """Every rep ``GET /v1/reps`` shows the caller (a rep themself, a manager their team,
    the other roles everyone), by name, all pages of it (``active=False``: the departed
    only, as ``?active=false``). Its page reads the ``lists`` model."""
    found: list[RepItem] = []
    cursor: str | None = None
    while True:
        page = list_reps(caller, services, None, limit=PAGE, cursor=cursor, active=active)
        found.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return found


def teams_of(reps: list[RepItem]) -> list[str]:
    return sorted({rep.team for rep in reps})


def name_of(caller: Principal, services: Services) -> str | None:
    """The signed-in rep's or manager's name (``GET /v1/reps/{id}``); None for a token of
    no rep (admin, auditor, integrator) or a rep the store does not know."""
    if caller.rep_id is None:
        return None
    try:
        return get_rep(caller.rep_id, caller, services).name
    except (ApiError, DomainError):
        return None
