"""Token: a bearer token's life as the store records it — issued for a role (and a person),
revoked. Who could see a record at an instant is read from these events with the records'
ownership and the reps' teams (``GET /v1/access/history``).

The secret, and its hash, never enter the store: the token table keeps the hash to verify
requests (``infra.access.tokens``); the events keep who held which role, and when.
"""

from dataclasses import dataclass, replace
from enum import StrEnum

from domain.errors import AlreadyExistsError, NotFoundError, ValidationError
from domain.events import Command, Event
from domain.values import require_member

STREAM = "Token"


class TokenRole(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    AUDITOR = "auditor"
    INTEGRATOR = "integrator"
    ADMIN = "admin"


ROLES = tuple(r.value for r in TokenRole)
PERSONAL_ROLES = (TokenRole.REP, TokenRole.MANAGER)  # a token of these roles acts for one rep
READ_ALL = (TokenRole.AUDITOR, TokenRole.INTEGRATOR, TokenRole.ADMIN)  # they see every record


@dataclass(frozen=True)
class TokenEvent(Event):
    stream_type = STREAM


@dataclass(frozen=True)
class TokenIssued(TokenEvent):
    token_id: str  # the id part of ``sfa_<id>_<secret>``: names it in listings
    role: str
    rep_id: str | None
    label: str | None


@dataclass(frozen=True)
class TokenRevoked(TokenEvent):
    pass


@dataclass(frozen=True)
class Token:
    token_id: str
    role: str
    rep_id: str | None
    revoked: bool = False


@dataclass(frozen=True)
class IssueToken(Command):
    token_id: str
    role: str
    rep_id: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class RevokeToken(Command):
    pass


def require_holder(role: str, rep_id: str | None) -> str:
    """The role, checked: one of ``ROLES``, and a rep's or manager's names their rep."""
    role = require_member("role", role, TokenRole)
    if role in PERSONAL_ROLES and not rep_id:
        raise ValidationError("rep", f"a {role} token needs --rep REP_ID")
    return role


def _issue(state: Token | None, c: IssueToken) -> list[Event]:
    if state is not None:
        raise AlreadyExistsError(f"token {c.token_id} already exists")
    return [TokenIssued(c.token_id, require_holder(c.role, c.rep_id), c.rep_id, c.label)]


def decide(state: Token | None, command: Command) -> list[Event]:
    if isinstance(command, IssueToken):
        return _issue(state, command)
    if not isinstance(command, RevokeToken):
        raise TypeError(f"not a token command: {command!r}")
    if state is None:
        raise NotFoundError("token not found")
    return [] if state.revoked else [TokenRevoked()]


def evolve(state: Token | None, event: Event) -> Token:
    if isinstance(event, TokenIssued):
        return Token(event.token_id, event.role, event.rep_id)
    assert state is not None, f"{type(event).__name__} before TokenIssued"
    return replace(state, revoked=True) if isinstance(event, TokenRevoked) else state
