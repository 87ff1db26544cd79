"""Processes starting at the same instant on a new PostgreSQL database (``sfa serve
--workers 2``, a projector, a relay) all start: every table is made by one of them and
found by the others. PostgreSQL's ``CREATE ... IF NOT EXISTS`` is not safe against a
concurrent one (the loser fails on the type name), as CI once showed for the token table."""

import os
import subprocess
import sys
import time

import psycopg
import pytest

from tests.integration.serve import ROOT

PROCESSES = 4
TRIALS = 2  # each on a new database; a single trial lost the race 1 time in 2 before the fix


def _start_at_once(url: str, signals) -> list[subprocess.Popen[str]]:
    starters = [subprocess.Popen([sys.executable, "-m", "tests.integration.starter", url,
                                  str(signals), str(n)], cwd=ROOT, env=dict(os.environ),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                for n in range(PROCESSES)]
    deadline = time.monotonic() + 120
    while len(list(signals.glob("ready-*"))) < PROCESSES:
        assert time.monotonic() < deadline, "the starters did not get ready"
        assert all(s.poll() is None for s in starters), [s.communicate()[0] for s in starters]
        time.sleep(0.05)
    time.sleep(0.2)  # every starter is polling for the signal now
    (signals / "go").touch()
    return starters


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {name for (name,) in rows}


@pytest.mark.parametrize("trial", range(TRIALS))
def test_processes_starting_at_once_on_a_new_database_all_start(postgres_url, tmp_path, trial):
    starters = _start_at_once(postgres_url, tmp_path)
    outputs = [s.communicate(timeout=180)[0] for s in starters]
    assert [s.returncode for s in starters] == [0] * PROCESSES, "\n".join(outputs)
    tables = _tables(postgres_url)
    assert {"sfa_tokens", "sfa_idempotency", "sfa_relay_positions"} <= tables, tables
