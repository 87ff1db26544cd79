"""Test harness: every store test runs on SQLite and on a real PostgreSQL server.

The server is the one ``SFA_TEST_DATABASE_URL`` names, else a throw-away PostgreSQL 16
that ``pgserver`` starts in a temporary directory for this session. Each test gets a
fresh database of its own (so pytest-xdist's workers, ``make test``, never share one); a
test that starts an app gets a copy of a database an app has started on (``started_template``).
Tests of the service layer alone run on the in-memory store instead (tests/service).
"""

import os
import queue
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import uuid4

import psycopg
import pytest
from fastapi.testclient import TestClient

from infra.bootstrap import Sales, bootstrap
from infra.bootstrap import read_models as open_read_models
from infra.eventstore.store import EventStore
from infra.readside.read_models import ReadModels
from infra.service.commands import CommandContext
from infra.settings import Settings

FIXED_NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    configured = os.environ.get("SFA_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    import pgserver

    with tempfile.TemporaryDirectory(prefix="sfa-pg-") as data_dir:
        server = pgserver.get_server(data_dir, cleanup_mode="stop")
        yield server.get_uri()
        server.cleanup()


def _with_database(server_url: str, name: str) -> str:
    base, _, query = server_url.partition("?")
    base = base.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{query}" if query else "")


class Dropper:
    """Drops the tests' databases on a thread of its own: a ``DROP DATABASE`` waits for the
    server to remove the files (0.3-1 s), which the next test need not wait for."""

    def __init__(self, server_url: str) -> None:
        self.server_url, self.names = server_url, queue.Queue[str | None]()
        self.thread = threading.Thread(target=self._run, name="drop-databases", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as admin:
            while (name := self.names.get()) is not None:
                try:
                    admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                except psycopg.Error as error:  # left behind, as a failed drop was before
                    print(f"could not drop {name}: {error}")

    def close(self) -> None:
        self.names.put(None)
        self.thread.join()


@pytest.fixture(scope="session")
def dropper(postgres_server_url: str) -> Iterator[Dropper]:
    dropping = Dropper(postgres_server_url)
    yield dropping
    dropping.close()


def _new_database(server_url: str, dropper: Dropper, template: str | None = None
                  ) -> Iterator[str]:
    name = f"sfa_test_{uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    yield _with_database(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as admin:  # its connections freed now
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
    dropper.names.put(name)  # and its files later


@pytest.fixture
def postgres_url(postgres_server_url: str, dropper: Dropper) -> Iterator[str]:
    """A new, empty database."""
    yield from _new_database(postgres_server_url, dropper)


@pytest.fixture
def read_postgres_url(postgres_server_url: str, dropper: Dropper) -> Iterator[str]:
    """A second new, empty database: for read models kept apart from the store's."""
    yield from _new_database(postgres_server_url, dropper)


@pytest.fixture(scope="session")
def started_template(postgres_server_url: str, dropper: Dropper) -> Iterator[str]:
    """A database an app has started on once (every table, function and read model made),
    for the tests that start an app: copying it takes 0.05 s where making the schema takes
    about a second on PostgreSQL. One per session (per xdist worker)."""
    from api.app import create_app

    name = f"sfa_template_{uuid4().hex[:12]}"
    with psycopg.connect(postgres_server_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
        app = create_app(Settings(database_url=_with_database(postgres_server_url, name)),
                         run_projectors=True)
        with TestClient(app) as client:
            models_built(client)
        # a copy needs its template free of sessions (cached key rings keep one open)
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
    yield name
    dropper.names.put(name)


@pytest.fixture
def started_postgres_url(postgres_server_url: str, dropper: Dropper,
                         started_template: str) -> Iterator[str]:
    """A new database as an app leaves it at its first start (see ``started_template``)."""
    yield from _new_database(postgres_server_url, dropper, started_template)


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    return f"sqlite:///{tmp_path}/sfa.db"


APP_FIXTURES = {"api", "qapi"}  # tests that start an app: on PostgreSQL, a started_postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    starts_app = not APP_FIXTURES.isdisjoint(request.fixturenames)
    return str(request.getfixturevalue("started_postgres_url" if starts_app else "postgres_url"))


@pytest.fixture
def sales(database_url: str) -> Iterator[Sales]:
    app = bootstrap(Settings(database_url=database_url, pool_size=4))
    yield app
    app.close()


@pytest.fixture
def pg_sales(postgres_url: str) -> Iterator[Sales]:
    app = bootstrap(Settings(database_url=postgres_url, pool_size=8))
    yield app
    app.close()


def ctx(actor: str = "tester", **kwargs: object) -> CommandContext:
    return CommandContext(actor=actor, now=FIXED_NOW, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def read_models(database_url: str, sales: Sales) -> Iterator[ReadModels]:
    """All read models over the same database as ``sales``; call ``catch_up()`` to project."""

    models = open_read_models(Settings(database_url=database_url))
    yield models
    models.close()


def at(day: int, hour: int = 9) -> CommandContext:
    """A command context on a given day of November 2026 (the injected clock)."""
    return CommandContext(actor="tester", now=datetime(2026, 11, day, hour, tzinfo=UTC))


class Api:
    """An HTTP client on the app (projectors running), with tokens per role."""

    def __init__(self, client: "TestClient", sales: Sales) -> None:
        self.client, self.sales = client, sales
        self.tokens = client.app.state.services.tokens  # type: ignore[attr-defined]

    def token(self, role: str, rep_id: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.create(role, rep_id)}"}

    def events(self) -> int:
        """The position of the last event that is not a token's. Tests compare it to see
        what a request wrote, and wait for it; the tokens they make as they go are events
        too (``TokenIssued``), which no request under test wrote."""
        return last_position_but_tokens(self.sales.store)


def last_position_but_tokens(store: EventStore) -> int:
    position = "rowid" if store.backend == "sqlite" else "notification_id"
    with store.recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT MAX({position}) AS p FROM {store.events_table} "
                       "WHERE topic NOT IN ('TokenIssued', 'TokenRevoked')")
        found = cursor.fetchone()
    value = found["p"] if isinstance(found, dict) or hasattr(found, "keys") else found[0]
    return int(value or 0)


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    from fastapi.testclient import TestClient

    from api.app import create_app

    app = create_app(Settings(database_url=database_url, pool_size=4), run_projectors=True)
    with TestClient(app) as client:
        models_built(client)
        yield Api(client, client.app.state.services.sales)  # type: ignore[attr-defined]


def models_built(client: TestClient, seconds: float = 30) -> None:
    """Waits until the read models the app builds at start-up are active and its projector
    has beaten its heartbeat, so a test's queries never meet a model that is still being
    built, nor its health probe a projector that has not gone round yet (a database copied
    from ``started_template`` has its models active from the start)."""
    from infra.readside.follower import projector_liveness
    from infra.readside.readstore import REGISTRY, ReadStore
    from projections.catalog import BY_NAME

    db, deadline = client.app.state.services.read_db, time.monotonic() + seconds  # type: ignore[attr-defined]
    while time.monotonic() < deadline:
        try:
            with db.reader() as conn:
                rows = conn.execute(f"SELECT name FROM {REGISTRY} WHERE status = 'active'")
                if ({name for (name,) in rows.fetchall()} >= set(BY_NAME)
                        and projector_liveness(ReadStore(db), conn).alive):
                    return
        except Exception:  # noqa: BLE001, S110 — the registry may not exist yet
            pass
        time.sleep(0.02)
