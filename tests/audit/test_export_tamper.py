"""Property-style tamper tests of exports: any column of any row, any row deleted, inserted,
duplicated or moved, a cut tail, any manifest field — ``verify-export`` refuses them all.
Two attackers: a careless one who edits the file, and one who also recomputes the manifest's
digests (caught by the stored bytes, the versions of each stream and the pinned digest)."""

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.audit import export, export_check
from infra.audit.seal import Sealer
from infra.settings import Settings
from infra.sql.database import Database
from tests.audit.world import build

# Not derivable from the stored bytes: bound by the manifest's rows digest only.
MANIFEST_ONLY = {"previous_position"}


@pytest.fixture
def exports(database_url, sales):
    """(manifest, rows) of the world's customer, and the rows of the other account."""
    world = build(sales)
    db = Database(Settings(database_url=database_url))
    conn = db.connect()
    Sealer(db).seal(conn)
    mine = export.build(db, conn, world.account, "2026-11-20T00:00:00+00:00")
    theirs = export.build(db, conn, world.other_account, "2026-11-20T00:00:00+00:00")
    conn.close()
    return mine, theirs[1]


def refit(manifest, rows):
    """What a careful forger does after editing rows: recompute the manifest to match."""
    fitted = {**manifest, "count": len(rows), "rows_digest": export.rows_digest(rows),
              "first_position": rows[0]["position"] if rows else 0,
              "last_position": rows[-1]["position"] if rows else 0}
    return {**fitted, "manifest_digest": export.manifest_digest(fitted)}


def changed(value, other):
    """A different value of the same type (``other``: the same column of another row)."""
    if isinstance(value, int):
        return value + 1
    if value is None:
        return "someone"
    if isinstance(other, str) and other != value:
        return other
    return value[:-1] + ("0" if value[-1:] != "0" else "1")


def test_the_untouched_export_verifies(exports):
    (manifest, rows), _ = exports
    assert export_check.verify(manifest, rows) == []
    assert len(rows) > 15 and len({r["stream_id"] for r in rows}) >= 4


def test_any_changed_column_of_any_row_is_refused(exports):
    (manifest, rows), _ = exports
    for index in range(len(rows)):
        for column in export.COLUMNS:
            forged = copy.deepcopy(rows)
            other = rows[(index + 1) % len(rows)][column]
            forged[index][column] = changed(forged[index][column], other)
            assert export_check.verify(manifest, forged), (index, column)
            if column not in MANIFEST_ONLY:
                assert export_check.verify(refit(manifest, forged), forged), (index, column)


@pytest.mark.parametrize("column", ["actor", "occurred_at", "event_id", "causation_id",
                                    "correlation_id", "stream_id", "stream_type", "data"])
def test_a_readable_column_is_checked_against_the_stored_bytes(exports, column):
    (manifest, rows), _ = exports
    forged = copy.deepcopy(rows)
    index = next(i for i, r in enumerate(rows) if r["type"] == "OpportunityOpened")
    forged[index][column] = {"actor": "mallory", "occurred_at": "2026-01-01T00:00:00+00:00",
                             "event_id": "1" * 32, "causation_id": "x", "correlation_id": "y",
                             "stream_id": rows[0]["stream_id"], "stream_type": "Lead",
                             "data": json.dumps({"amount": "1"})}[column]
    problems = export_check.verify(refit(manifest, forged), forged)
    name = "data" if column == "data" else column
    assert problems == [f"position {rows[index]['position']}: {name} differs from the stored bytes"]


def test_hypothesis_arbitrary_edits_are_refused(exports):
    (manifest, rows), _ = exports

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.integers(0, len(rows) - 1), st.sampled_from(sorted(export.COLUMNS)),
           st.one_of(st.text(max_size=40), st.integers(-5, 10**6), st.none()))
    def edit(index, column, value):
        if value == rows[index][column]:
            return
        forged = copy.deepcopy(rows)
        forged[index][column] = value
        assert export_check.verify(manifest, forged)
        if column not in MANIFEST_ONLY:
            assert export_check.verify(refit(manifest, forged), forged)

    edit()


def test_deleted_duplicated_and_swapped_rows_are_refused(exports):
    (manifest, rows), _ = exports
    for index in range(len(rows)):
        deleted = rows[:index] + rows[index + 1:]
        assert export_check.verify(manifest, deleted), index
        duplicated = rows[:index + 1] + rows[index:]
        assert export_check.verify(manifest, duplicated), index
        assert export_check.verify(refit(manifest, duplicated), duplicated), index
        if index + 1 < len(rows):
            swapped = [*rows[:index], rows[index + 1], rows[index], *rows[index + 2:]]
            assert export_check.verify(manifest, swapped), index
            assert export_check.verify(refit(manifest, swapped), swapped), index


def test_a_row_removed_inside_a_stream_is_refused_even_with_a_refitted_manifest(exports):
    (manifest, rows), _ = exports
    last_of_stream = {r["stream_id"]: i for i, r in enumerate(rows)}
    inside = [i for i, r in enumerate(rows) if i not in last_of_stream.values()
              and r["stream_type"] != "StockItem"]  # a stock item's other customers are not here
    assert len(inside) > 5
    for index in inside:
        deleted = rows[:index] + rows[index + 1:]
        problems = export_check.verify(refit(manifest, deleted), deleted)
        assert problems, index
        assert any("is missing (a row was removed)" in p or "not an event of account" in p
                   for p in problems), (index, problems)


def test_a_cut_tail_is_refused(exports):
    (manifest, rows), _ = exports
    for cut in range(1, len(rows) + 1):
        problems = export_check.verify(manifest, rows[:-cut])
        assert any(p.startswith("manifest: count differs") for p in problems), cut


def test_rows_of_another_account_are_refused(exports):
    (manifest, rows), foreign = exports
    for row in foreign:
        mixed = sorted([*rows, row], key=lambda r: r["position"])
        assert export_check.verify(manifest, mixed)
        problems = export_check.verify(refit(manifest, mixed), mixed)
        assert f"position {row['position']}: not an event of account {manifest['account_id']}" \
            in problems


def test_any_changed_manifest_field_is_refused(exports):
    (manifest, rows), _ = exports
    for field, value in manifest.items():
        forged = {**manifest, field: changed(value, "2026-11-21T00:00:00+00:00")}
        assert export_check.verify(forged, rows), field
    for field in ("count", "first_position", "last_position", "account_id", "rows_digest",
                  "head_position"):
        value = manifest[field]
        forged = {**manifest, field: 0 if isinstance(value, int) else changed(value, "x" * 64)}
        forged["manifest_digest"] = export.manifest_digest(forged)
        assert export_check.verify(forged, rows), field
    assert export_check.verify({k: v for k, v in manifest.items() if k != "count"}, rows)
