"""HTTP and the command line when an event stopped a read model: that model's queries answer
503 read_model_failed, the others answer, /healthz, /metrics and the status name it, and a
rebuild of it ends in one line (finding 1 of issue 16)."""

import json
import time
from decimal import Decimal

import pytest

from api.app import create_app
from api.deps import reads
from api.routers import QUERY_ROUTERS
from projections.catalog import BY_NAME
from tests.api.test_operations import metric
from tests.api.test_reps_and_leads import REP
from tests.conftest import Api, ctx
from tests.e2e.test_cli import sfa
from tests.integration.poison import register_unstorable_item


def _health_once_failed(api: Api, seconds: float = 30) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = api.client.get("/healthz").json()
        if body["failed"]:
            return body
        time.sleep(0.1)
    raise AssertionError(f"no model failed in {seconds} s: {body}")


def test_a_stopped_model_is_named_everywhere_and_alone_refuses_to_answer(api: Api, database_url):
    admin = api.token("admin")
    api.sales.stock.register(ctx(), sku="S-1", name="Sensor", base_price=Decimal("10"))
    poisoned = register_unstorable_item(api.sales, "S-odd")

    health = _health_once_failed(api)
    hired = api.client.post("/v1/reps", json=REP, headers=admin).json()["position"]
    funnel = api.client.get(f"/v1/funnel?min_position={hired}", headers=admin)
    inventory = api.client.get("/v1/inventory/S-1", headers=admin)
    answer = api.client.get("/healthz")
    metrics = api.client.get("/metrics").text
    rebuild = sfa("projections", "rebuild", "inventory", url=database_url)
    status = sfa("projections", "status", "--json", url=database_url)

    assert health["failed"] == ["inventory"] and health["status"] == "degraded"
    assert health["detail"].startswith(
        f"read model inventory stopped at position {poisoned}: StockItemRegistered")
    assert answer.status_code == 503 and answer.json()["projector"]["alive"] is True
    assert funnel.status_code == 200
    assert (inventory.status_code, inventory.json()["code"]) == (503, "read_model_failed")
    assert f"position {poisoned}" in inventory.json()["detail"]
    assert metric(metrics, 'sfa_projection_failed{name="inventory"}') == 1
    assert metric(metrics, 'sfa_projection_failed{name="funnel"}') == 0
    assert metric(metrics, "sfa_projector_up") == 1
    reason = rebuild.stderr.strip().splitlines()[-1]  # after the log and the progress bar
    assert rebuild.returncode == 1 and "Traceback" not in rebuild.stderr
    assert reason.startswith(f"sfa: rebuild stopped: inventory: position {poisoned}: ")
    rows = [json.loads(line) for line in status.stdout.splitlines()]
    serving = {r["name"]: r for r in rows if r.get("serving")}
    assert serving["inventory"]["status"] == "failed"
    assert {r["status"] for n, r in serving.items() if n != "inventory"} == {"active"}
    assert rows[-1]["projector"]["alive"] is True


def _calls(dependant) -> set:
    return {dependant.call} | set().union(*(_calls(d) for d in dependant.dependencies))


def _read_models(dependant) -> tuple[str, ...]:
    return tuple(name for call in _calls(dependant)
                 for name in getattr(call, "read_models", ()))


def test_every_query_names_the_read_models_it_reads():
    """Each query route says which models it answers from (``api.deps.reads``): a failed model
    stops only its own queries, and ``min_position`` waits for them only."""
    app = create_app(run_projectors=False)
    routes = [r for r in app.routes if hasattr(r, "dependant")]
    wanted = {(q.path, *sorted(q.methods)) for router in QUERY_ROUTERS for q in router.routes}
    queries = {r.path: _read_models(r.dependant) for r in routes
               if (r.path, *sorted(r.methods)) in wanted}
    assert len(queries) > 10 and all(len(names) >= 1 for names in queries.values())
    assert queries["/v1/opportunities/stuck"] == ("funnel",)
    assert queries["/v1/activities/channels"] == ("activities", "campaigns")  # costs: campaigns
    assert queries["/v1/reports/churn"] == ("reports",)
    assert queries["/v1/opportunities/{opportunity_id}/stages"] == ("intervals",)
    assert queries["/v1/leads"] == ("lists",)
    assert {n for names in queries.values() for n in names} == set(BY_NAME)
    commands = [r.path for r in routes
                if (r.path, *sorted(r.methods)) not in wanted and _read_models(r.dependant)]
    assert commands == []


def test_a_query_over_an_unknown_read_model_is_refused_when_declared():
    with pytest.raises(ValueError, match="known read models"):
        reads("funnels")
