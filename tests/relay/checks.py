"""What every relay test checks of a topic: it equals the store once repeats are dropped."""

import json
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from infra.eventstore.event_reader import EventReader
from infra.settings import Settings
from infra.sql.database import Database
from infra.stream.envelope import envelope
from tests.relay.conftest import Message

DOCS = Path(__file__).resolve().parents[2] / "docs"


def stored_envelopes(database_url: str) -> dict[str, dict[str, Any]]:
    """Every stored event as its envelope, by event_id, in global order."""
    db = Database(Settings(database_url=database_url))
    conn, reader, found, position = db.connect(), EventReader(db), {}, 0
    try:
        while page := reader.read(conn, position, 10_000):
            for event in page:
                value = json.loads(json.dumps(envelope(event)))
                found[value["event_id"]] = value
            position = page[-1].position
    finally:
        conn.close()
    return found


def first_occurrences(messages: list[Message]) -> list[Message]:
    """The messages with repeats (same event_id) dropped, in partition-offset order."""
    seen: set[str] = set()
    kept = []
    for m in sorted(messages, key=lambda m: (m.partition, m.offset)):
        if m.value["event_id"] not in seen:
            seen.add(m.value["event_id"])
            kept.append(m)
    return kept


def assert_topic_equals_store(messages: list[Message], stored: dict[str, dict[str, Any]]) -> None:
    kept = first_occurrences(messages)
    published = {m.value["event_id"]: m.value for m in kept}
    missing = sorted(v["position"] for k, v in stored.items() if k not in published)
    unknown = sorted(v["position"] for k, v in published.items() if k not in stored)
    assert not missing and not unknown, f"missing {len(missing)}: {missing[:10]}; unknown {unknown[:10]}"
    changed = [k for k, v in published.items() if v != stored[k]]
    assert changed == [], (published[changed[0]], stored[changed[0]])
    assert all(m.key == m.value["stream_id"] for m in kept)
    partitions_of_key: dict[str, set[int]] = defaultdict(set)
    versions_of_key: dict[str, list[int]] = defaultdict(list)
    for m in kept:
        partitions_of_key[m.key].add(m.partition)
        versions_of_key[m.key].append(m.value["version"])
    assert all(len(p) == 1 for p in partitions_of_key.values()), "a key spread over partitions"
    for key, versions in versions_of_key.items():
        assert versions == list(range(1, len(versions) + 1)), f"{key}: versions {versions[:20]}"


@cache
def _validator(relative: str) -> Draft202012Validator:
    schema = json.loads((DOCS / relative).read_text())
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def assert_valid_against_published_schemas(messages: list[Message]) -> None:
    for m in messages:
        value = m.value
        _validator("schemas/envelope.json").validate(value)
        data_schema = f"schemas/events/{value['type']}.v{value['schema_version']}.json"
        _validator(data_schema).validate(value["data"])
