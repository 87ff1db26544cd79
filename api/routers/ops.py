"""Operations: health of the store, of the read models and of the projector process."""

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ServicesDep
from infra.errors import DatabaseUnavailableError
from infra.readside.follower import Liveness
from infra.readside.read_models import ProjectionStatus, ReadModels
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
        found, liveness, body["relays"] = services.monitor.look(
            _looked_at, wait=services.settings.health_timeout)
        serving: set[str] = set()
        for s in found:  # the serving generation, else the newest
            if s.status == "retired" or (s.name in serving and not s.serving):
                continue
            serving.update({s.name} if s.serving else set())
            body["projections"][s.name] = {"status": s.status, "position": s.position,
                                           "lag_events": s.lag_events,
                                           "last_error": s.last_error}
        body["projector"] = asdict(liveness)
    except Exception as error:  # noqa: BLE001 — health reports, never raises
        body["store"] = f"error: {_named(error)}"
    body["failed"] = sorted(n for n, p in body["projections"].items() if p["status"] == "failed")
    healthy = body["store"] == "ok" and body["projector"]["alive"] and all(
        p["status"] == "active" for p in body["projections"].values())
    body["status"] = "ok" if healthy else "degraded"
    if not healthy:
        body["detail"] = _why(body)
    return JSONResponse(body, status_code=200 if healthy else 503)


Looked = tuple[list[ProjectionStatus], Liveness, list[dict[str, Any]]]


def _looked_at(models: ReadModels) -> Looked:
    """What health shows of the read side, from the shared read models (``Root.monitor``)."""
    return models.status(), models.liveness(), _relays(models)


def _relays(models: ReadModels) -> list[dict[str, Any]]:
    """Each relay's liveness (``sfa relay status``): shown, not judged — the API serves
    whether or not integrators' stream is being published."""
    try:
        found = statuses(models.log, models.log_conn)
    except Exception as error:  # noqa: BLE001 — the relay's table is the relay's business
        return [{"topic": None, "status": f"unreadable: {_named(error)}", "up": False}]
    return [{"topic": r.state.topic, "status": r.status, "up": r.up, "lag_events": r.lag_events,
             "heartbeat_age_seconds": r.heartbeat_age_seconds} for r in found]


def _named(error: Exception) -> str:
    """The name of what failed: the driver's, as before (ours carries it as ``kind``)."""
    return error.kind if isinstance(error, DatabaseUnavailableError) else type(error).__name__


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
