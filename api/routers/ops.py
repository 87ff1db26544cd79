"""Operations: health of the store, of the read models and of the projector process."""

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ServicesDep
from infra.bootstrap import read_models
from infra.readside.read_models import ReadModels
from infra.stream.relay_positions import statuses

router = APIRouter(tags=["operations"])


@router.get("/healthz", responses={503: {
    "description": "Degraded: the store is unreachable, a read model is not active (building, "
                   "or stopped by an event: `failed` names it), or no projector went round "
                   "lately (`projector.alive` false)"}})
def healthz(services: ServicesDep) -> JSONResponse:
    """``ok`` (200) when the store answers, every read model is active and not stopped by an
    event, and a projector process beat its heartbeat lately; else ``degraded`` (503)."""
    body: dict[str, Any] = {"store": "ok", "projections": {}, "failed": [],
                            "projector": {"alive": False, "state": "unknown"}}
    try:
        body["position"] = services.sales.store.max_position()
        models, serving = read_models(services.sales.settings), set()
        try:
            for s in models.status():  # the serving generation, else the newest
                if s.status == "retired" or (s.name in serving and not s.serving):
                    continue
                serving.update({s.name} if s.serving else set())
                body["projections"][s.name] = {"status": s.status, "position": s.position,
                                               "lag_events": s.lag_events,
                                               "last_error": s.last_error}
            body["projector"] = asdict(models.liveness())
            body["relays"] = _relays(models)  # never fails the answer (see _relays)
        finally:
            models.close()
    except Exception as error:  # noqa: BLE001 — health reports, never raises
        body["store"] = f"error: {type(error).__name__}"
    body["failed"] = sorted(n for n, p in body["projections"].items() if p["status"] == "failed")
    healthy = body["store"] == "ok" and body["projector"]["alive"] and all(
        p["status"] == "active" for p in body["projections"].values())
    body["status"] = "ok" if healthy else "degraded"
    if not healthy:
        body["detail"] = _why(body)
    return JSONResponse(body, status_code=200 if healthy else 503)


def _relays(models: ReadModels) -> list[dict[str, Any]]:
    """Each relay's liveness (``sfa relay status``): shown, not judged — the API serves
    whether or not integrators' stream is being published."""
    try:
        found = statuses(models.db, models.conn)
    except Exception as error:  # noqa: BLE001 — the relay's table is the relay's business
        return [{"topic": None, "status": f"unreadable: {type(error).__name__}", "up": False}]
    return [{"topic": r.state.topic, "status": r.status, "up": r.up, "lag_events": r.lag_events,
             "heartbeat_age_seconds": r.heartbeat_age_seconds} for r in found]


def _why(body: dict[str, Any]) -> str:
    """One line naming what is wrong, the failed models first."""
    reasons = [f"read model {n} stopped at {body['projections'][n]['last_error']}"
               for n in body["failed"]]
    reasons += [f"read model {n} is {p['status']}" for n, p in body["projections"].items()
                if p["status"] not in ("active", "failed")]
    if not body["projector"]["alive"]:
        reasons.append(f"projector {body['projector']['state']}")
    if body["store"] != "ok":
        reasons.append(f"store {body['store']}")
    return "; ".join(reasons)
