"""Read models in a database of their own (``SFA_READ_DATABASE_URL``): the projectors read the
store's log and write rows and positions in the read database, queries and ``min_position``
read there, and the models equal, row for row, those built beside the store — on SQLite and
PostgreSQL; on PostgreSQL, a rebuild killed at random points still counts each event once."""

import random
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.bootstrap import bootstrap
from infra.bootstrap import read_models as open_read_models
from infra.demo import load_demo
from infra.readside.read_models import ReadModels
from infra.readside.readstore import REGISTRY
from infra.settings import Settings
from infra.sql.database import Database
from projections.catalog import BY_NAME
from tests.api.test_accounts import open_account, world
from tests.api.test_opportunities import open_opportunity
from tests.conftest import Api, models_built
from tests.integration.rebuilds import Starter, kill_and_compare, snapshot
from tests.integration.serve import cli

KILLS = 4


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request: pytest.FixtureRequest, tmp_path: object) -> tuple[str, str]:
    """(the store's URL, the read models' URL): two new databases."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db", f"sqlite:///{tmp_path}/read.db"
    return (str(request.getfixturevalue("postgres_url")),
            str(request.getfixturevalue("read_postgres_url")))


@pytest.fixture
def demo_store(databases: tuple[str, str]) -> Iterator[tuple[str, str]]:
    """The two databases, the store holding the demo's events (read models not built yet)."""
    sales = bootstrap(Settings(database_url=databases[0]))
    try:
        load_demo(sales, seed=5, scale="small")
    finally:
        sales.close()
    yield databases


def _tables(url: str) -> set[str]:
    db = Database(Settings(database_url=url))
    conn = db.connect()
    try:
        names = {REGISTRY, db.events_table, *(t.name for p in BY_NAME.values()
                                             for t in p.tables)}
        return {n for n in names if db.table_exists(conn, n)
                or db.table_exists(conn, f"{n}_g1")}
    finally:
        conn.close()
        db.close()


def _healthy_at(client: TestClient, head: int, seconds: float = 30) -> dict[str, int]:
    """The models' positions /healthz reports once it is ok and they reached ``head``."""
    deadline = time.monotonic() + seconds
    while True:
        body = client.get("/healthz").json()
        positions = {name: p["position"] for name, p in body["projections"].items()}
        if body["status"] == "ok" and min(positions.values()) >= head or (
                time.monotonic() > deadline):
            return positions
        time.sleep(0.1)


def _stage_counts(answer: dict) -> dict[str, int]:
    return {s["stage"]: s["count"] for s in answer["stages"] if s["count"]}


def test_the_api_writes_to_the_store_and_reads_its_own_writes_from_the_read_database(
        demo_store: tuple[str, str]):
    store_url, read_url = demo_store
    app = create_app(Settings(database_url=store_url, read_database_url=read_url, pool_size=4),
                     run_projectors=True)
    with TestClient(app) as client:
        models_built(client, seconds=120)
        api = Api(client, client.app.state.services.sales)  # type: ignore[attr-defined]
        w = world(api)
        ann = w.as_rep(api, w.ann)
        deal = open_opportunity(api, ann, open_account(api, ann, w.ann), w.ann)
        moved = client.post(f"/v1/opportunities/{deal}/stage", json={"stage": "qualification"},
                            headers=ann)
        assert moved.status_code == 200, moved.text

        funnel = client.get("/v1/funnel", headers=w.admin,
                            params={"rep_id": w.ann, "min_position": moved.json()["position"]})

        assert funnel.status_code == 200, funnel.text
        assert _stage_counts(funnel.json()) == {"qualification": 1}
        assert _healthy_at(client, api.sales.store.max_position()) == dict.fromkeys(
            BY_NAME, api.sales.store.max_position())

    store_tables, read_tables = _tables(store_url), _tables(read_url)
    events_table = Database(Settings(database_url=store_url)).events_table
    assert events_table in store_tables and events_table not in read_tables
    assert REGISTRY in read_tables and REGISTRY not in store_tables
    assert {"funnel_opportunities", "timeline_links"} <= read_tables
    assert not store_tables & {t.name for p in BY_NAME.values() for t in p.tables}


def _split_models(store_url: str, read_url: str) -> ReadModels:
    return open_read_models(Settings(database_url=store_url, read_database_url=read_url))


def test_models_built_apart_equal_models_built_beside_the_store_row_for_row(
        demo_store: tuple[str, str]):
    store_url, read_url = demo_store
    built = cli(store_url, "projections", "rebuild", "--all",
                env={"SFA_READ_DATABASE_URL": read_url})
    assert built.returncode == 0, built.stderr
    status = cli(store_url, "projections", "status", "--json",
                 env={"SFA_READ_DATABASE_URL": read_url})
    assert status.returncode == 0, status.stderr
    apart, beside = _split_models(store_url, read_url), open_read_models(
        Settings(database_url=store_url))
    try:
        head = apart.status()[0].head
        assert head > 1000
        assert status.stdout.count(f'"position": {head}') == len(BY_NAME), status.stdout
        assert beside.needs_build() == list(BY_NAME)  # nothing was built beside the store
        beside.catch_up()

        assert snapshot(apart) == snapshot(beside)
    finally:
        apart.close()
        beside.close()


def test_a_rebuild_killed_at_random_points_counts_each_event_once_across_databases(
        postgres_url: str, read_postgres_url: str):
    sales = bootstrap(Settings(database_url=postgres_url))
    load_demo(sales, seed=11, scale="small")
    head = sales.store.max_position()
    sales.close()
    models = _split_models(postgres_url, read_postgres_url)
    try:
        killed = kill_and_compare(models, random.Random(21), head,
                                  Starter(postgres_url, read_postgres_url), KILLS)
    finally:
        models.close()
    assert killed == KILLS
