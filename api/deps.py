"""Request dependencies: the caller, the command context, and read-your-writes waits.

The cheap ones are ``async def``: FastAPI runs a plain ``def`` dependency in the threadpool,
one hop per dependency and request, which under load costs more than the work itself. Only
what may block (a token not verified in the last second, the wait for ``min_position``) goes
to a thread."""

import re
import time
from dataclasses import dataclass, replace
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.access import require_role
from api.errors import ApiError, unauthorized
from api.inputs import IF_MATCH_PATTERN, MAX_POSITION, HeaderText, IfMatchText
from infra.access.tokens import Principal
from infra.bootstrap import Root
from infra.eventstore.ids import parse_id, price_list_id, stock_item_id
from infra.readside.serving import Serving
from infra.service.commands import CommandContext
from projections.catalog import BY_NAME

MIN_POSITION_WAIT_SECONDS = 5.0
UPGRADE_RETRY_AFTER = 5  # seconds: a model's rebuild for a new version takes a while
# in a request's state: its Idempotency-Key was taken over from a process that died (api.idempotency)
TAKEN_OVER = "idempotency_taken_over"


Services = Root  # what a request takes from the process: its composition root's objects


async def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


IdempotencyKey = Annotated[HeaderText | None, Header(
    description="Makes a retried POST answer the first answer and write nothing new")]
CorrelationId = Annotated[HeaderText | None, Header(
    description="Recorded on every event of the command (default: the request's id)")]
IfMatch = Annotated[IfMatchText | None, Header(
    description="The record's version the client last saw (`3`, `\"3\"` or `W/\"3\"`, ASCII "
                "digits): 409 `version_conflict` if it moved on")]


async def verify_token(services: Services, token: str) -> Principal | None:
    """A token verified less than a second ago costs no read and no thread hop."""
    return (services.tokens.remembered(token)
            or await run_in_threadpool(services.tokens.verify, token))


async def authenticate(services: Services, credentials: HTTPAuthorizationCredentials | None
                       ) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized()
    found = await verify_token(services, credentials.credentials)
    if found is None:
        raise unauthorized("unknown or revoked token")
    return found


class TokenBearer(HTTPBearer):
    """The bearer scheme (for the OpenAPI document) and the caller: the one
    ``api.edge.Authenticate`` checked before the body was read, or, in an app without that
    middleware, checked here before any other parameter is validated."""

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        checked: Principal | None = request.scope.get("state", {}).get("principal")
        if checked is not None:
            return checked
        services: Services = request.app.state.services
        return await authenticate(services, await super().__call__(request))


principal = TokenBearer(auto_error=False, scheme_name="HTTPBearer",
                        description="A token from `sfa tokens create`")
PrincipalDep = Annotated[Principal, Depends(principal)]


def only(*roles: str) -> Any:
    """The dependency of a route only ``roles`` may call — ``_: Annotated[None,
    only("admin")]`` — refused (403) before its inputs are read, so a role that may not ask
    learns nothing from a 422."""

    def check(caller: PrincipalDep) -> None:
        require_role(caller, *roles)

    return Depends(check)


def context_of(request: Request, caller: Principal, idempotency_key: str | None,
               correlation_id: str | None) -> CommandContext:
    """Every event records the token's subject as actor; the request id is the causation."""
    request_id = str(uuid4())
    request.state.request_id = request_id
    key = f"{caller.subject}:{idempotency_key}" if idempotency_key else None
    return CommandContext(actor=caller.subject, correlation_id=correlation_id or request_id,
                          causation_id=request_id, idempotency_key=key,
                          taken_over=bool(getattr(request.state, TAKEN_OVER, False)))


def version_in(if_match: str | None) -> int | None:
    """``If-Match: 3`` (or ``"3"``, ``W/"3"``): the version the client last saw. ASCII digits
    only: ``str.isdigit`` also takes ``²`` and other digits ``int`` cannot read."""
    if if_match is None:
        return None
    if re.fullmatch(IF_MATCH_PATTERN, if_match) is None:  # also bounds its length
        raise ApiError(422, "invalid_input", f"If-Match: not a version number: {if_match[:40]!r}")
    return int(if_match.strip(" ").removeprefix("W/").strip('"'))


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
                  x_correlation_id: CorrelationId = None,
                  if_match: IfMatch = None) -> Command:
    """Every command route takes ``If-Match``: a command on a record is then conditional on
    its version (409 ``version_conflict`` when stale); a create has none to match (422)."""
    found: Services = request.app.state.services
    ctx = context_of(request, caller, idempotency_key, x_correlation_id)
    if if_match is None and "if-match" in request.headers:  # sent empty: refused, not ignored
        if_match = request.headers["if-match"]
    version = version_in(if_match)
    if version is not None:
        ctx = replace(ctx, expected=(record_named_in(request), version))
    return Command(found, caller, ctx, version)


