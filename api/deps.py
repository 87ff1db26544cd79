"""Request dependencies: the caller, the command context, and read-your-writes waits.

The cheap ones are ``async def``: FastAPI runs a plain ``def`` dependency in the threadpool,
one hop per dependency and request, which under load costs more than the work itself. Only
what may block (a token not verified in the last second, the wait for ``min_position``) goes
to a thread."""

import time
from dataclasses import dataclass, replace
from typing import Annotated, Any
from uuid import uuid4

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError, unauthorized
from api.read_side import ReadSide, models_of
from infra.bootstrap import Sales
from infra.commands import CommandContext
from infra.sqldb import Database
from infra.tokens import Principal, TokenStore
from projections.catalog import BY_NAME

MIN_POSITION_WAIT_SECONDS = 5.0


@dataclass
class Services:
    sales: Sales
    db: Database
    tokens: TokenStore
    read_side: ReadSide | None = None  # made on first use


async def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


IdempotencyKey = Annotated[str | None, Header(max_length=200)]
CorrelationId = Annotated[str | None, Header(max_length=200)]
IfMatch = Annotated[str | None, Header()]


async def authenticate(services: Services, credentials: HTTPAuthorizationCredentials | None
                       ) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized()
    token = credentials.credentials
    found = (services.tokens.remembered(token)
             or await run_in_threadpool(services.tokens.verify, token))
    if found is None:
        raise unauthorized("unknown or revoked token")
    return found


class TokenBearer(HTTPBearer):
    """The bearer scheme that also checks the token: the caller in one dependency, solved
    before any other parameter is validated, so a request without a valid token is a 401
    whatever else is wrong with it."""

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        services: Services = request.app.state.services
        return await authenticate(services, await super().__call__(request))


principal = TokenBearer(auto_error=False, scheme_name="HTTPBearer",
                        description="A token from `sfa tokens create`")
PrincipalDep = Annotated[Principal, Depends(principal)]


def context_of(request: Request, caller: Principal, idempotency_key: str | None,
               correlation_id: str | None) -> CommandContext:
    """Every event records the token's subject as actor; the request id is the causation."""
    request_id = str(uuid4())
    request.state.request_id = request_id
    key = f"{caller.subject}:{idempotency_key}" if idempotency_key else None
    return CommandContext(actor=caller.subject, correlation_id=correlation_id or request_id,
                          causation_id=request_id, idempotency_key=key)


def version_in(if_match: str | None) -> int | None:
    """``If-Match: 3`` (or ``"3"``, ``W/"3"``): the version the client last saw."""
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise ApiError(422, "invalid_input", f"If-Match: not a version number: {if_match!r}")
    return int(text)


@dataclass(frozen=True)
class Command:
    """All a command route takes from its request, as one dependency. FastAPI solves a
    dependency again everywhere it appears in a route's tree, cached or not: the services,
    the caller, the context and the version as dependencies of their own cost a command
    request more CPU than deciding the command (measured in bench/, BENCHMARKS.md)."""

    services: Services
    caller: Principal
    ctx: CommandContext
    expected_version: int | None = None


async def command(request: Request, caller: PrincipalDep,
                  idempotency_key: IdempotencyKey = None,
                  x_correlation_id: CorrelationId = None) -> Command:
    found: Services = request.app.state.services
    return Command(found, caller, context_of(request, caller, idempotency_key, x_correlation_id))


async def versioned_command(request: Request, caller: PrincipalDep,
                            idempotency_key: IdempotencyKey = None,
                            x_correlation_id: CorrelationId = None,
                            if_match: IfMatch = None) -> Command:
    """``command`` with ``If-Match``: the version the client last saw."""
    found = await command(request, caller, idempotency_key, x_correlation_id)
    return replace(found, expected_version=version_in(if_match))


CommandDep = Annotated[Command, Depends(command)]
VersionedCommandDep = Annotated[Command, Depends(versioned_command)]


def read_models_at(db: Database, names: tuple[str, ...] = ()) -> int:
    """The lowest position among the active read models (0 before any is built)."""
    return ReadSide(db).position(names or tuple(BY_NAME))


def read_side(services: Services) -> ReadSide:
    if services.read_side is None:
        services.read_side = ReadSide(services.db)
    return services.read_side


def wait_for(request: Request, services: ServicesDep,
             min_position: Annotated[int | None, Query(
                 ge=0, description="Answer only once the read models reached this position "
                                   "(a command answer's `position`): read your writes")] = None,
             ) -> None:
    """The query's own read models can answer: none stopped by an event (503
    ``read_model_failed``), and, with ``min_position``, all at it (503 ``not_caught_up``)."""
    names = models_of(getattr(request.scope.get("route"), "path", None))
    side = read_side(services)
    refuse_failed(side, names)
    if min_position is None:
        return
    head = services.sales.store.max_position()
    if min_position > head:
        raise ApiError(422, "invalid_input",
                       f"min_position: {min_position} is beyond the last stored event ({head})")
    deadline, pause = time.monotonic() + MIN_POSITION_WAIT_SECONDS, 0.005
    while read_models_at(services.db, names) < min_position:
        refuse_failed(side, names, fresh=True)
        if time.monotonic() > deadline:
            raise ApiError(503, "not_caught_up",
                           f"read models have not reached position {min_position} yet",
                           {"Retry-After": "1"})
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def refuse_failed(side: ReadSide, names: tuple[str, ...], fresh: bool = False) -> None:
    failures = side.failures(names, fresh)
    if failures:
        name, error = next(iter(failures.items()))
        raise ApiError(503, "read_model_failed",
                       f"read model {name} is stopped by the event at {error}; it answers "
                       f"again once rebuilt (sfa projections rebuild {name})")


WaitDep = Annotated[None, Depends(wait_for)]


async def page(limit: Annotated[int, Query(ge=1, le=500)] = 100,
               offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    return {"limit": limit, "offset": offset}


PageDep = Annotated[dict[str, Any], Depends(page)]
