"""The read side of ``sfa serve --workers 2`` (real processes, PostgreSQL) never halts
silently: a fresh database becomes healthy, an online rebuild of every model (three times,
under write load) leaves the live projector running and swaps, a killed projector child is
started again, and a poisoned event stops only the models that store it (issue 16)."""

import os
import threading
from datetime import date
from pathlib import Path

from infra.bootstrap import bootstrap
from infra.readside.readstore import ReadStore
from infra.settings import Settings
from infra.sql.database import Database
from projections.catalog import BY_NAME
from tests.integration.poison import open_account_named_with_nul
from tests.integration.serve import Server, cli, serving

HEALTHY_WITHIN = 60.0  # seconds from start to a healthy /healthz on a fresh database


def _ok(status: int, body: dict) -> bool:
    return status == 200


def _serving_generations(url: str) -> dict[str, int]:
    db = Database(Settings(database_url=url))
    conn = db.connect()
    try:
        return ReadStore(db).active_generations(conn)
    finally:
        conn.close()


def _keep_writing(server: Server, stop: threading.Event, written: list[int]) -> None:
    admin = server.admin()
    rep = server.http.post("/v1/reps", headers=admin, json={
        "name": "Load Rep", "email": "load@example.com", "role": "rep", "team": "north",
        "region": "north"}).json()["id"]
    account = server.http.post("/v1/accounts", headers=admin, json={
        "name": "Load Ltd", "region": "north", "owner_id": rep}).json()["id"]
    while not stop.is_set():
        answer = server.http.post("/v1/opportunities", headers=admin, json={
            "account_id": account, "owner_id": rep, "name": f"deal {len(written)}",
            "amount": "1000", "expected_close": str(date(2027, 1, 1))})
        assert answer.status_code == 201, answer.text
        written.append(answer.json()["position"])


def test_a_fresh_database_becomes_healthy(postgres_url: str, tmp_path: Path):
    with serving(postgres_url, tmp_path) as server:
        body = server.until(_ok, HEALTHY_WITHIN)
        assert body["status"] == "ok" and len(body["projections"]) == len(BY_NAME)
        assert "does not exist" not in server.log_text()


def test_rebuild_all_under_write_load_three_times(postgres_url: str, tmp_path: Path):
    with serving(postgres_url, tmp_path) as server:
        server.until(_ok, HEALTHY_WITHIN)
        projector = server.projector_pid()
        stop, written = threading.Event(), []
        writer = threading.Thread(target=_keep_writing, args=(server, stop, written))
        writer.start()
        try:
            for _ in range(3):
                before = _serving_generations(postgres_url)
                rebuilt = cli(postgres_url, "projections", "rebuild", "--all")
                assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
                after = _serving_generations(postgres_url)
                assert all(after[n] > before[n] for n in before), (before, after)
        finally:
            stop.set()
            writer.join(60)
        head = written[-1]
        body = server.until(lambda s, b: s == 200 and all(
            p["position"] >= head for p in b["projections"].values()), 30)
        assert len(written) > 20 and body["projector"]["alive"]
        assert server.projector_pid() == projector  # the live projector survived every swap
        assert "StopIteration" not in server.log_text()


def test_a_killed_projector_is_started_again(postgres_url: str, tmp_path: Path):
    with serving(postgres_url, tmp_path) as server:
        server.until(_ok, HEALTHY_WITHIN)
        killed = server.projector_pid()
        os.kill(killed, 9)
        server.until(lambda s, b: s == 200 and b["projector"]["pid"] not in (None, killed),
                     30)
        assert not _is_process(killed)  # reaped: no zombie left behind
        assert f"projector process {killed} exited" in server.log_text()


def _is_process(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "X"
    except FileNotFoundError:
        return False


def test_a_poisoned_event_stops_only_the_models_that_store_it(postgres_url: str, tmp_path: Path):
    with serving(postgres_url, tmp_path) as server:
        server.until(_ok, HEALTHY_WITHIN)
        admin = server.admin()
        rep = server.http.post("/v1/reps", headers=admin, json={
            "name": "Rita", "email": "rita@example.com", "role": "rep", "team": "north",
            "region": "north"}).json()["id"]
        sales = bootstrap(Settings(database_url=postgres_url))
        try:
            poisoned = open_account_named_with_nul(sales, rep)
        finally:
            sales.close()
        head = server.http.post("/v1/stock-items", headers=admin, json={
            "sku": "S-1", "name": "Sensor", "base_price": "10", "reorder_level": 0}).json()

        body = server.until(lambda s, b: s == 503 and b["failed"] and all(
            p["position"] >= head["position"] for n, p in b["projections"].items()
            if n not in b["failed"]), 30)
        stock = server.http.get(f"/v1/inventory/S-1?min_position={head['position']}",
                                headers=admin)

        assert "funnel" in body["failed"] and len(body["failed"]) < 8
        for name in body["failed"]:
            assert body["projections"][name]["last_error"].startswith(
                f"position {poisoned}: AccountOpened of stream "), name
        assert f"read model {body['failed'][0]} stopped at position {poisoned}" in body["detail"]
        assert stock.status_code == 200 and stock.json()["on_hand"] == 0
        funnel = server.http.get("/v1/funnel", headers=admin)
        assert (funnel.status_code, funnel.json()["code"]) == (503, "read_model_failed")
