"""Property-based run of every operation of /openapi.json (schemathesis): no answer is a
server error, and every answer matches the documented schema. Runs on the embedded
backend (SQLite) to keep the suite's time in bounds; the routes are the same on both."""

import shutil
import tempfile
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.app import create_app
from infra.commands import CommandContext
from infra.settings import Settings

DATA_DIR = tempfile.mkdtemp(prefix="sfa-fuzz-")
APP = create_app(Settings(database_url=f"sqlite:///{DATA_DIR}/sfa.db"), run_projectors=True)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[tuple[FastAPI, str]]:
    """The app with its services running, some data, and an admin token."""
    with TestClient(APP):
        services = APP.state.services
        manager = services.sales.reps.hire(CommandContext(), name="Mia", email="mia@example.com",
                                           role="manager", team="north", region="north")
        services.sales.accounts.open(CommandContext(), name="Acme", region="north",
                                     owner_id=str(manager.stream_id))
        yield APP, services.tokens.create("admin")
    shutil.rmtree(DATA_DIR, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_server_error_and_answers_match_the_schema(case: schemathesis.Case,
                                                      fuzzed: tuple[FastAPI, str]) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {fuzzed[1]}"},
                           checks=[not_a_server_error, response_schema_conformance])
