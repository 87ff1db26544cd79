"""A stalled database answers 503 with Retry-After within a bound, never a hanging request.

Two stalls: a lock held on the events table (the server's lock timeout ends the wait; both
backends), and a PostgreSQL server frozen with SIGSTOP (nothing on the server can end the
wait: the app's own bound does). The frozen server is a throw-away one started here, never
the shared one.
"""

import os
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from infra.settings import Settings
from infra.sql.database import Database
from tests.conftest import models_built

LEAD = {"person": "Clara Weber", "company": "Nordlicht GmbH", "email": "clara@nordlicht.example",
        "channel": "web_form", "region": "north"}
BOUNDS = {"db_statement_timeout": 1.0, "db_lock_timeout": 1, "db_pool_timeout": 1.0,
          "request_timeout": 1.5, "health_timeout": 1.0}
FREEZE_SECONDS = 10.0
SLACK = 1.5  # seconds beyond a bound that a loaded 2-core machine may take to answer


@contextmanager
def serving(database_url: str, **bounds: Any) -> Iterator[tuple[TestClient, dict[str, str]]]:
    from api.app import create_app

    settings = Settings(database_url=database_url, pool_size=3, **{**BOUNDS, **bounds})
    with TestClient(create_app(settings, run_projectors=True),
                    raise_server_exceptions=False) as client:
        models_built(client)
        token = client.app.state.services.tokens.create("admin", None)  # type: ignore[attr-defined]
        yield client, {"Authorization": f"Bearer {token}"}


class Http:
    """Requests over real connections, one each: a request answered 503 past its bound goes
    on in the server until the database answers (its connection is busy meanwhile)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.post(self.base + path, timeout=60, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.base + path, timeout=60, **kwargs)


@contextmanager
def served_by_uvicorn(database_url: str) -> Iterator[tuple[Http, dict[str, str]]]:
    """The app under a real uvicorn server (in a thread): the 503 of a request past its bound
    reaches the client while the request itself still waits for the database (a TestClient
    would hand over the answer only once the app returned)."""
    import socket

    import uvicorn

    from api.app import create_app

    app = create_app(Settings(database_url=database_url, pool_size=3, **BOUNDS),
                     run_projectors=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        token = app.state.services.tokens.create("admin", None)
        yield Http(f"http://127.0.0.1:{port}"), {"Authorization": f"Bearer {token}"}
    finally:
        server.should_exit = True
        thread.join(timeout=60)


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    answer = call()
    return answer, time.monotonic() - started


def assert_unavailable(answer: Any) -> None:
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) >= 1
    assert answer.json()["code"] == "database_unavailable"
    assert answer.json()["fields"] == []


@contextmanager
def events_table_locked(database_url: str) -> Iterator[None]:
    """Another session holds the events table's write lock until the block ends."""
    db = Database(Settings(database_url=database_url))
    conn = db.connect()
    if db.backend == "sqlite":
        conn.execute("BEGIN EXCLUSIVE")
    else:
        conn.execute("BEGIN")
        conn.execute("LOCK TABLE sfa_events IN ACCESS EXCLUSIVE MODE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def test_a_command_waiting_for_a_held_lock_answers_503_within_the_lock_timeout(database_url):
    with serving(database_url, request_timeout=8.0) as (client, admin):
        assert client.post("/v1/leads", json=LEAD, headers=admin).status_code == 201
        with events_table_locked(database_url):
            answer, took = timed(lambda: client.post(
                "/v1/leads", json={**LEAD, "email": "b@nordlicht.example"}, headers=admin))
        assert_unavailable(answer)
        assert took < BOUNDS["db_lock_timeout"] + BOUNDS["db_pool_timeout"] + SLACK
        after = client.post("/v1/leads", json={**LEAD, "email": "c@nordlicht.example"},
                            headers=admin)
        assert after.status_code == 201, after.text


def _postgres_processes(data_dir: Path) -> list[int]:
    """The postmaster and its children (the backends), found through /proc."""
    postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
                children.append(int(entry.name))
    return [postmaster, *children]


@pytest.fixture
def own_postgres() -> Iterator[tuple[str, Path]]:
    import pgserver

    with tempfile.TemporaryDirectory(prefix="sfa-stall-") as data_dir:
        server = pgserver.get_server(data_dir, cleanup_mode="stop")
        with psycopg.connect(server.get_uri(), autocommit=True) as admin:
            admin.execute("CREATE DATABASE stall")
        base, _, query = server.get_uri().partition("?")
        yield f"{base.rsplit('/', 1)[0]}/stall?{query}", Path(data_dir)
        server.cleanup()


def _signal(processes: list[int], signum: int) -> None:
    for pid in processes:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            continue


@contextmanager
def frozen(data_dir: Path) -> Iterator[None]:
    """The server frozen for the block, and at most ``FREEZE_SECONDS``: a request that
    waits for it is then late, not stuck (the test fails instead of hanging)."""
    processes = _postgres_processes(data_dir)
    _signal(processes, signal.SIGSTOP)
    thaw = threading.Timer(FREEZE_SECONDS, _signal, (processes, signal.SIGCONT))
    thaw.start()
    try:
        yield
    finally:
        thaw.cancel()
        _signal(processes, signal.SIGCONT)


def test_a_frozen_server_answers_503_within_the_bound_and_recovers(own_postgres):
    url, data_dir = own_postgres
    with served_by_uvicorn(url) as (client, admin):
        assert client.post("/v1/leads", json=LEAD, headers=admin).status_code == 201
        with frozen(data_dir):
            command, command_took = timed(lambda: client.post(
                "/v1/leads", json={**LEAD, "email": "b@nordlicht.example"}, headers=admin))
            query, query_took = timed(lambda: client.get("/v1/funnel", headers=admin))
            health, health_took = timed(lambda: client.get("/healthz"))
        for answer in (command, query, health):
            assert_unavailable(answer)
        assert command_took < BOUNDS["request_timeout"] + SLACK
        assert query_took < BOUNDS["request_timeout"] + SLACK
        assert health_took < BOUNDS["health_timeout"] + SLACK
        deadline, after = time.monotonic() + 20, None
        while time.monotonic() < deadline:  # the pools drop what broke, then serve again
            after = client.post("/v1/leads", json={**LEAD, "email": "c@nordlicht.example"},
                                headers=admin)
            if after.status_code == 201:
                break
            time.sleep(0.5)
        assert after is not None and after.status_code == 201, after.text if after else None
