"""Who may see which record: the one rule, for the routes and the flows they start alike.

A record is seen through its owner (a rep is their own owner, an order its account's):
- rep: only what they own;
- manager: what they or a rep of their team own, and leads nobody owns yet;
- auditor, integrator, admin: everything (whether they may *write* is the API's business).
A command is checked on every record it names — the one in its path and every id in its
body (``Ref``) — with this same rule. A record the caller may not see is refused exactly
like an unknown one: ``NotFoundError`` with the same detail, ``"<kind> <id> not found"``,
so that the answer never tells which ids exist.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain import account, lead, opportunity, order, rep
from domain.catalog import AGGREGATES, AggregateType
from domain.errors import NotFoundError
from domain.token import READ_ALL
from infra.access.tokens import Principal
from infra.errors import ConflictError
from infra.eventstore.ids import parse_id
from infra.service.commands import CommandBus
from infra.service.directory import Directory, DirectoryState

WRITERS = ("rep", "manager", "admin")
KINDS: dict[str, AggregateType] = {
    "rep": AGGREGATES[rep.STREAM], "lead": AGGREGATES[lead.STREAM],
    "account": AGGREGATES[account.STREAM], "opportunity": AGGREGATES[opportunity.STREAM],
    "order": AGGREGATES[order.STREAM],
}


def team_of(directory: Directory, rep_id: str | None) -> str | None:
    if rep_id is None:
        return None
    entry = directory.catch_up().reps.get(rep_id)
    return entry.team if entry else None


def sees_owner(principal: Principal, state: DirectoryState, owner_id: str | None) -> bool:
    """The rule, on a directory state already caught up (cheap: for many rows at once)."""
    if principal.role in READ_ALL:
        return True
    if principal.role == "rep":
        return owner_id is not None and owner_id == principal.rep_id
    if principal.role == "manager":
        if owner_id is None or owner_id == principal.rep_id:
            return True  # unassigned leads are for managers to distribute
        mine, theirs = state.reps.get(principal.rep_id or ""), state.reps.get(owner_id)
        return mine is not None and theirs is not None and mine.team == theirs.team
    return False


def can_see_owner(principal: Principal, directory: Directory, owner_id: str | None) -> bool:
    """Whether the caller may see a record owned by ``owner_id`` (None: unassigned)."""
    if principal.role in READ_ALL or principal.role == "rep":
        return sees_owner(principal, DirectoryState(), owner_id)  # no team needed
    return sees_owner(principal, directory.catch_up(), owner_id)


class Sight:
    """The rule for one caller over many rows at once (query answers): the directory is
    caught up once. Records are looked up by id in the command-side directory (their
    current owner; an order through its account); actors are people (rep ids), tokens
    (``token:…``) or the system's flows (``system:…``, seen by all)."""

    def __init__(self, principal: Principal, directory: Directory) -> None:
        self.principal = principal
        self.everything = principal.role in READ_ALL
        self.state = DirectoryState() if self.everything else directory.catch_up()

    def owner(self, owner_id: str | None) -> bool:
        return sees_owner(self.principal, self.state, owner_id)

    def record(self, record_id: str | None) -> bool:
        """Whether the caller may see this lead, account, opportunity or order (an id the
        directory does not know: no)."""
        if self.everything:
            return True
        record_id = self.state.order_accounts.get(record_id or "", record_id)
        item = self.state.items.get(record_id or "")
        return item is not None and self.owner(item.owner_id)

    def actor(self, actor: str | None) -> bool:
        return (self.everything or actor is None or actor.startswith("system:")
                or (not actor.startswith("token:") and self.owner(actor)))


@dataclass(frozen=True)
class Ref:
    """A record a command names: its kind (a key of ``KINDS``), its id (None: not given,
    nothing to check) and the body field that names it."""

    kind: str
    record_id: str | UUID | None
    field: str


def missing(kind: str, record_id: str | UUID) -> NotFoundError:
    """The one refusal for an unknown, invisible or other-kind record."""
    return NotFoundError(f"{kind} {record_id} not found")


def load_ref(bus: CommandBus, ref: Ref) -> Any:
    """The record's current state; an unknown id (or one of another kind of record) is
    ``missing``. A malformed id is a ``ValidationError`` naming the field (422)."""
    assert ref.record_id is not None
    stream_id = parse_id(str(ref.record_id), ref.field)
    try:
        state = bus.load(KINDS[ref.kind], stream_id).state
    except (NotFoundError, ConflictError):  # the id names another kind of record
        state = None
    if state is None:
        raise missing(ref.kind, stream_id)
    return state


def owner_of(bus: CommandBus, kind: str, state: Any) -> str | None:
    """Through whom a record is seen: a rep is their own owner, an order its account's."""
    if kind == "rep":
        return str(state.id)
    if kind == "order":
        customer = load_ref(bus, Ref("account", state.account_id, "account_id"))
        return str(customer.owner_id)
    owner: str | None = state.owner_id
    return owner


def require_visible(principal: Principal, directory: Directory, bus: CommandBus,
                    refs: Iterable[Ref]) -> dict[str, Any]:
    """Every named record exists and the caller may see it, else ``missing`` (404), the
    same for both. Answers the states read, by field, for checks of their own."""
    states: dict[str, Any] = {}
    for ref in refs:
        if ref.record_id is None:
            continue
        state = load_ref(bus, ref)
        if not can_see_owner(principal, directory, owner_of(bus, ref.kind, state)):
            raise missing(ref.kind, parse_id(str(ref.record_id), ref.field))
        states[ref.field] = state
    return states


RecordCheck = Callable[[str, str, str | None], None]
"""Refuses (``missing``) a record the caller may not see: (kind, id, its owner). Flows that
read a referenced record inside their unit of work check it there, on the state decided on."""


def record_check(principal: Principal, directory: Directory) -> RecordCheck:
    def check(kind: str, record_id: str, owner_id: str | None) -> None:
        if not can_see_owner(principal, directory, owner_id):
            raise missing(kind, record_id)

    return check
