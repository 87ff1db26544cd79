"""Stored form of events: canonical JSON, named by event type, never by Python path.

``state`` bytes are ``{"schema_version": N, "data": {...}, "meta": {...}}`` with keys
sorted, so the same event always has the same bytes (the audit hash chain relies on it).
``meta`` holds the envelope fields that are not part of the domain fact: event id,
occurred_at, actor, correlation and causation ids.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

from domain.catalog import EVENT_TYPES, upcast
from domain.events import Event


@dataclass(frozen=True)
class Metadata:
    event_id: str
    occurred_at: str  # RFC 3339, UTC
    actor: str | None
    correlation_id: str
    causation_id: str
    idempotency_key: str | None = None
    request_hash: str | None = None


_ADAPTERS: dict[str, TypeAdapter[Any]] = {}
# (topic, data) -> data: encrypts / decrypts personal fields (``infra.eventstore.subjects``)
DataFilter = Callable[[str, dict[str, Any]], dict[str, Any]]


def _adapter(event_type: type[Event]) -> TypeAdapter[Any]:
    name = event_type.type_name()
    if name not in _ADAPTERS:
        _ADAPTERS[name] = TypeAdapter(event_type)
    return _ADAPTERS[name]


def encode(event: Event, meta: Metadata, seal: DataFilter | None = None) -> bytes:
    data = _adapter(type(event)).dump_python(event, mode="json")
    if seal is not None:
        data = seal(event.type_name(), data)
    body = {"schema_version": type(event).schema_version, "data": data, "meta": vars(meta)}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def decode(topic: str, state: bytes, reveal: DataFilter | None = None) -> tuple[Event, Metadata]:
    event_type = EVENT_TYPES[topic]
    body = json.loads(state)
    data = reveal(topic, body["data"]) if reveal is not None else body["data"]
    data = upcast(event_type, data, body.get("schema_version", 1))
    return _adapter(event_type).validate_python(data), Metadata(**body["meta"])


def decode_body(state: bytes) -> dict[str, Any]:
    """The raw JSON body, without building domain objects (fast path for readers)."""
    body: dict[str, Any] = json.loads(state)
    return body
