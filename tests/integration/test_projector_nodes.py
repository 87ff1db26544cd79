"""Three projector nodes (``sfa project --node``) share the read models of one PostgreSQL store
through leases in a read database of their own, while commands keep arriving: a node killed
(SIGKILL) at random points has its models taken over within 15 s, a node stopped (SIGSTOP) for
20 s loses its models and, woken, writes nothing stale (its leases' fences hold), status shows
the hand-overs, and afterwards every read model equals a single-node build, row for row. The
splittable models are built and followed in three segments (``SFA_PROJECTION_SEGMENTS``), each
a share of its own, and equal the same models built whole."""

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from infra.bootstrap import Sales, bootstrap
from infra.bootstrap import read_models as open_read_models
from infra.readside.read_models import ReadModels
from infra.settings import Settings
from projections.catalog import ALL, BY_NAME
from tests.conftest import ctx
from tests.integration.rebuilds import snapshot
from tests.integration.serve import ROOT, cli

NAMES = ("n1", "n2", "n3")
KILLS = 5
TAKEOVER_BOUND = 15.0  # seconds: a dead node's models are held by others within this
STOPPED_FOR = 20.0
SEGMENTS = 3
# every read model (a splittable one's segments), and the audit sealer
SHARES = {*(f"{p.name}/{i}" for p in ALL if p.splittable for i in range(SEGMENTS)),
          *(p.name for p in ALL if not p.splittable), "audit_seal"}


class Node:
    """``sfa project --node NAME`` as a process of its own, its output in a log file."""

    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        self.name, self.env, self.log = name, env, logs / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "workers.cli", "project", "--node", self.name],
                env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def signal(self, number: int) -> None:
        assert self.process is not None
        self.process.send_signal(number)
        if number == signal.SIGKILL:
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def store(postgres_url: str) -> Iterator[Sales]:
    sales = bootstrap(Settings(database_url=postgres_url, pool_size=4))
    yield sales
    sales.close()


def _customer(sales: Sales) -> tuple[str, str]:
    rep = str(sales.reps.hire(ctx(), name="R", email="r@x.io", role="rep", team="t",
                              region="n").stream_id)
    account = str(sales.accounts.open(ctx(), name="A", region="n", owner_id=rep).stream_id)
    sales.stock.register(ctx(), sku="S-1", name="Sensor", base_price=Decimal("100.00"))
    return rep, account


def _keep_writing(sales: Sales, rep: str, account: str, stop: threading.Event,
                  written: list[int]) -> None:
    """About 30 commands a second until ``stop``: deals opened and moved, stock received."""
    while not stop.is_set():
        deal = sales.opportunities.open(ctx(), account_id=account, owner_id=rep, name="d",
                                        amount=Decimal(1000), expected_close=date(2027, 1, 1))
        sales.opportunities.change_stage(ctx(), str(deal.stream_id), stage="qualification")
        sales.stock.receive(ctx(), "S-1", quantity=1)
        written.append(3)
        stop.wait(0.1)


def _holders(models: ReadModels) -> dict[str, tuple[str | None, int]]:
    """model -> (its live holder or None, its lease's epoch)."""
    return {lease.share: (lease.holder if lease.live else None, lease.epoch)
            for lease in models.leases()}


def _until(check, seconds: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.1)


def _shared_by(models: ReadModels, names: set[str]) -> dict[str, tuple[str | None, int]]:
    """The leases once every model is held by one of ``names``, and each of them holds one."""
    holders = _holders(models)
    held_by = {holder for holder, _ in holders.values()}
    return holders if set(holders) == SHARES and held_by == names else {}


def _at_head(models: ReadModels) -> bool:
    found = [s for s in models.status() if s.serving]
    return len(found) == len(BY_NAME) and all(s.position == s.head for s in found)


