"""The ``sfa`` command line as a user runs it, in a subprocess, on SQLite and PostgreSQL."""

import os
import re
import subprocess
import sys

import pytest

from infra.bootstrap import event_store
from infra.eventstore.store import aggregate_counts
from infra.settings import Settings


def sfa(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SFA_DATABASE_URL": url, "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "workers.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def test_demo_stores_thousands_of_events_and_info_reports_them(database_url):
    loaded = sfa("demo", "--scale", "small", "--seed", "7", url=database_url)
    assert loaded.returncode == 0, loaded.stderr

    store = event_store(Settings(database_url=database_url))
    counts = store.counts_by_type()
    total = sum(counts.values())
    aggregates = aggregate_counts(counts)
    store.close()
    assert total >= 3000
    assert aggregates["Lead"] == 400 and aggregates["Rep"] == 12
    assert all(aggregates[name] > 0 for name in aggregates)
    assert counts["RepDeparted"] == 1 and counts["LeadCaptured"] == 400
    assert counts.get("OpportunityHandedOver", 0) + counts.get("LeadHandedOver", 0) > 0

    info = sfa("info", url=database_url)
    assert info.returncode == 0, info.stderr
    assert f"events: {total}" in info.stdout
    for name, n in aggregates.items():
        assert re.search(rf"{name}\s*│\s*{n}\s*│", info.stdout), name

    again = sfa("demo", "--seed", "7", url=database_url)
    assert again.returncode == 0 and "already loaded" in again.stdout
    assert f"events: {total}" in sfa("info", url=database_url).stdout


def test_demo_is_deterministic_for_a_seed(tmp_path):
    first, second = (f"sqlite:///{tmp_path}/{name}.db" for name in ("a", "b"))
    for url in (first, second):
        assert sfa("demo", "--seed", "3", url=url).returncode == 0
    stores = [event_store(Settings(database_url=url)) for url in (first, second)]
    histories = [[(n.originator_id, n.originator_version, n.topic)
                  for n in s.notifications(0, limit=100_000)] for s in stores]
    for s in stores:
        s.close()
    assert histories[0] == histories[1]


@pytest.mark.parametrize(("args", "url", "status", "reason"), [
    (("demo", "--scale", "huge"), "sqlite:///unused.db", 2, "Invalid value for '--scale'"),
    (("info",), "mysql://nowhere/db", 1, "invalid configuration"),
    (("bogus",), "sqlite:///unused.db", 2, "No such command"),
])
def test_bad_input_exits_non_zero_with_one_line(args, url, status, reason, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = sfa(*args, url=url)
    assert result.returncode == status
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sfa: ") and reason in lines[0]
