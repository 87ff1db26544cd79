"""Crash safety: a projector killed with SIGKILL at random points during catch-up, then
restarted, ends with tables identical to a clean rebuild's — on SQLite and PostgreSQL."""

import os
import random
import signal
import subprocess
import sys
import time
from typing import Any

from infra.bootstrap import read_models as open_read_models
from infra.demo import load_demo
from infra.readside.read_models import ReadModels
from infra.readside.readstore import physical
from infra.settings import Settings

ROUNDS, KILLS_PER_ROUND = 4, 5  # 20 random kill points in all, per backend


def _rebuild_process(url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SFA_DATABASE_URL": url, "SFA_PROJECTION_BATCH": "10"}
    return subprocess.Popen([sys.executable, "-m", "workers.cli", "projections", "rebuild",
                             "--all"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _building_position(models: ReadModels) -> int | None:
    building = [g for g in models.store.generations(models.conn) if g.status == "building"]
    return min(g.position for g in building) if building else None


def _kill_during_catch_up(url: str, models: ReadModels, rng: random.Random, head: int) -> bool:
    """Starts (or resumes) a rebuild and kills it once it passed a random position.
    True if the kill landed before the rebuild finished."""
    target = rng.randint(1, head - 1)
    process = _rebuild_process(url)
    deadline = time.monotonic() + 120
    while (_building_position(models) or 0) < target and process.poll() is None:
        assert time.monotonic() < deadline, "the rebuild made no progress"
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return _building_position(models) is not None


def _snapshot(models: ReadModels) -> dict[str, list[tuple[Any, ...]]]:
    tables = {}
    for projection in models.projections.values():
        active = models.store.active(models.conn, projection.name)
        assert active is not None
        for table in projection.tables:
            columns = ", ".join(table.column_names)
            rows = models.conn.execute(f"SELECT {columns} FROM {physical(table, active.generation)}"
                                       f" ORDER BY {', '.join(table.key)}").fetchall()
            tables[table.name] = [tuple(str(v) for v in row) for row in rows]
    return tables


def test_sigkill_during_catch_up_never_double_counts_or_loses_an_event(database_url, sales):
    load_demo(sales, seed=11, scale="small")
    models = open_read_models(Settings(database_url=database_url))
    rng = random.Random(2026)
    killed_mid_way = 0
    try:
        for _ in range(ROUNDS):
            in_round, attempts = 0, 0
            while in_round < KILLS_PER_ROUND and attempts < 3 * KILLS_PER_ROUND:
                attempts += 1
                in_round += _kill_during_catch_up(database_url, models, rng,
                                                  sales.store.max_position())
            killed_mid_way += in_round
            finished = _rebuild_process(database_url)
            assert finished.wait(timeout=300) == 0
            assert _building_position(models) is None
            after_crashes = _snapshot(models)

            models.rebuild(list(models.projections), fresh=True)

            assert _snapshot(models) == after_crashes
            assert sum(len(rows) for rows in after_crashes.values()) > 100
    finally:
        models.close()
    assert killed_mid_way >= 20
