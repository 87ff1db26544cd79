"""What every console page shares: its declaration (``Page``), what its function is handed
(``View``), rendering a template inside the layout, and every failure shown as a page.

A console route is a ``ConsoleRoute``: whatever it raises becomes a page of the layout with
the status the API would answer (a model being rebuilt or stopped: 503, as ``reads()`` has
the API answer; an unknown record: 404; a bad address: 422; a forged form: 403), or, for a
visitor without a session, the redirect to the sign-in page — never a traceback, never JSON.
"""

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined
from pydantic import TypeAdapter
from pydantic import ValidationError as InvalidValue
from starlette.concurrency import run_in_threadpool

from api.console import charts, formatting, session
from api.console.lookups import name_of
from api.console.session import NotSignedInError, RefusedError, Session
from api.deps import Services, wait_until_readable
from api.errors import ApiError
from api.inputs import Instant
from api.reading import utc
from domain.errors import DomainError, NotFoundError, ValidationError
from domain.token import ROLES
from infra.access.tokens import Principal
from infra.errors import DatabaseUnavailableError, ReadModelMissingError

log = logging.getLogger(__name__)
TEMPLATES = Environment(loader=PackageLoader("api.console", "templates"), autoescape=True,
                        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
formatting.install(TEMPLATES)
TEMPLATES.globals["meter"] = charts.meter  # a rate's bar in a table cell, on any page
NAV: list["Page"] = []  # the pages in the navigation, in order (filled by api.console.site)


class PageError(Exception):
    """A page that cannot be shown, and why, in words for the person looking at it."""

    def __init__(self, status: int, title: str, detail: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.headers = status, title, detail, headers


@dataclass(frozen=True)
class Page:
    """A page of the console: its title in the navigation, its path under ``/console``, its
    template, the read models its figures come from, and the roles that may see it."""

    title: str
    path: str
    template: str
    reads: tuple[str, ...]
    roles: tuple[str, ...] = ROLES

    def viewer(self) -> Any:
        """The dependency of the page's route: the ``View``, once the visitor is signed in
        (else the sign-in page), of a role that sees the page (else 403) and the page's
        models can answer (else 503, by ``api.deps``'s rule for ``reads()``)."""
        async def view(request: Request) -> View:
            signed = await session.signed_in(request)
            request.state.console_session = signed
            if signed.caller.role not in self.roles:
                raise PageError(403, "Not for your role",
                                f"The {signed.caller.role} role does not see the {self.title} page.")
            services: Services = request.app.state.services

            def ready() -> str | None:
                wait_until_readable(services, self.reads, None)
                return name_of(signed.caller, services)

            return View(request, signed, self, await run_in_threadpool(ready))

        return Depends(view)


@dataclass(frozen=True)
class View:
    """What a page's function is handed: who asks, the app's services, and ``render``."""

    request: Request
    session: Session
    page: Page
    person: str | None = None  # the signed-in rep's or manager's name

    @property
    def caller(self) -> Principal:
        return self.session.caller

    @property
    def services(self) -> Services:
        found: Services = self.request.app.state.services
        return found

    def render(self, status: int = 200, **context: Any) -> HTMLResponse:
        return render(self.request, self.page.template, {"person": self.person, **context},
                      self.session, self.page, status)


def render(request: Request, template: str, context: dict[str, Any],
           signed: Session | None = None, page: Page | None = None, status: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """``template`` (which extends base.html) with the layout's values: the navigation for
    the visitor's role, the CSRF token of their forms, the flash message a redirect left."""
    message = session.flashed(request)
    html = TEMPLATES.get_template(template).render(
        **{"person": None, **context}, page=page, signed=signed, flash=message, root=session.root(request),
        nav=[p for p in NAV if signed is not None and signed.caller.role in p.roles],
        csrf=signed.csrf if signed else "", csrf_field=session.CSRF_FIELD)
    response = HTMLResponse(html, status, headers)
    session.flash_shown(request, response)
    return response


def console_router() -> APIRouter:
    """The router of a console module: under ``/console``, out of the OpenAPI document,
    its failures shown as pages."""
    return APIRouter(prefix="/console", include_in_schema=False, route_class=ConsoleRoute)


class ConsoleRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as error:  # noqa: BLE001 — every failure is answered as a page
                return problem_page(request, error)

        return answer


def problem_page(request: Request, error: Exception) -> Response:
    if isinstance(error, NotSignedInError):
        return to_sign_in(request)
    problem = problem_of(error)
    if problem is None:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
        problem = 500, "Something went wrong", "An unexpected error occurred; it was logged.", None
    status, title, detail, headers = problem
    signed = getattr(request.state, "console_session", None)
    return render(request, "problem.html", {"title": title, "detail": detail}, signed,
                  status=status, headers=headers)


def to_sign_in(request: Request) -> RedirectResponse:
    """303 to the sign-in page, which brings the visitor back here (a page they asked for
    with GET) and forgets a session cookie whose token no longer signs in."""
    target = f"{session.root(request)}/sign-in"
    here = request.url.path.removeprefix(str(request.scope.get("root_path", "")).rstrip("/"))
    if request.method == "GET" and session.safe_next(here):
        query = f"?{request.url.query}" if request.url.query else ""
        target += "?next=" + quote(here + query, safe="")
    response = RedirectResponse(target, 303)
    if session.COOKIE in request.cookies:
        session.end(request, response)
    return response


UNAVAILABLE = {
    "read_model_upgrading": "Being rebuilt for this version",
    "read_model_failed": "Stopped by an event",
    "not_caught_up": "Not caught up yet",
}


Problem = tuple[int, str, str, dict[str, str] | None]


def problem_of(error: Exception) -> Problem | None:
    """(status, title, detail, headers) of a failure, as the API would answer it; None for
    an unexpected one."""
    if isinstance(error, PageError):
        return error.status, error.title, error.detail, error.headers
    if isinstance(error, RefusedError):
        return 403, "Refused", str(error), None
    if isinstance(error, ApiError):
        return (error.status, UNAVAILABLE.get(error.code, error.code.replace("_", " ").capitalize()),
                error.detail, error.headers)
    if isinstance(error, ReadModelMissingError):
        return 503, "Still starting", "The figures are still being built; reload in a moment.", {
            "Retry-After": "1"}
    if isinstance(error, DatabaseUnavailableError):
        return 503, "Database unavailable", error.detail, {"Retry-After": "2"}
    if isinstance(error, DomainError):
        status = 404 if isinstance(error, NotFoundError) else (
            422 if isinstance(error, ValidationError) else 409)
        return status, "Not found" if status == 404 else "Not possible", error.detail, None
    if isinstance(error, RequestValidationError):
        return 422, "Not an address of this page", "; ".join(
            str(e["msg"]) for e in error.errors()), None
    return None


def optional(kind: Any, value: str, name: str) -> Any:
    """A query parameter of a page's form: blank (the form's "all") is None; else the value
    as the API's input type ``kind`` takes it (``api.inputs``), or a 422 page naming it."""
    if value == "":
        return None
    try:
        return TypeAdapter(kind).validate_python(value)
    except InvalidValue:
        raise PageError(422, "Not an address of this page",
                        f"{name}: not a value this page takes") from None


LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # a datetime-local input's value


def chosen_instant(as_of: str) -> datetime | None:
    """The form's datetime-local value (minutes, UTC) or any ISO 8601 instant; blank: now."""
    instant: datetime | None = optional(Instant, as_of, "as_of")
    return None if instant is None else utc(instant)
