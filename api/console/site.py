"""The console as the app mounts it: its pages in navigation order, their routes, the
static files and the headers of every answer (``api.app`` calls ``install``)."""

from types import ModuleType

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.console import (
    customers,
    deals,
    forecast,
    funnel,
    handovers,
    inventory,
    operations,
    signin,
)
from api.console.headers import ConsoleHeaders
from api.console.views import NAV

# The pages in the order of the navigation: each a module with ``PAGE`` and ``router``.
PAGES: list[ModuleType] = [funnel, deals, handovers, forecast, inventory, customers,
                             operations]
NAV.extend(module.PAGE for module in PAGES)


def install(app: FastAPI) -> None:
    """The routes go in flat, like the API's (``api.routers``), out of the OpenAPI document."""
    app.mount("/console/static", StaticFiles(packages=[("api.console", "static")]),
              name="console-static")
    for router in (signin.router, *(module.router for module in PAGES)):
        app.router.routes.extend(router.routes)
    app.add_middleware(ConsoleHeaders)
