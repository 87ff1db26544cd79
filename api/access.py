"""Who may do and see what: the one place that decides, for commands and queries alike.

- rep: only records they own (leads, accounts, opportunities, and orders of their accounts);
- manager: the records of their team (owners in the same team), and their own;
- auditor: reads everything, writes nothing;
- integrator: read-only queries (and the stream);
- admin: everything.
The visibility rule itself is ``infra.service.visibility`` (the flows use it too). A record the caller
may not see answers 404, exactly like an unknown one — the record in the path and every
record the body names (``check_refs``): a rep cannot join another rep's account, a manager
cannot name an owner, assignee or successor outside their team.
"""

from collections.abc import Callable
from typing import Any

from api.errors import ApiError, forbidden, not_found
from domain.errors import NotFoundError
from infra.access.tokens import Principal
from infra.bootstrap import Sales
from infra.eventstore.store import Loaded
from infra.service.commands import Guard
from infra.service.directory import Directory
from infra.service.visibility import (
    READ_ALL,
    WRITERS,
    Ref,
    Sight,
    can_see_owner,
    record_check,
    require_visible,
    team_of,
)


def require_role(principal: Principal, *roles: str) -> None:
    if principal.role not in roles:
        raise forbidden(f"the {principal.role} role may not do this")


def require_writer(principal: Principal) -> None:
    require_role(principal, *WRITERS)


def check_refs(caller: Principal, sales: Sales, *refs: Ref) -> dict[str, Any]:
    """The check of every record a command names in its body (an account to join, an owner,
    assignee, successor or manager to name, an opportunity to link): the caller must be a
    writer (403) and see each of them by the same rule as the path record — an unknown or
    invisible one is 404 ``not_found``, the same answer for both. Answers the states read."""
    require_writer(caller)
    return require_visible(caller, sales.directory, sales.bus, refs)


def check_rep_visible(caller: Principal, sales: Sales, rep_id: str) -> Any:
    """A rep as the path record: seen by the rule (themself, their team's manager, the
    read-everything roles); unknown or not visible: 404. Answers the rep's state."""
    return require_visible(caller, sales.directory, sales.bus, [Ref("rep", rep_id, "rep_id")])[
        "rep_id"]


def check_visible(principal: Principal, directory: Directory, owner_id: str | None,
                  what: str) -> None:
    if not can_see_owner(principal, directory, owner_id):
        raise not_found(what)


def check_may_act(principal: Principal, directory: Directory, owner_id: str | None,
                  what: str) -> None:
    """Writers act on records they can see; others get 403 (if they can see it) or 404."""
    check_visible(principal, directory, owner_id, what)
    require_writer(principal)


def may_see_check(principal: Principal, directory: Directory, what: str) -> Callable[[Any], None]:
    """``check_visible`` on a record's state, for a unit of work (``Unit.require``): an
    invisible record is the domain's ``NotFoundError``, so that a refusal on a cached state
    is checked again on the current one."""

    def check(record: Any) -> None:
        if not can_see_owner(principal, directory, record.owner_id):
            raise NotFoundError(f"{what} not found")

    return check


def may_act_guard(principal: Principal, directory: Directory, what: str) -> Guard:
    """``check_may_act`` as a command guard (``CommandBus.execute``): checked on the state the
    command is decided on, with no read of its own. An unknown or invisible record is the
    domain's ``NotFoundError`` (404, as ``not_found``), so that a refusal on a cached state is
    checked again on the current one."""

    may_see = may_see_check(principal, directory, what)

    def guard(loaded: Loaded) -> None:
        if loaded.state is None:
            raise NotFoundError(f"{what} not found")
        may_see(loaded.state)
        require_writer(principal)

    return guard


def visibility_reads_store(principal: Principal) -> bool:
    """Whether checking what the caller may see reads the store: a manager's team check
    catches the directory up with the newest events; every other role's check is in memory."""
    return principal.role == "manager"


def check_may_advance_handover(principal: Principal, directory: Directory, owner_id: str | None,
                               actor_id: str | None, what: str) -> None:
    """Whoever must act on a hand-over may record its steps — in the middle tier that is the
    departing rep, who no longer owns the record."""
    if actor_id is not None and principal.rep_id == actor_id and principal.role in WRITERS:
        return
    check_may_act(principal, directory, owner_id, what)


def rep_scope(principal: Principal, directory: Directory) -> tuple[str | None, str | None]:
    """Filters a query must apply for this caller: (rep_id, team)."""
    if principal.role == "rep":
        return principal.rep_id, None
    if principal.role == "manager":
        return None, team_of(directory, principal.rep_id)
    return None, None


__all__ = ["READ_ALL", "WRITERS", "ApiError", "Ref", "Sight", "can_see_owner", "check_may_act",
           "check_may_advance_handover", "check_refs", "check_rep_visible", "check_visible",
           "record_check", "rep_scope", "require_role", "require_writer", "team_of"]
