"""The Operations page (admins): the read models (generation, position, lag, rebuild
progress), the projector process, the Kafka relay and the audit chain's sealed head — and a
Rebuild button per model whose progress the page shows live.

Its figures are ``api.operations.operations`` (what ``/healthz``, ``/metrics`` and ``sfa
projections status`` read, by the same functions). Rebuild asks the projector process
through the registry (``api.operations.request_rebuild``; why: ``ReadModels.request_rebuild``)
and comes back here (303). ``static/operations.js`` then polls ``/console/operations/status``
(the same answer as JSON) and updates the rows in place until the new generation is swapped
in; without script, the page refreshes itself while a rebuild is under way
(``<noscript><meta http-equiv="refresh">``) and has a reload link.
"""

from typing import Annotated

from fastapi import Depends
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from api.console import session
from api.console.session import PostedForm, checked_form
from api.console.views import Page, PageError, View, console_router
from api.operations import Operations, operations, request_rebuild
from projections.catalog import BY_NAME

PAGE = Page(title="Operations", path="/operations", template="operations.html", reads=(),
            roles=("admin",))
router = console_router()
OperationsView = Annotated[View, PAGE.viewer()]
Form = Annotated[PostedForm, Depends(checked_form)]
REFRESH_SECONDS = 2  # without script, while a rebuild is under way


def under_way(found: Operations) -> bool:
    return any(m.rebuild is not None and m.rebuild.status != "failed" for m in found.read_models)


@router.get(PAGE.path)
async def operations_page(view: OperationsView) -> HTMLResponse:
    found = await run_in_threadpool(operations, view.services)
    return view.render(ops=found, refresh=REFRESH_SECONDS if under_way(found) else None)


@router.get(PAGE.path + "/status")
async def operations_status(view: OperationsView) -> JSONResponse:
    """The page's figures as JSON, for its script (the session's cookie, not a bearer token)."""
    found = await run_in_threadpool(operations, view.services)
    return JSONResponse(found.model_dump(mode="json"))


@router.post(PAGE.path + "/rebuild")
async def rebuild(view: OperationsView, form: Form) -> RedirectResponse:
    name = form.fields.get("model", "")
    if name not in BY_NAME:
        raise PageError(422, "No such read model", f"{name[:60]!r} is not a read model.")
    generation = await run_in_threadpool(request_rebuild, view.services, name)
    response = RedirectResponse(f"{session.root(view.request)}{PAGE.path}#model-{name}", 303)
    session.flash(view.request, response, f"Rebuild of {name} requested (generation "
                                          f"{generation.generation}): its progress shows below.")
    return response
