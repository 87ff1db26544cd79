"""Exports: JSONL and Parquet read back (Parquet with polars) and verify offline; a changed
row does not."""

import json

import polars as pl
import pytest

from infra.audit import export
from infra.audit.chain import event_hash
from infra.audit.seal import Sealer
from infra.settings import Settings
from infra.sqldb import Database
from tests.audit.world import build


@pytest.fixture
def exported(database_url, sales):
    world = build(sales)
    db = Database(Settings(database_url=database_url))
    conn = db.connect()
    Sealer(db).seal(conn)
    rows = export.export_rows(db, conn, world.account)
    conn.close()
    return world, rows


def offline_hash(row):
    """The documented procedure, written out without the project's code."""
    from hashlib import sha256
    header = f"{row['position']}|{row['stream_hex']}|{row['version']}|{row['type']}|".encode()
    return sha256(bytes.fromhex(row["previous_hash"]) + header + row["stored"].encode()).hexdigest()


def test_parquet_reads_back_with_polars_and_verifies_offline(exported, tmp_path):
    world, rows = exported
    path = tmp_path / "acme.parquet"
    export.write(rows, "parquet", path)
    frame = pl.read_parquet(path)
    assert frame.height == len(rows) > 10
    assert frame["position"].to_list() == sorted(frame["position"].to_list())
    assert set(frame["stream_id"].to_list()) >= {world.account, world.lead, world.deal}
    back = frame.to_dicts()
    assert all(offline_hash(r) == r["hash"] for r in back)
    assert export.verify_rows(back) == (len(rows), [])


def test_jsonl_verifies_and_a_changed_row_does_not(exported, tmp_path):
    _, rows = exported
    path = tmp_path / "acme.jsonl"
    export.write(rows, "jsonl", path)
    assert export.verify_rows(export.read(path)) == (len(rows), [])
    lines = path.read_text().splitlines()
    forged = json.loads(lines[3])
    forged["stored"] = forged["stored"].replace('"version"', '"version"', 1).replace(
        '"actor":"tester"', '"actor":"someone else"')
    lines[3] = json.dumps(forged)
    path.write_text("\n".join(lines) + "\n")
    proven, problems = export.verify_rows(export.read(path))
    assert problems == [f"position {forged['position']}: hash does not match the stored bytes"]


def test_readable_data_that_lies_about_the_stored_bytes_is_caught(exported):
    _, rows = exported
    opened = next(i for i, r in enumerate(rows) if r["type"] == "OpportunityOpened")
    lie = dict(rows[opened], data=json.dumps({**json.loads(rows[opened]["data"]), "amount": "1"}))
    _, problems = export.verify_rows([*rows[:opened], lie, *rows[opened + 1:]])
    assert problems == [f"position {lie['position']}: data differs from the stored bytes"]


def test_rows_chain_to_one_another_where_adjacent(exported):
    _, rows = exported
    adjacent = [(a, b) for a, b in zip(rows, rows[1:], strict=False) if b["previous_position"] == a["position"]]
    assert adjacent and all(b["previous_hash"] == a["hash"] for a, b in adjacent)
    first = rows[0]
    assert first["hash"] == event_hash(bytes.fromhex(first["previous_hash"]), first["position"],
                                       first["stream_hex"], first["version"], first["type"],
                                       first["stored"].encode()).hex()
