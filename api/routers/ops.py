"""Operations: health of the store and of the projectors."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ServicesDep
from infra.read_models import ReadModels

router = APIRouter(tags=["operations"])


@router.get("/healthz", responses={503: {"description": "Store unreachable or a model failed"}})
def healthz(services: ServicesDep) -> JSONResponse:
    """The store answers, and every read model is active and not stopped by an error."""
    body: dict[str, Any] = {"store": "ok", "projections": {}}
    try:
        body["position"] = services.sales.store.max_position()
        models = ReadModels(services.sales.settings)
        try:
            for s in models.status():
                body["projections"][s.name] = {"status": s.status, "position": s.position,
                                               "lag_events": s.lag_events,
                                               "last_error": s.last_error}
        finally:
            models.close()
    except Exception as error:  # noqa: BLE001 — health reports, never raises
        body["store"] = f"error: {type(error).__name__}"
    healthy = body["store"] == "ok" and all(
        p["status"] == "active" for p in body["projections"].values())
    body["status"] = "ok" if healthy else "degraded"
    return JSONResponse(body, status_code=200 if healthy else 503)
