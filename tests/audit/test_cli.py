"""``sfa audit`` as a user runs it, in a subprocess, on SQLite and PostgreSQL."""

import json
import time

from infra.eventstore.subjects import REFRESH_SECONDS
from infra.settings import Settings
from infra.sql.database import Database
from tests.audit import tamper
from tests.audit.world import build
from tests.e2e.test_cli import sfa


def test_audit_commands_end_to_end(database_url, sales, tmp_path):
    world = build(sales)
    head = sales.store.max_position()

    unsealed = sfa("audit", "verify", url=database_url)
    assert unsealed.returncode == 0, unsealed.stderr
    assert f"{head} newer events not yet sealed" in unsealed.stdout
    published = tmp_path / "checkpoints.jsonl"
    assert sfa("audit", "checkpoint", "--out", str(published), url=database_url).returncode == 0
    assert json.loads(published.read_text())["position"] == head
    intact = sfa("audit", "verify", "--checkpoints", str(published), url=database_url)
    assert (intact.returncode, intact.stdout.strip()) == (
        0, f"Intact: {head} events checked up to position {head}.")

    found = sfa("audit", "history", world.account, "--json", "--as-of", "2026-11-09T12:00:00Z",
                url=database_url)
    assert found.returncode == 0, found.stderr
    state = json.loads(found.stdout)["state"]
    assert (state["account"]["grade"], state["opportunities"][0]["stage"]) == ("A", "proposal")
    table = sfa("audit", "history", world.account, url=database_url)
    assert table.returncode == 0 and "LeadCaptured" in table.stdout and "StockShipped" in table.stdout

    path = tmp_path / "acme.parquet"
    made = sfa("audit", "export", world.account, "--format", "parquet", "--out", str(path),
               url=database_url)
    assert made.returncode == 0, made.stderr
    checked = sfa("audit", "verify-export", str(path), url=database_url)
    assert checked.returncode == 0 and "proven" in checked.stdout, checked.stderr

    assert sales.leads.get(world.lead).person == "Lea Park"  # cached in this process
    forgot = sfa("audit", "forget", world.lead, "--rebuild", url=database_url)
    assert forgot.returncode == 0, forgot.stderr
    assert "2 keys destroyed" in forgot.stdout
    time.sleep(REFRESH_SECONDS + 0.1)  # another process drops its cached keys and states
    assert sales.leads.get(world.lead).person == "[erased]"
    assert sfa("audit", "verify", url=database_url).returncode == 0

    tamper.delete(Database(Settings(database_url=database_url)), 5)
    broken = sfa("audit", "verify", url=database_url)
    assert broken.returncode == 1
    assert broken.stderr.startswith("sfa: chain broken at position 5 (removed)")
    assert sfa("audit", "history", "not-an-id", url=database_url).returncode == 1
