"""Shared by the query route tests: the app with the query routers, and a small sales world
built through the command side (``api.sales``, the same store the app reads)."""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import Services
from api.routers import QUERY_ROUTERS
from infra.bootstrap import Sales
from infra.readside.readstore import REGISTRY
from infra.settings import Settings
from projections.catalog import ALL
from tests.conftest import Api, at


@pytest.fixture(name="qapi")
def qapi_fixture(database_url: str) -> Iterator[Api]:
    """Like the ``api`` fixture, with the query routers included (once)."""
    app = create_app(Settings(database_url=database_url, pool_size=4), run_projectors=True)
    if not any(getattr(route, "path", None) == "/v1/funnel" for route in app.routes):
        for router in QUERY_ROUTERS:
            app.include_router(router)
    with TestClient(app) as client:
        _wait_until_every_model_is_active(client.app.state.services)  # type: ignore[attr-defined]
        yield Api(client, client.app.state.services.sales)  # type: ignore[attr-defined]


def _wait_until_every_model_is_active(services: Services, timeout: float = 30) -> None:
    """The projectors build each model's first generation in the background at start-up;
    ``min_position`` waits only for the models already active, so a query that ran before
    its model's first swap-in would find no table."""
    wanted, deadline = {p.name for p in ALL}, time.monotonic() + timeout
    while time.monotonic() < deadline:
        with services.db.reader() as conn:
            if services.db.table_exists(conn, REGISTRY):  # the projector thread creates it
                rows = conn.execute(f"SELECT name FROM {REGISTRY} WHERE status = 'active'")
                if wanted <= {name for (name,) in rows.fetchall()}:
                    return
        time.sleep(0.02)
    raise AssertionError(f"read models not all active after {timeout} s")


@dataclass
class World:
    mia: str  # manager of north
    ann: str  # rep, north, Mia's
    cy: str  # rep, north, Mia's
    bob: str  # rep, south
    sam: str  # manager of south
    acme: str  # Ann's account, north
    beta: str  # Bob's account, south
    d1: str  # Ann, 10000, proposal since Nov 5
    d2: str  # Ann, 24000, negotiation since Nov 6
    d3: str  # Bob, 40000, won on Nov 20 (opened Nov 3)
    d4: str  # Bob, 5000, lost on Nov 21


def _hire(sales: Sales, name: str, role: str, team: str, manager_id: str | None = None) -> str:
    return str(sales.reps.hire(at(1), name=name, email=f"{name.lower()}@example.com", role=role,
                               team=team, region=team, manager_id=manager_id).stream_id)


def _deal(sales: Sales, owner: str, account: str, amount: int, day: int) -> str:
    return str(sales.opportunities.open(at(day), account_id=account, owner_id=owner,
                                        name=f"deal {amount}", amount=Decimal(amount),
                                        expected_close=date(2027, 1, 31)).stream_id)


def build_world(sales: Sales) -> World:
    mia = _hire(sales, "Mia", "manager", "north")
    ann, cy = _hire(sales, "Ann", "rep", "north", mia), _hire(sales, "Cy", "rep", "north", mia)
    sam = _hire(sales, "Sam", "manager", "south")
    bob = _hire(sales, "Bob", "rep", "south", sam)
    acme = str(sales.accounts.open(at(1), name="Acme", region="north", owner_id=ann).stream_id)
    beta = str(sales.accounts.open(at(1), name="Beta", region="south", owner_id=bob).stream_id)
    d1, d2 = _deal(sales, ann, acme, 10000, 2), _deal(sales, ann, acme, 20000, 2)
    d3, d4 = _deal(sales, bob, beta, 40000, 3), _deal(sales, bob, beta, 5000, 3)
    sales.opportunities.change_stage(at(4), d1, stage="qualification")
    sales.opportunities.change_stage(at(5), d1, stage="proposal")
    sales.opportunities.change_stage(at(6), d2, stage="negotiation")
    sales.opportunities.change_amount(at(7), d2, amount=Decimal(24000))
    sales.opportunities.change_stage(at(8), d3, stage="proposal")
    sales.opportunities.change_stage(at(20), d3, stage="closed_won")
    sales.opportunities.change_stage(at(21), d4, stage="closed_lost", reason="price")
    return World(mia, ann, cy, bob, sam, acme, beta, d1, d2, d3, d4)


def get(api: Api, path: str, headers: dict[str, str], **params: object) -> dict:  # type: ignore[type-arg]
    """GET once the read models caught up with every event so far; asserts 200."""
    answer = api.client.get(path, headers=headers,
                            params={"min_position": api.events(), **params})
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def status(api: Api, path: str, headers: dict[str, str] | None = None,
           **params: object) -> tuple[int, str, list[str]]:
    """(status, code, fields) of a GET expected to fail."""
    answer = api.client.get(path, headers=headers or {},
                            params={"min_position": api.events(), **params})
    body = answer.json()
    return answer.status_code, body.get("code"), body.get("fields", [])
