"""Exports: JSONL and Parquet read back (Parquet with polars) and verify offline; a manifest
proves completeness; every column, row operation and manifest field is tamper-checked."""

import json

import polars as pl
import pytest

from infra.audit import export, export_check
from infra.audit.chain import event_hash
from infra.audit.seal import Sealer
from infra.settings import Settings
from infra.sql.database import Database
from tests.audit.world import build


@pytest.fixture
def exported(database_url, sales):
    world = build(sales)
    db = Database(Settings(database_url=database_url))
    conn = db.connect()
    Sealer(db).seal(conn)
    manifest, rows = export.build(db, conn, world.account, "2026-11-20T00:00:00+00:00")
    conn.close()
    return world, manifest, rows


def offline_hash(row):
    """The documented procedure, written out without the project's code."""
    from hashlib import sha256
    header = f"{row['position']}|{row['stream_hex']}|{row['version']}|{row['type']}|".encode()
    return sha256(bytes.fromhex(row["previous_hash"]) + header + row["stored"].encode()).hexdigest()


def test_parquet_reads_back_with_polars_and_verifies_offline(exported, tmp_path):
    world, manifest, rows = exported
    path = tmp_path / "acme.parquet"
    export.write(manifest, rows, "parquet", path)
    frame = pl.read_parquet(path)
    assert frame.height == len(rows) > 10
    assert frame["position"].to_list() == sorted(frame["position"].to_list())
    assert set(frame["stream_id"].to_list()) >= {world.account, world.lead, world.deal}
    back_manifest, back = export.read(path)
    assert back_manifest == manifest and back == rows
    assert all(offline_hash(r) == r["hash"] for r in back)
    assert export_check.verify(back_manifest, back) == []


def test_manifest_names_the_account_the_rows_and_the_chain_head(exported, database_url):
    world, manifest, rows = exported
    conn = Database(Settings(database_url=database_url)).connect()
    head, digest = conn.execute("SELECT position, hash FROM sfa_audit_chain "
                                "ORDER BY position DESC LIMIT 1").fetchone()
    conn.close()
    assert (manifest["account_id"], manifest["count"]) == (world.account, len(rows))
    assert (manifest["first_position"], manifest["last_position"]) == (
        rows[0]["position"], rows[-1]["position"])
    assert (manifest["head_position"], manifest["head_hash"]) == (head, bytes(digest).hex())
    assert manifest["exported_at"] == "2026-11-20T00:00:00+00:00"
    assert manifest["manifest_digest"] == export.manifest_digest(manifest)


def test_jsonl_verifies_and_a_changed_stored_byte_does_not(exported, tmp_path):
    _, manifest, rows = exported
    path = tmp_path / "acme.jsonl"
    export.write(manifest, rows, "jsonl", path)
    assert export_check.verify(*export.read(path)) == []
    lines = path.read_text().splitlines()
    forged = json.loads(lines[4])
    forged["stored"] = forged["stored"].replace('"actor":"tester"', '"actor":"someone else"')
    lines[4] = json.dumps(forged)
    path.write_text("\n".join(lines) + "\n")
    problems = export_check.verify(*export.read(path))
    assert f"position {forged['position']}: hash does not match the stored bytes" in problems


def test_readable_data_that_lies_about_the_stored_bytes_is_caught(exported):
    _, manifest, rows = exported
    opened = next(i for i, r in enumerate(rows) if r["type"] == "OpportunityOpened")
    lie = dict(rows[opened], data=json.dumps({**json.loads(rows[opened]["data"]), "amount": "1"}))
    problems = export_check.verify(manifest, [*rows[:opened], lie, *rows[opened + 1:]])
    assert f"position {lie['position']}: data differs from the stored bytes" in problems


def test_rows_chain_to_one_another_where_adjacent(exported):
    _, _, rows = exported
    adjacent = [(a, b) for a, b in zip(rows, rows[1:], strict=False) if b["previous_position"] == a["position"]]
    assert adjacent and all(b["previous_hash"] == a["hash"] for a, b in adjacent)
    first = rows[0]
    assert first["hash"] == event_hash(bytes.fromhex(first["previous_hash"]), first["position"],
                                       first["stream_hex"], first["version"], first["type"],
                                       first["stored"].encode()).hex()
