"""The query routes over the read models, in one router to register.

``/v1/opportunities/stuck`` must be registered before any ``/v1/opportunities/{id}`` route,
or that route would take ``stuck`` for an id.
"""

from fastapi import APIRouter

from api.routers import forecasts, funnel, handovers, insights, inventory, timeline

ROUTERS: list[APIRouter] = [funnel.router, forecasts.router, handovers.router, inventory.router,
                            timeline.router, insights.router]
router = APIRouter()
for _included in ROUTERS:
    router.routes.extend(_included.routes)  # flat, as the app takes them (``api.routers``)