def record_named_in(request: Request) -> UUID:
    """The stream of the record a command route names first in its path (``/v1/leads/{lead_id}
    /...``, ``/v1/stock-items/{sku}/...``, ``/v1/price-lists/{region}``): the one ``If-Match``
    is about."""
    if not request.path_params:
        raise ApiError(422, "invalid_input",
                       "If-Match: a create has no version to match; send it without If-Match")
    name, value = next(iter(request.path_params.items()))
    if name == "region":
        return price_list_id(value)
    return stock_item_id(value) if name == "sku" else parse_id(value, name)


CommandDep = Annotated[Command, Depends(command)]
VersionedCommandDep = CommandDep  # the earlier name: every command honours If-Match now


def read_models_at(serving: Serving, names: tuple[str, ...] = ()) -> int:
    """The lowest position among the active read models (0 before any is built)."""
    return serving.position(names or tuple(BY_NAME))


MinPosition = Annotated[int | None, Query(
    ge=0, le=MAX_POSITION, description="Answer only once the read models reached this position "
                                       "(a command answer's `position`): read your writes")]


def reads(*names: str) -> Any:
    """The dependency of a query over the read models ``names`` — ``_: Annotated[None,
    reads("funnel")]`` — that lets it answer only when they can.

    A query reads only its own models: when an event stopped one of them (``sfa projections
    status`` shows it ``failed``), its queries answer 503 ``read_model_failed`` naming the
    event, while every other query goes on answering. After an upgrade that changed a model,
    its queries answer 503 ``read_model_upgrading`` until the new version, built beside the
    old one, is swapped in (this code's queries cannot read the old version's tables). With
    ``min_position`` the query waits for its own models only to reach it (503
    ``not_caught_up``)."""
    unknown = [name for name in names if name not in BY_NAME]
    if not names or unknown:
        raise ValueError(f"a query reads known read models, not {unknown or 'none'}")

    def wait_for(services: ServicesDep, min_position: MinPosition = None) -> None:
        wait_until_readable(services, names, min_position)

    wait_for.read_models = names  # type: ignore[attr-defined]  # which models a route reads
    return Depends(wait_for)


def wait_until_readable(services: Services, names: tuple[str, ...],
                        min_position: int | None) -> None:
    side = services.serving
    refuse_failed(side, names)
    if min_position is None:
        return
    head = services.sales.store.max_position()
    if min_position > head:  # a valid number the store has not reached: a conflict, not 422
        raise ApiError(409, "position_ahead",
                       f"min_position: {min_position} is beyond the last stored event ({head})",
                       fields=["min_position"])
    deadline, pause = time.monotonic() + MIN_POSITION_WAIT_SECONDS, 0.005
    while read_models_at(side, names) < min_position:
        refuse_failed(side, names, fresh=True)
        if time.monotonic() > deadline:
            raise ApiError(503, "not_caught_up",
                           f"read models have not reached position {min_position} yet",
                           {"Retry-After": "1"})
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def refuse_failed(side: Serving, names: tuple[str, ...], fresh: bool = False) -> None:
    """503 when a model of the query cannot answer: stopped by an event, or still of an older
    version than this code's (an upgrade's rebuild has not swapped it in yet)."""
    outdated = side.outdated(names, fresh)
    if outdated:
        raise ApiError(503, "read_model_upgrading",
                       f"read model {outdated[0]} is being rebuilt for this version of sfa-core; "
                       "it answers once the new version is swapped in",
                       {"Retry-After": str(UPGRADE_RETRY_AFTER)})
    failures = side.failures(names, fresh)
    if failures:
        name, error = next(iter(failures.items()))
        raise ApiError(503, "read_model_failed",
                       f"read model {name} is stopped by the event at {error}; it answers "
                       f"again once rebuilt (sfa projections rebuild {name})")



async def page(limit: Annotated[int, Query(ge=1, le=500)] = 100,
               offset: Annotated[int, Query(ge=0, le=MAX_POSITION - 500)] = 0) -> dict[str, Any]:
    return {"limit": limit, "offset": offset}


PageDep = Annotated[dict[str, Any], Depends(page)]
