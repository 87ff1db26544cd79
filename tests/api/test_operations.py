"""HTTP: token revocation, /metrics and /healthz."""

import time

from infra.access.tokens import VERIFIED_FOR_SECONDS, TokenStore
from infra.bootstrap import Root
from infra.readside.read_models import ReadModels
from projections.catalog import BY_NAME
from tests.api.test_reps_and_leads import REP
from tests.conftest import Api


def _token_id(header: dict[str, str]) -> str:
    return header["Authorization"].removeprefix("Bearer sfa_").split("_", 1)[0]


def test_a_token_revoked_by_the_serving_process_stops_working_at_once(api: Api):
    admin = api.token("admin")
    assert api.client.get("/v1/funnel", headers=admin).status_code == 200

    api.tokens.revoke(_token_id(admin))

    answer = api.client.get("/v1/funnel", headers=admin)
    assert (answer.status_code, answer.json()["code"]) == (401, "unauthorized")


def test_a_token_revoked_by_another_process_stops_working_within_a_second(api: Api):
    admin = api.token("admin")
    assert api.client.get("/v1/funnel", headers=admin).status_code == 200
    elsewhere = TokenStore(api.client.app.state.services.db)  # as `sfa tokens revoke` does

    elsewhere.revoke(_token_id(admin))
    revoked_at = time.monotonic()
    while api.client.get("/v1/funnel", headers=admin).status_code == 200:
        assert time.monotonic() - revoked_at < VERIFIED_FOR_SECONDS + 1
        time.sleep(0.05)

    assert api.client.get("/v1/funnel", headers=admin).status_code == 401


def metric(text: str, line_start: str) -> float:
    """The value of the first Prometheus sample line starting with ``line_start``."""
    return float(next(line for line in text.splitlines()
                      if line.startswith(line_start)).rsplit(" ", 1)[1])


def test_metrics_count_requests_by_route_template_and_commands_by_route(api: Api):
    admin = api.token("admin")
    for n in range(3):
        created = api.client.post("/v1/reps", json={**REP, "email": f"r{n}@example.com"},
                                  headers=admin)
        assert created.status_code == 201
        assert api.client.get(f"/v1/reps/{created.json()['id']}", headers=admin).status_code == 200
    assert api.client.get("/v1/reps/00000000-0000-0000-0000-000000000000",
                          headers=admin).status_code == 404

    text = api.client.get("/metrics").text

    assert metric(text, 'sfa_http_requests_total{method="POST",route="/v1/reps",status="201"}') == 3
    assert metric(text, 'sfa_http_requests_total{method="GET",route="/v1/reps/{rep_id}",status="200"}') == 3
    assert metric(text, 'sfa_http_requests_total{method="GET",route="/v1/reps/{rep_id}",status="404"}') == 1
    assert metric(text, 'sfa_commands_total{route="/v1/reps"}') == 3
    assert metric(text, 'sfa_http_request_seconds_count{method="POST",route="/v1/reps"}') == 3
    assert metric(text, 'sfa_projection_position{name="funnel"}') >= 0


def test_healthz_reports_every_read_model_active_at_the_head(api: Api):
    admin = api.token("admin")
    position = api.client.post("/v1/reps", json=REP, headers=admin).json()["position"]
    assert api.client.get(f"/v1/funnel?min_position={position}", headers=admin).status_code == 200

    body = api.client.get("/healthz").json()

    assert body["status"] == "ok" and body["store"] == "ok"
    assert body["position"] == position
    assert {p["status"] for p in body["projections"].values()} == {"active"}
    assert len(body["projections"]) == len(BY_NAME)


