"""The OpenAPI document's examples work on a freshly loaded demo (``api/examples.py``).

The demo is loaded once per backend; each example is then sent, with an admin token, to a
copy of it of its own (a command's example may use up the state the next one needs: a lead
cannot be both disqualified and converted), and must succeed.
"""

import sqlite3
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.examples import add_examples, bodies
from infra.access.tokens import TokenStore
from infra.bootstrap import bootstrap
from infra.bootstrap import read_models as open_read_models
from infra.demo import DemoExamples, load_demo
from infra.settings import Settings
from infra.sql.database import Database
from tests.conftest import Dropper, _new_database, _with_database

SEED = 42


@pytest.fixture(scope="module")
def examples_document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    url = f"sqlite:///{tmp_path_factory.mktemp('document')}/sfa.db"
    return create_app(Settings(database_url=url), run_projectors=False).openapi()


def _load(url: str) -> str:
    """Loads the demo with its read models caught up; answers an admin token."""
    sales = bootstrap(Settings(database_url=url))
    try:
        load_demo(sales, seed=SEED, scale="small")
    finally:
        sales.close()
    models = open_read_models(Settings(database_url=url))
    try:
        models.catch_up()
    finally:
        models.close()
    db = Database(Settings(database_url=url))
    try:
        return TokenStore(db).create("admin", None)
    finally:
        db.close()


class Copies:
    """Fresh copies of one loaded demo store."""

    def __init__(self, copy: Any, token: str) -> None:
        self.copy, self.token = copy, token


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_copies(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[Copies]:
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("demo")
        token = _load(f"sqlite:///{folder}/demo.db")

        def sqlite_copy() -> str:
            target = tmp_path_factory.mktemp("copy") / "sfa.db"
            with sqlite3.connect(folder / "demo.db") as source, sqlite3.connect(target) as copy:
                source.backup(copy)  # the write-ahead log's pages too, which a file copy misses
            return f"sqlite:///{target}"

        yield Copies(sqlite_copy, token)
        return
    server: str = request.getfixturevalue("postgres_server_url")
    dropper: Dropper = request.getfixturevalue("dropper")
    template = f"sfa_demo_{uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {template}")
    token = _load(_with_database(server, template))
    with psycopg.connect(server, autocommit=True) as admin:  # a template must have no session
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = %s AND pid <> pg_backend_pid()", (template,))
    made: list[Iterator[str]] = []

    def postgres_copy() -> str:
        made.append(_new_database(server, dropper, template))
        return next(made[-1])

    yield Copies(postgres_copy, token)
    for copy in made:
        next(copy, None)  # its sessions ended, its drop queued
    dropper.names.put(template)


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every operation with an example (a path parameter or a JSON body)."""
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            parameters = [p for p in operation.get("parameters", []) if p["in"] == "path"]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if parameters or body is not None:
                found.append((method, path, operation))
    return found


def _request(method: str, path: str, operation: dict[str, Any]) -> tuple[str, Any]:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", parameter["example"])
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    return path, None if body is None else body["example"]


def test_every_path_parameter_and_body_has_an_example(examples_document):
    operations = _operations(examples_document)
    assert len(operations) > 60
    for method, path, operation in operations:
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter.get("example"), (method, path, parameter["name"])
    table = bodies(DemoExamples.for_seed(SEED), date.today())
    with_bodies = {(m, p) for m, p, o in operations if "requestBody" in o}
    assert set(table) == with_bodies  # none missing, none left over from a removed route


def test_the_examples_name_the_records_the_demo_loads(examples_document):
    ids = DemoExamples.for_seed(SEED)
    rebuilt = add_examples({"paths": {"/v1/leads/{lead_id}": {"get": {"parameters": [
        {"name": "lead_id", "in": "path"}]}}}}, ids, date.today())
    assert rebuilt["paths"]["/v1/leads/{lead_id}"]["get"]["parameters"][0]["example"] == ids.lead
    assert DemoExamples.for_seed(SEED + 1).lead != ids.lead  # the ids follow from the seed


def test_each_example_succeeds_on_a_fresh_copy_of_the_demo(examples_document, demo_copies):
    failed = []
    for method, path, operation in _operations(examples_document):
        url, body = _request(method, path, operation)
        app = create_app(Settings(database_url=demo_copies.copy(), pool_size=2),
                         run_projectors=False)
        with TestClient(app) as client:
            answer = client.request(method.upper(), url, json=body, headers={
                "Authorization": f"Bearer {demo_copies.token}"})
        if not 200 <= answer.status_code < 300:
            failed.append(f"{method.upper()} {url} {body} -> {answer.status_code} {answer.text}")
    assert failed == []
