"""Who may do and see what: the one place that decides, for commands and queries alike.

- rep: only records they own (leads, accounts, opportunities, and orders of their accounts);
- manager: the records of their team (owners in the same team), and their own;
- auditor: reads everything, writes nothing;
- integrator: read-only queries (and the stream);
- admin: everything.
The visibility rule itself is ``infra.service.visibility`` (the flows use it too). A record the caller
may not see answers 404, exactly like an unknown one — the record in the path (checked by the
command's guard, ``may_act``, on the state the command is decided on) and every record the
body names (``check_refs``): a rep cannot join another rep's account, a manager cannot name an
owner, assignee or successor outside their team.
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


def check_visible(principal: Principal, directory: Directory, owner_id: str | None,
                  what: str) -> None:
    if not can_see_owner(principal, directory, owner_id):
        raise not_found(what)


def _owner(state: Any) -> str | None:
    owner: str | None = state.owner_id
    return owner


def may_act(caller: Principal, sales: Sales, what: str, *refs: Ref,
            roles: tuple[str, ...] = (),
            owner: Callable[[Any], str | None] = _owner) -> Guard:
    """The guard of a command on the record ``what`` (``CommandBus.handle``), checked on the
    very state the command is decided on, in this order: the record exists and the caller
    may see it (else 404, the same for both, as the domain's ``NotFoundError``), the caller
    is a writer (403) of one of ``roles`` (if given, 403), and may see every record the body
    names (``check_refs``: a read of their own, 404). ``owner``: through whom the record is
    seen (its owner; a rep themself; an order its account's owner)."""

    def guard(loaded: Loaded) -> None:
        if loaded.state is None or not can_see_owner(caller, sales.directory,
                                                     owner(loaded.state)):
            raise NotFoundError(f"{what} not found")
        require_writer(caller)
        if roles:
            require_role(caller, *roles)
        if refs:
            check_refs(caller, sales, *refs)

    return guard


def may_advance_handover(caller: Principal, sales: Sales, what: str) -> Guard:
    """Whoever must act on a hand-over may record its steps — in the middle tier that is the
    departing rep, who no longer owns the record; else as ``may_act``."""
    acting = may_act(caller, sales, what)

    def guard(loaded: Loaded) -> None:
        actor_id = getattr(loaded.state, "handover_actor_id", None)
        if actor_id is not None and caller.rep_id == actor_id and caller.role in WRITERS:
            return
        acting(loaded)

    return guard


def known(what: str) -> Guard:
    """The guard of a command open to its role on any record: the record exists (404)."""

    def guard(loaded: Loaded) -> None:
        if loaded.state is None:
            raise NotFoundError(f"{what} not found")

    return guard


def visibility_reads_store(principal: Principal) -> bool:
    """Whether checking what the caller may see reads the store: a manager's team check
    catches the directory up with the newest events; every other role's check is in memory."""
    return principal.role == "manager"


def rep_scope(principal: Principal, directory: Directory) -> tuple[str | None, str | None]:
    """Filters a query must apply for this caller: (rep_id, team)."""
    if principal.role == "rep":
        return principal.rep_id, None
    if principal.role == "manager":
        return None, team_of(directory, principal.rep_id)
    return None, None


__all__ = ["READ_ALL", "WRITERS", "ApiError", "Ref", "Sight", "can_see_owner", "check_refs",
           "check_visible", "known", "may_act", "may_advance_handover", "record_check",
           "rep_scope", "require_role", "require_writer", "team_of", "visibility_reads_store"]
