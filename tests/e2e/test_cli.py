"""The ``sfa`` command line as a user runs it, in a subprocess, on SQLite and PostgreSQL."""

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from infra.bootstrap import event_store
from infra.eventstore.store import aggregate_counts
from infra.settings import Settings
from tests.integration.serve import free_port

PROGRESS = re.compile(r"^Loading demo data: ([\d,]+)/400 leads, ([\d,]+) events$", re.MULTILINE)


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
    assert aggregates["Lead"] == 400 + 1 and aggregates["Rep"] == 12  # and the example lead
    assert all(aggregates[name] > 0 for name in aggregates)
    assert counts["RepDeparted"] == 1 and counts["LeadCaptured"] == 401
    assert counts.get("OpportunityHandedOver", 0) + counts.get("LeadHandedOver", 0) > 0
    assert [n for n, _ in PROGRESS.findall(loaded.stderr)] == [f"{n:,}" for n in range(0, 400, 50)]

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


def test_a_bad_read_database_url_is_refused_naming_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SFA_READ_DATABASE_URL", "mysql://nowhere/read")
    result = sfa("projections", "status", url=f"sqlite:///{tmp_path}/store.db")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sfa: invalid configuration")
    assert "SFA_READ_DATABASE_URL must start with sqlite:/// or postgresql://" in lines[0]


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _served_demo(url: str, port: int, log_path) -> str:
    """The output of ``sfa serve --demo`` (not a terminal) until the API listens."""
    env = {**os.environ, "SFA_DATABASE_URL": url}
    with log_path.open("wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "workers.cli", "serve", "--demo",
                                   "--port", str(port)], env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while "Uvicorn running on" not in log_path.read_text():
            assert server.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.3)
        return log_path.read_text()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def test_serve_demo_says_how_far_the_load_is_then_where_the_api_listens(tmp_path):
    port = free_port()
    output = _served_demo(f"sqlite:///{tmp_path}/demo.db", port, tmp_path / "serve.log")

    progress = [(m.start(), _number(m[1]), _number(m[2])) for m in PROGRESS.finditer(output)]
    assert [leads for _, leads, _ in progress] == list(range(0, 400, 50))
    events = [n for _, _, n in progress]
    assert events == sorted(events) and events[0] > 0 and len(set(events)) == len(events)
    summary = re.search(r"^Demo data loaded: 400 leads, ([\d,]+) events in [\d.]+ s\.$", output,
                        re.MULTILINE)
    assert summary and _number(summary[1]) > events[-1]
    docs = output.index(f"API docs:  http://127.0.0.1:{port}/docs")
    listening = output.index(f"Uvicorn running on http://127.0.0.1:{port}")
    assert progress[-1][0] < summary.start() < docs < listening
    assert f"ReDoc:     http://127.0.0.1:{port}/redoc" in output
    assert f"Console:   http://127.0.0.1:{port}/console" in output
