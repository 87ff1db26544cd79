"""Offline verification of an export (``sfa audit verify-export``; README "Verifying an
export offline"). Every readable column is derived from, or checked against, the ``stored``
bytes that the chain hashes; what the chain cannot speak for is bound by the manifest.

Per row:
1. ``hash`` = SHA-256(previous_hash ‖ "position|stream_hex|version|type|" ‖ stored): binds
   ``position``, ``stream_hex``, ``version``, ``type``, ``stored`` and ``previous_hash``;
2. ``stream_id`` is ``stream_hex`` as a UUID, ``stream_type`` the type's stream;
   ``event_id``, ``occurred_at``, ``actor``, ``correlation_id``, ``causation_id`` are the
   stored ``meta``; ``data`` is the stored data (upcast to the current shape), except
   personal fields stored as ciphertext (shown decrypted or erased);
3. rows are in increasing position; a row whose ``previous_position`` is the row before it
   links to that row's ``hash``, and no ``previous_position`` falls before the row before;
4. every row belongs to the manifest's account (its own stream, the leads converted into
   it, its opportunities and orders, those orders' stock movements, as the rows say), and
   each of those streams (stock items aside) has every version from 1 on, without a gap.
The manifest: its own digest, the row count, first and last position, ``rows_digest``
(any change to any column, any row added, removed or moved), a head at or after the last
row. Against a manifest rewritten to match, pin the digest quoted at export time
(``--digest``) and compare ``head_hash`` with a published checkpoint.
"""

import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any
from uuid import UUID

from domain.catalog import EVENT_TYPES, upcast
from infra.audit.export import FORMAT, manifest_digest, row_hash, rows_digest, shape_problem
from infra.audit.history import rfc3339
from infra.audit.index import LINKING, STOCK_MOVEMENTS, canonical
from infra.eventstore.subjects import is_sealed_value

META = ("event_id", "actor", "correlation_id", "causation_id")


def verify(manifest: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    """Every problem found, each one line naming the row (empty: the export verifies)."""
    shapes = [p for n, row in enumerate(rows, start=1) if (p := shape_problem(n, row))]
    if shapes or not isinstance(manifest, dict):
        return shapes or ["the manifest is not an object"]
    problems = _manifest_problems(manifest, rows)
    bodies: list[dict[str, Any] | None] = []
    before = None
    for row in rows:
        body, problem = _row_problem(row, before)
        bodies.append(body)
        if problem:
            problems.append(f"position {row['position']}: {problem}")
        before = row
    if not any(p.startswith("position") for p in problems):
        problems += _membership_problems(str(manifest.get("account_id")), rows, bodies)
    return problems


def _manifest_problems(manifest: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    if manifest.get("format") != FORMAT:
        return [f"manifest: format is {manifest.get('format')!r}, not {FORMAT!r}"]
    checks: list[tuple[str, Callable[[], bool]]] = [
        ("manifest_digest does not match the manifest",
         lambda: manifest.get("manifest_digest") == manifest_digest(manifest)),
        ("count differs from the rows", lambda: manifest.get("count") == len(rows)),
        ("first_position differs from the rows",
         lambda: manifest.get("first_position") == (rows[0]["position"] if rows else 0)),
        ("last_position differs from the rows (rows cut off or added at the end)",
         lambda: manifest.get("last_position") == (rows[-1]["position"] if rows else 0)),
        ("rows_digest differs from the rows (a row changed, added, removed or moved)",
         lambda: manifest.get("rows_digest") == rows_digest(rows)),
        ("head_position is before the last row",
         lambda: isinstance(manifest.get("head_position"), int)
         and manifest["head_position"] >= manifest.get("last_position", 0)),
    ]
    return [f"manifest: {text}" for text, holds in checks if not holds()]


def _row_problem(row: dict[str, Any], before: dict[str, Any] | None
                 ) -> tuple[dict[str, Any] | None, str | None]:
    if before is not None and row["position"] <= before["position"]:
        return None, "rows are not in global order"
    try:
        if row_hash(row) != row["hash"]:
            return None, "hash does not match the stored bytes"
        body = json.loads(row["stored"])
    except ValueError as error:
        return None, f"unreadable proof columns ({error})"
    if not isinstance(body, dict) or not isinstance(body.get("meta"), dict) or \
            not isinstance(body.get("data"), dict):
        return None, "stored bytes are not an event"
    if before is not None and row["previous_position"] < before["position"]:
        return body, "previous_position falls before the row before it"
    if before is not None and row["previous_position"] == before["position"] \
            and row["previous_hash"] != before["hash"]:
        return body, "does not link to the row before it"
    return body, _readable_problem(row, body)


def _readable_problem(row: dict[str, Any], body: dict[str, Any]) -> str | None:
    event_type = EVENT_TYPES.get(row["type"])
    if event_type is None:
        return f"unknown event type {row['type']!r}"
    meta = body["meta"]
    derived = {"stream_id": _uuid_text(row["stream_hex"]), "stream_type": event_type.stream_type,
               **{name: meta.get(name) for name in META},
               "occurred_at": _occurred(meta.get("occurred_at"))}
    for name, value in derived.items():
        if row[name] != value:
            return f"{name} differs from the stored bytes"
    try:
        shown = json.loads(row["data"])
        stored = upcast(event_type, body["data"], body.get("schema_version", 1))
    except (ValueError, KeyError, TypeError) as error:
        return f"data is unreadable ({error})"
    return None if _says_the_same(shown, stored) else "data differs from the stored bytes"


def _uuid_text(stream_hex: str) -> str | None:
    try:
        return str(UUID(hex=stream_hex))
    except ValueError:
        return None


def _occurred(stored: Any) -> str | None:
    try:
        return rfc3339(stored)
    except (TypeError, ValueError):
        return None


def _says_the_same(shown: Any, stored: Any) -> bool:
    """Equal, except where the stored value is ciphertext (shown decrypted or erased)."""
    if is_sealed_value(stored):
        return True
    if isinstance(stored, dict) and isinstance(shown, dict):
        return shown.keys() == stored.keys() and all(
            _says_the_same(shown[k], stored[k]) for k in stored)
    if isinstance(stored, list) and isinstance(shown, list):
        return len(shown) == len(stored) and all(map(_says_the_same, shown, stored))
    return type(shown) is type(stored) and bool(shown == stored)


def _membership_problems(account: str, rows: list[dict[str, Any]],
                         bodies: list[dict[str, Any] | None]) -> list[str]:
    """Rows of other accounts, and streams with a version missing (a row removed)."""
    linked = {canonical(account)}
    for row, body in zip(rows, bodies, strict=True):
        if body is not None and row["type"] in LINKING:
            if canonical(str(body["data"].get(LINKING[row["type"]][1]))) in linked:
                linked.add(row["stream_id"])
    versions: dict[str, list[int]] = defaultdict(list)
    problems = []
    for row, body in zip(rows, bodies, strict=True):
        order = canonical(str(body["data"].get("order_id"))) if body is not None else ""
        if row["type"] in STOCK_MOVEMENTS and order in linked:
            continue
        if row["stream_id"] not in linked:
            problems.append(f"position {row['position']}: not an event of account {account}")
        versions[row["stream_id"]].append(row["version"])
    if canonical(account) not in versions:
        problems.append(f"account {account}: its own events are missing")
    for stream, found in versions.items():
        if found != list(range(1, len(found) + 1)):
            missing = next(v for v in range(1, len(found) + 2) if v not in found)
            problems.append(f"stream {stream}: version {missing} is missing (a row was removed)")
    return problems