def test_three_nodes_share_take_over_fence_and_end_equal_to_one(
        store: Sales, postgres_url: str, read_postgres_url: str, tmp_path: Path):
    rep, account = _customer(store)
    env = {**os.environ, "SFA_DATABASE_URL": postgres_url, "PYTHONPATH": str(ROOT),
           "SFA_READ_DATABASE_URL": read_postgres_url, "SFA_PROJECTION_SEGMENTS": str(SEGMENTS)}
    nodes = {name: Node(name, env, tmp_path) for name in NAMES}
    models = open_read_models(Settings(database_url=postgres_url, projection_segments=SEGMENTS,
                                       read_database_url=read_postgres_url))
    stop, written = threading.Event(), []
    writer = threading.Thread(target=_keep_writing, args=(store, rep, account, stop, written))
    rng = random.Random(8)
    try:
        for node in nodes.values():
            node.start()
        _until(lambda: _shared_by(models, set(NAMES)), 60, "three nodes share the models")
        writer.start()
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.2, 2.0))
            victim = nodes[rng.choice(NAMES)]
            before = _holders(models)
            victim.signal(signal.SIGKILL)
            killed_at = time.monotonic()
            others = set(NAMES) - {victim.name}
            after = _until(lambda: _shared_by(models, others),  # noqa: B023 — called at once
                           TAKEOVER_BOUND, f"{victim.name}'s models are taken over")
            assert time.monotonic() - killed_at < TAKEOVER_BOUND
            print(f"taken over in {time.monotonic() - killed_at:.1f} s")
            for model, (holder, epoch) in before.items():
                if holder == victim.name:  # handed over: a new holder, a higher epoch
                    assert after[model][0] != victim.name and after[model][1] > epoch
            victim.start()
            _until(lambda: _shared_by(models, set(NAMES)), 60, f"{victim.name} rejoins")

        sleeper = nodes[rng.choice(NAMES)]
        before = _holders(models)
        mine = {m for m, (holder, _) in before.items() if holder == sleeper.name}
        assert mine
        sleeper.signal(signal.SIGSTOP)
        stopped_at = time.monotonic()
        _until(lambda: _shared_by(models, set(NAMES) - {sleeper.name}), TAKEOVER_BOUND,
               f"{sleeper.name}'s models are taken over while it is stopped")
        time.sleep(max(0.0, STOPPED_FOR - (time.monotonic() - stopped_at)))
        sleeper.signal(signal.SIGCONT)
        _until(lambda: f"node {sleeper.name} lost" in sleeper.text(), 30,
               f"{sleeper.name} notices it lost its models")
        _until(lambda: _shared_by(models, set(NAMES)), 60, f"{sleeper.name} rejoins")
        status = cli(postgres_url, "projections", "status", "--json",
                     env={"SFA_READ_DATABASE_URL": read_postgres_url,
                          "SFA_PROJECTION_SEGMENTS": str(SEGMENTS)})

        stop.set()
        writer.join(30)
        _until(lambda: _at_head(models), 60, "every model reaches the head")
    finally:
        stop.set()
        for node in nodes.values():
            node.stop()
    try:
        assert status.returncode == 0, status.stderr
        leases = [json.loads(line)["lease"] for line in status.stdout.splitlines()
                  if line.startswith('{"lease"')]
        assert {lease["share"] for lease in leases} == SHARES
        for lease in leases:  # the stopped node's models went to others, under new epochs
            if lease["share"] in mine:
                assert lease["epoch"] > before[lease["share"]][1]
        assert sum(written) > 100
        single = open_read_models(Settings(database_url=postgres_url))  # beside the store, whole
        try:
            single.catch_up()
            segmented = models.store.segment_positions(models.conn)
            for split in (p for p in ALL if p.splittable):  # served in segments, at the head
                active = models.store.active(models.conn, split.name)
                assert active is not None
                assert segmented[(split.name, active.generation)] == [active.position] * SEGMENTS
            assert snapshot(models) == snapshot(single)
        finally:
            single.close()
    finally:
        models.close()
