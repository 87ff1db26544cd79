"""The envelope is built from the one read path: an event stored in an old shape is
published in its current shape, and says so in ``schema_version``."""

import json
from datetime import date
from decimal import Decimal
from uuid import UUID

from jsonschema import Draft202012Validator

from bench.dataset import _insert
from domain.opportunity import OpportunityOpened
from infra.bootstrap import event_store
from infra.eventstore.codec import Metadata, encode
from infra.eventstore.event_reader import EventReader
from infra.settings import Settings
from infra.sql.database import Database
from infra.stream.envelope import ENVELOPE_FIELDS, envelope, message
from tests.relay.checks import DOCS

STREAM = UUID("6f1c0b1e-8d1a-4c55-9d3e-1f2a3b4c5d6e")


def _store_v1_opportunity(url: str) -> Database:
    event_store(Settings(database_url=url)).close()
    db = Database(Settings(database_url=url))
    opened = OpportunityOpened(str(STREAM), "acc-1", "rep-1", "Big deal", Decimal("1200.50"), "EUR",
                               date(2027, 3, 31), ("Gateway",), "prospecting", 10, None)
    meta = Metadata("0b9e2c4a-1111-4a4a-9a9a-123456789abc", "2026-11-02T09:30:00+00:00",
                    "rep:7f", "corr-1", "cause-1")
    body = json.loads(encode(opened, meta))
    del body["data"]["currency"]  # as version 1 stored it
    body["schema_version"] = 1
    conn = db.connect()
    _insert(db, conn, [(STREAM, 1, "OpportunityOpened", json.dumps(body).encode())])
    conn.close()
    return db


def test_an_old_shape_is_published_upcast_with_its_current_schema_version(database_url):
    db = _store_v1_opportunity(database_url)
    conn = db.connect()
    event = EventReader(db).read(conn, 0, 10)[0]
    conn.close()

    value = envelope(event)
    key, raw = message(event)

    assert tuple(value) == ENVELOPE_FIELDS
    assert key == str(STREAM).encode() and json.loads(raw) == value
    assert {k: v for k, v in value.items() if k != "data"} == {
        "event_id": "0b9e2c4a-1111-4a4a-9a9a-123456789abc", "position": 1,
        "stream_type": "Opportunity", "stream_id": str(STREAM), "version": 1,
        "type": "OpportunityOpened", "schema_version": 2,
        "occurred_at": "2026-11-02T09:30:00+00:00", "actor": "rep:7f",
        "correlation_id": "corr-1", "causation_id": "cause-1"}
    assert value["data"]["currency"] == "EUR" and value["data"]["amount"] == "1200.50"
    schema = json.loads((DOCS / "schemas/events/OpportunityOpened.v2.json").read_text())
    Draft202012Validator(schema).validate(value["data"])
