"""The published consumer example against a real broker, and the schema-version guard."""

import dataclasses
import importlib.util
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

from bench.dataset import load
from domain.catalog import EVENT_TYPES
from infra.bootstrap import event_store
from infra.settings import Settings
from infra.sql.database import Database
from infra.stream import schemas
from tests.relay.checks import DOCS, stored_envelopes
from tests.relay.conftest import relay_process, stderr_of


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("consumer_example", DOCS / "consumer_example.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_consumer_example_applies_each_event_once_in_order(sqlite_url, broker):
    event_store(Settings(database_url=sqlite_url)).close()
    load(Database(Settings(database_url=sqlite_url)), 3000, seed=4)
    for args in (["--once"], ["--once", "--from-position", "0"]):  # everything twice
        relay = relay_process(sqlite_url, broker.bootstrap, *args)
        assert relay.wait(timeout=120) == 0, stderr_of(relay)
    stored = stored_envelopes(sqlite_url)
    applied: dict[str, list[int]] = defaultdict(list)

    count = _example().consume(broker.bootstrap, "sfa.events",
                               lambda e: applied[e["stream_id"]].append(e["version"]),
                               stop_when_idle=3.0)

    assert count == len(stored)
    expected: dict[str, list[int]] = defaultdict(list)
    for event in stored.values():
        expected[event["stream_id"]].append(event["version"])
    assert applied == expected  # each stream's versions 1..n, once each, in order


def test_the_committed_schemas_are_what_the_event_classes_generate():
    assert schemas.check(DOCS) == []


def test_sfa_relay_schemas_check_passes_on_docs_and_fails_on_an_edited_schema(tmp_path: Path):
    shutil.copytree(DOCS / "schemas", tmp_path / "schemas")
    shutil.copy(DOCS / "asyncapi.json", tmp_path / "asyncapi.json")
    edited = tmp_path / "schemas/events/StockReceived.v1.json"
    edited.write_text(edited.read_text().replace('"integer"', '"number"'))

    def check(out: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "workers.cli", "relay", "schemas", "--check",
                               "--out", str(out)], capture_output=True, text=True, timeout=60)

    assert check(DOCS).returncode == 0
    failed = check(tmp_path)
    assert failed.returncode == 1
    assert failed.stderr.startswith("sfa: schemas/events/StockReceived.v1.json: differs from the "
                                    "event class; a changed event needs a new schema_version")


def test_a_changed_event_class_without_a_new_schema_version_fails_the_check(monkeypatch):
    original = EVENT_TYPES["LeadQualified"]
    changed = dataclasses.make_dataclass(
        "LeadQualified", [("reason_code", str)], bases=(original,), frozen=True)
    monkeypatch.setitem(EVENT_TYPES, "LeadQualified", changed)

    problems = schemas.check(DOCS)

    assert problems == [f"schemas/events/LeadQualified.v{original.schema_version}.json: differs "
                        "from the event class; a changed event needs a new schema_version "
                        "(and an upcaster), never an edited schema"]


def test_a_new_schema_version_is_a_new_file_beside_the_old_one(monkeypatch, tmp_path: Path):
    shutil.copytree(DOCS / "schemas", tmp_path / "schemas")
    original = EVENT_TYPES["LeadQualified"]
    bumped = dataclasses.make_dataclass(
        "LeadQualified", [("reason_code", str)], bases=(original,), frozen=True,
        namespace={"schema_version": original.schema_version + 1})
    monkeypatch.setitem(EVENT_TYPES, "LeadQualified", bumped)
    assert any("LeadQualified.v2.json: missing" in p for p in schemas.check(tmp_path))

    schemas.write(tmp_path)

    assert schemas.check(tmp_path) == []
    assert (tmp_path / "schemas/events/LeadQualified.v1.json").read_text() == (
        DOCS / "schemas/events/LeadQualified.v1.json").read_text()
    assert "reason_code" in (tmp_path / "schemas/events/LeadQualified.v2.json").read_text()


@pytest.mark.parametrize("name", ["OpportunityOpened", "OrderPlaced"])
def test_the_data_schema_names_every_field_of_the_class(name):
    schema = schemas.data_schema(EVENT_TYPES[name])
    fields = [f.name for f in dataclasses.fields(EVENT_TYPES[name])]
    assert schema["required"] == fields and list(schema["properties"]) == fields
