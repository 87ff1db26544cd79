"""The envelope integrators receive for each event on Kafka (CONTRACT.md, "Event stream").

Built from what ``EventReader`` returns, so the payload is always the event's *current*
shape (old stored shapes are upcast on read) and ``schema_version`` names that shape:
``docs/schemas/events/<type>.v<schema_version>.json`` describes ``data``.
"""

from typing import Any

import orjson

from domain.catalog import EVENT_TYPES
from projections.base import EventRecord

ENVELOPE_FIELDS = ("event_id", "position", "stream_type", "stream_id", "version", "type",
                   "schema_version", "occurred_at", "actor", "correlation_id", "causation_id",
                   "data")


class UnpublishableEventError(Exception):
    """An event the relay must not pass: it stops before it, naming it, until fixed."""


class UnknownEventTypeError(UnpublishableEventError):
    """A stored event whose type the catalog does not know: never published blindly."""


def envelope(event: EventRecord) -> dict[str, Any]:
    if event.problem is not None:
        raise UnpublishableEventError(f"position {event.position}: {event.problem} "
                                      f"(stream {event.stream_id})")
    event_type = EVENT_TYPES.get(event.type)
    if event_type is None:
        raise UnknownEventTypeError(f"position {event.position}: unknown event type {event.type} "
                                    f"of stream {event.stream_id}")
    meta = event.meta
    return {
        "event_id": meta["event_id"],
        "position": event.position,
        "stream_type": event_type.stream_type,
        "stream_id": event.stream_id,
        "version": event.version,
        "type": event.type,
        "schema_version": event_type.schema_version,
        "occurred_at": meta["occurred_at"],
        "actor": meta.get("actor"),
        "correlation_id": meta.get("correlation_id"),
        "causation_id": meta.get("causation_id"),
        "data": event.data,
    }


def message(event: EventRecord) -> tuple[bytes, bytes]:
    """(key, value) of the Kafka record: the aggregate id, and the envelope as JSON."""
    return event.stream_id.encode(), orjson.dumps(envelope(event))
