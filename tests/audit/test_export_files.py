"""Damaged, truncated or foreign files given to ``sfa audit verify-export``: a one-line
reason and exit 1, never a traceback; and the CLI's verdicts on good and forged exports."""

import json

import polars as pl
import pytest

from infra.audit import export
from infra.bootstrap import bootstrap
from infra.settings import Settings
from tests.audit.world import build
from tests.e2e.test_cli import sfa


@pytest.fixture
def files(sqlite_url, tmp_path):
    """An export of the world's customer, written by the CLI in both formats."""
    sales = bootstrap(Settings(database_url=sqlite_url))
    try:
        world = build(sales)
    finally:
        sales.close()
    made = {}
    for fmt in ("jsonl", "parquet"):
        path = tmp_path / f"acme.{fmt}"
        done = sfa("audit", "export", world.account, "--format", fmt, "--out", str(path),
                   url=sqlite_url)
        assert done.returncode == 0, done.stderr
        made[fmt] = (path, done.stdout.split("manifest digest ")[1].split()[0])
    return made


def damaged(path, tmp_path):
    """(name, file) pairs: every way a file can be broken or not an export at all."""
    good = path.read_bytes()
    cases = {"empty": b"", "garbage": b"\x00\xffnot an export\n", "half": good[:len(good) // 2],
             "magic only": b"PAR1", "json but no manifest": b'{"position": 1}\n'}
    if path.suffix == ".parquet":
        frame = pl.read_parquet(path)
        frame.write_parquet(tmp_path / "plain.parquet")  # no manifest in the metadata
        cases["no manifest"] = (tmp_path / "plain.parquet").read_bytes()
        frame.drop("actor").write_parquet(tmp_path / "narrow.parquet", metadata={
            export.METADATA_KEY: json.dumps({"format": export.FORMAT})})
        cases["column missing"] = (tmp_path / "narrow.parquet").read_bytes()
    else:
        lines = good.decode().splitlines()
        row = json.loads(lines[1])
        cases["manifest only"] = good.split(b"\n")[0] + b"\n"
        cases["wrong type"] = "\n".join([lines[0], json.dumps({**row, "position": "1"})]).encode()
        cases["extra column"] = "\n".join([lines[0], json.dumps({**row, "x": 1})]).encode()
    return cases


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_damaged_files_give_one_clean_line(files, fmt, tmp_path):
    path, _ = files[fmt]
    for name, content in damaged(path, tmp_path).items():
        broken = tmp_path / f"broken.{fmt}"
        broken.write_bytes(content)
        if name == "manifest only":
            manifest, rows = export.read(broken)  # readable: the check then refuses it
            assert rows == [] and manifest["count"] > 0, name
            continue
        with pytest.raises(export.ExportFileError) as caught:
            export.read(broken)
        assert "\n" not in str(caught.value) and str(caught.value), name


def test_the_cli_verifies_good_exports_and_refuses_damaged_and_forged_ones(files, tmp_path):
    path, digest = files["parquet"]
    good = sfa("audit", "verify-export", str(path), "--digest", digest, url="sqlite:///unused")
    assert good.returncode == 0, good.stderr
    assert "proven" in good.stdout and digest in good.stdout

    half = tmp_path / "half.parquet"
    half.write_bytes(path.read_bytes()[:300])
    jsonl, _ = files["jsonl"]
    lines = jsonl.read_text().splitlines()
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(lines[:-2]) + "\n")
    forged = tmp_path / "forged.jsonl"
    row = json.loads(lines[3])
    forged.write_text("\n".join([*lines[:3], json.dumps({**row, "actor": "mallory"}),
                                 *lines[4:]]) + "\n")
    for target, reason in [(half, "sfa: export unreadable: cannot read"),
                           (tmp_path / "nowhere.jsonl", "sfa: export unreadable: cannot read"),
                           (tmp_path, "sfa: export unreadable: cannot read"),
                           (cut, "sfa: export does not verify: manifest: count differs"),
                           (forged, "sfa: export does not verify: manifest: rows_digest")]:
        refused = sfa("audit", "verify-export", str(target), url="sqlite:///unused")
        assert refused.returncode == 1, (target, refused.stdout)
        assert refused.stderr.startswith(reason), (target, refused.stderr)
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    pinned = sfa("audit", "verify-export", str(jsonl), "--digest", "0" * 64, url="sqlite:///unused")
    assert pinned.returncode == 1 and "not the one quoted" in pinned.stderr