def test_metrics_count_idempotent_replays_but_not_as_new_commands(api: Api):
    admin = {**api.token("admin"), "Idempotency-Key": "hire-once"}
    first = api.client.post("/v1/reps", json=REP, headers=admin)
    again = api.client.post("/v1/reps", json=REP, headers=admin)
    other = api.client.post("/v1/reps", json={**REP, "name": "Someone Else"}, headers=admin)
    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 409)
    assert again.json() == first.json()

    text = api.client.get("/metrics").text

    assert metric(text, 'sfa_http_requests_total{method="POST",route="/v1/reps",status="201"}') == 1
    assert metric(text, 'sfa_http_requests_total{method="POST",route="idempotency",status="201"}') == 1
    assert metric(text, 'sfa_http_requests_total{method="POST",route="idempotency",status="409"}') == 1
    assert metric(text, 'sfa_commands_total{route="/v1/reps"}') == 1
    assert 'sfa_commands_total{route="idempotency"}' not in text


def test_metrics_count_the_documentation_pages_under_their_paths(api: Api):
    assert api.client.get("/docs").status_code == 200
    assert api.client.get("/openapi.json").status_code == 200
    assert api.client.get("/no-such-page").status_code == 404

    text = api.client.get("/metrics").text

    assert metric(text, 'sfa_http_requests_total{method="GET",route="/docs",status="200"}') == 1
    assert metric(text, 'sfa_http_requests_total{method="GET",route="/openapi.json",'
                        'status="200"}') == 1
    assert metric(text, 'sfa_http_requests_total{method="GET",route="unmatched",'
                        'status="404"}') == 1


def test_healthz_shows_each_relay_and_a_dead_one_as_down_without_failing_the_api(api: Api):
    from infra.stream.relay_positions import RelayPositions

    db = api.client.app.state.services.db  # type: ignore[attr-defined]
    assert api.client.get("/healthz").json()["relays"] == []  # no relay ever ran here
    relays, conn = RelayPositions(db), db.connect()
    try:
        relays.ensure_table(conn)
        relays.ensure_row(conn, "sfa.events")
        relays.report(conn, "sfa.events", "publishing")  # running, but no heartbeat: killed
    finally:
        conn.close()

    answer = api.client.get("/healthz")

    assert answer.status_code == 200 and answer.json()["status"] == "ok"
    [relay] = answer.json()["relays"]
    assert (relay["topic"], relay["status"], relay["up"]) == ("sfa.events", "down", False)


def test_health_and_metrics_share_one_read_models_handle_and_reopen_a_dropped_one(
        api: Api, monkeypatch):
    """No probe or scrape opens read models of its own (a connection, a registry check):
    they borrow the app's one handle; a handle whose connection went away is replaced."""
    root = api.client.app.state.services  # type: ignore[attr-defined]
    opened: list[ReadModels] = []

    def counted(*args: object) -> ReadModels:
        opened.append(Root.read_models(root))
        return opened[-1]

    monkeypatch.setattr(root, "read_models", counted)  # before the monitor's first use
    answers = [api.client.get(path) for path in ("/healthz", "/metrics", "/healthz", "/metrics")]

    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert metric(answers[-1].text, 'sfa_projection_failed{name="funnel"}') == 0
    assert len(opened) == 1
    opened[0].conn.close()  # as a server restart would
    broken, again = api.client.get("/healthz"), api.client.get("/healthz")
    assert (broken.status_code, broken.json()["store"].startswith("error: ")) == (503, True)
    assert again.status_code == 200, again.text
    assert len(opened) == 2


def test_a_query_before_the_first_build_answers_503_not_ready(database_url: str):
    """No read model built yet (no projector ran on this new store): the store's 'no such
    table' reaches the API as ours (``ReadModelMissingError``), answered as before."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from infra.settings import Settings

    app = create_app(Settings(database_url=database_url, pool_size=2), run_projectors=False)
    with TestClient(app) as client:
        token = client.app.state.services.tokens.create("admin")  # type: ignore[attr-defined]
        answer = client.get("/v1/funnel", headers={"Authorization": f"Bearer {token}"})

    assert (answer.status_code, answer.json()) == (503, {
        "code": "not_ready", "detail": "read models are still being built; retry shortly",
        "fields": []})
    assert answer.headers["Retry-After"] == "1"
