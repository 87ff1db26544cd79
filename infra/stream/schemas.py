"""JSON Schemas for integrators, generated from the event classes (never written by hand).

``docs/schemas/envelope.json`` describes the Kafka record value (CONTRACT.md);
``docs/schemas/events/<Type>.v<schema_version>.json`` describes its ``data`` for each event
type and shape; ``docs/asyncapi.json`` describes the topic. A schema file, once released,
must never change: a changed event class needs a new ``schema_version`` (and an upcaster),
which gives a new file beside the old one. ``--check`` (and tests/relay/test_schemas.py)
fails when a committed file differs from what the class generates now.

Regenerate: ``python -m infra.stream.schemas --out docs`` (``--check`` only compares).
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from domain.catalog import AGGREGATES, EVENT_TYPES
from domain.events import Event
from infra.stream.kafka_publisher import ProducerConfig

DRAFT = "https://json-schema.org/draft/2020-12/schema"
BASE_URI = "https://sfa-core.example/schemas/"


def event_file(event_type: type[Event]) -> str:
    return f"schemas/events/{event_type.type_name()}.v{event_type.schema_version}.json"


def data_schema(event_type: type[Event]) -> dict[str, Any]:
    """The shape of ``data`` for one event type: pydantic's serialization schema, with the
    docstrings left out (prose may change; a schema file only changes with its shape)."""
    generated = _without_descriptions(TypeAdapter(event_type).json_schema(mode="serialization"))
    name, version = event_type.type_name(), event_type.schema_version
    return {"$schema": DRAFT, "$id": BASE_URI + event_file(event_type).removeprefix("schemas/"),
            **generated, "title": f"{name} (schema version {version})",
            "description": f"data of a {name} event of a {event_type.stream_type} stream, "
                           f"schema_version {version}"}


def _without_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_descriptions(v) for k, v in node.items()
                if not (k == "description" and isinstance(v, str))}
    if isinstance(node, list):
        return [_without_descriptions(v) for v in node]
    return node


def envelope_schema() -> dict[str, Any]:
    nullable_text = {"type": ["string", "null"]}
    properties = {
        "event_id": {"type": "string", "format": "uuid",
                     "description": "stable across re-publishing: drop repeats by it"},
        "position": {"type": "integer", "minimum": 1,
                     "description": "global position in the store (increasing, with gaps)"},
        "stream_type": {"enum": sorted(AGGREGATES)},
        "stream_id": {"type": "string", "format": "uuid", "description": "also the record key"},
        "version": {"type": "integer", "minimum": 1,
                    "description": "the event's version in its stream: 1, 2, 3, …"},
        "type": {"enum": sorted(EVENT_TYPES)},
        "schema_version": {"type": "integer", "minimum": 1,
                           "description": "shape of data: schemas/events/<type>.v<N>.json"},
        "occurred_at": {"type": "string", "format": "date-time"},
        "actor": {**nullable_text, "description": "token subject or user; null if none"},
        "correlation_id": nullable_text,
        "causation_id": nullable_text,
        "data": {"type": "object"},
    }
    return {"$schema": DRAFT, "$id": BASE_URI + "envelope.json", "title": "sfa-core event",
            "description": "value of every record on the sfa-core topic (JSON); key = stream_id",
            "type": "object", "required": list(properties), "properties": properties}


def asyncapi() -> dict[str, Any]:
    messages = {t.type_name(): _message(t) for t in EVENT_TYPES.values()}
    refs = [{"$ref": f"#/channels/events/messages/{name}"} for name in messages]
    partitions = ProducerConfig("", "").partitions
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "sfa-core event stream", "version": "1.0.0",
                 "description": "Every stored event, published by `sfa relay`, at least once. "
                                "Order is kept per key (the aggregate id); drop repeats by "
                                "event_id."},
        "defaultContentType": "application/json",
        "channels": {"events": {
            "address": "sfa.events",
            "description": "the topic named by SFA_KAFKA_TOPIC (default sfa.events)",
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
            "bindings": {"kafka": {"topic": "sfa.events", "partitions": partitions,
                                   "bindingVersion": "0.5.0"}}}},
        "operations": {"receiveEvents": {"action": "receive",
                                         "channel": {"$ref": "#/channels/events"},
                                         "messages": refs}},
        "components": {"messages": messages},
    }


def _message(event_type: type[Event]) -> dict[str, Any]:
    name = event_type.type_name()
    fixed = {"type": {"const": name}, "stream_type": {"const": event_type.stream_type},
             "schema_version": {"const": event_type.schema_version},
             "data": {"$ref": f"./{event_file(event_type)}"}}
    return {"name": name, "title": name, "contentType": "application/json",
            "bindings": {"kafka": {"key": {"type": "string", "format": "uuid"},
                                   "bindingVersion": "0.5.0"}},
            "payload": {"allOf": [{"$ref": "./schemas/envelope.json"},
                                  {"type": "object", "properties": fixed}]}}


def generated() -> dict[str, dict[str, Any]]:
    """Every published document by its path under docs/."""
    files = {"schemas/envelope.json": envelope_schema(), "asyncapi.json": asyncapi()}
    files.update({event_file(t): data_schema(t) for t in EVENT_TYPES.values()})
    return files


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write(out: Path) -> list[Path]:
    written = []
    for relative, document in generated().items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(document), encoding="utf-8")
        written.append(path)
    return written


def check(out: Path) -> list[str]:
    """What differs between ``out`` and the generated documents, one line per file."""
    problems = []
    for relative, document in generated().items():
        path = out / relative
        if not path.exists():
            problems.append(f"{relative}: missing (run python -m infra.stream.schemas --out docs)")
        elif path.read_text(encoding="utf-8") != render(document):
            problems.append(f"{relative}: differs from the event class; a changed event needs "
                            "a new schema_version (and an upcaster), never an edited schema"
                            if relative.startswith("schemas/events/") else
                            f"{relative}: out of date (run python -m infra.stream.schemas --out docs)")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description="Generate the integrators' JSON Schemas.")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on a difference")
    args = parser.parse_args()
    if args.check:
        problems = check(args.out)
        print("\n".join(problems) or "schemas up to date")
        sys.exit(1 if problems else 0)
    print(f"wrote {len(write(args.out))} files under {args.out}")


if __name__ == "__main__":
    main()
