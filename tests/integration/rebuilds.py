"""Rebuild processes killed at random points, and read models compared row for row: shared by
the crash tests (one database, and read models in a database of their own)."""

import os
import random
import signal
import subprocess
import sys
import time
from typing import Any

from infra.readside.read_models import ReadModels
from infra.readside.readstore import physical


def building_position(models: ReadModels) -> int | None:
    building = [g for g in models.store.generations(models.conn) if g.status == "building"]
    return min(g.position for g in building) if building else None


def kill_during_catch_up(models: ReadModels, rng: random.Random, head: int,
                         start: "Starter") -> bool:
    """Starts (or resumes) a rebuild and kills it once it passed a random position.
    True if the kill landed before the rebuild finished."""
    target = rng.randint(1, head - 1)
    process = start()
    deadline = time.monotonic() + 120
    while (building_position(models) or 0) < target and process.poll() is None:
        assert time.monotonic() < deadline, "the rebuild made no progress"
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return building_position(models) is not None


class Starter:
    """Starts ``sfa projections rebuild --all`` in batches of 10 events, on the store of
    ``url`` (read models in ``read_url``'s database, if given)."""

    def __init__(self, url: str, read_url: str | None = None) -> None:
        self.env = {**os.environ, "SFA_DATABASE_URL": url, "SFA_PROJECTION_BATCH": "10"}
        if read_url:
            self.env["SFA_READ_DATABASE_URL"] = read_url

    def __call__(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "workers.cli", "projections", "rebuild",
                                 "--all"], env=self.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)


def snapshot(models: ReadModels) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every serving read model, as text, in key order."""
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


def kill_and_compare(models: ReadModels, rng: random.Random, head: int, start: Starter,
                     kills: int) -> int:
    """Kills rebuilds at ``kills`` random points (in at most three times as many tries), lets
    one finish, and checks that every model equals a fresh rebuild's, row for row; returns
    how many kills landed before a rebuild finished."""
    killed = attempts = 0
    while killed < kills and attempts < 3 * kills:
        attempts += 1
        killed += kill_during_catch_up(models, rng, head, start)
    assert start().wait(timeout=300) == 0
    assert building_position(models) is None
    after_crashes = snapshot(models)

    models.rebuild(list(models.projections), fresh=True)

    assert snapshot(models) == after_crashes
    assert sum(len(rows) for rows in after_crashes.values()) > 100
    return killed
