"""The live loop never reads a table's keys itself (``infra.readside.warm_caches``): a model
the node built joins it with the build's cache, one found built is warmed on a thread of its
own — and either way the loop reads no row for a record that does not exist yet, and the
models end equal to a build from the first event."""

import threading
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from infra.bootstrap import Sales, bootstrap
from infra.bootstrap import read_models as open_read_models
from infra.readside.read_models import ReadModels
from infra.readside.readstore import ReadStore
from infra.settings import Settings
from projections.catalog import ALL
from tests.conftest import ctx
from tests.integration.rebuilds import snapshot

FOLLOWER = "live-loop"


class Reads:
    """Which thread read keys and rows, and the keys of the rows read."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.keys: list[str] = []  # thread names
        self.rows: list[tuple[str, tuple]] = []  # (thread name, key)
        stored_keys, load_row = ReadStore.stored_keys, ReadStore.load_row

        def counting_keys(store, conn, table, generation, page=50_000):  # type: ignore[no-untyped-def]
            self.keys.append(threading.current_thread().name)
            return stored_keys(store, conn, table, generation, page)

        def counting_rows(store, conn, table, generation, key):  # type: ignore[no-untyped-def]
            self.rows.append((threading.current_thread().name, key))
            return load_row(store, conn, table, generation, key)

        monkeypatch.setattr(ReadStore, "stored_keys", counting_keys)
        monkeypatch.setattr(ReadStore, "load_row", counting_rows)


def _records(sales: Sales, account: str, rep: str, count: int) -> list[str]:
    """``count`` new deals and leads; the deals' ids first."""
    deals = [str(sales.opportunities.open(
        ctx(), account_id=account, owner_id=rep, name=f"d{i}", amount=Decimal(1000),
        expected_close=date(2027, 1, 1)).stream_id) for i in range(count)]
    leads = [str(sales.leads.capture(
        ctx(), person="Ann Meyer", company=f"Acme {i}", email=f"ann{i}@acme.io",
        channel="referral", region="n").stream_id) for i in range(count)]
    return deals + leads


def _following(models: ReadModels) -> tuple[threading.Event, threading.Thread, list]:
    stop, finished = threading.Event(), []
    thread = threading.Thread(target=lambda: finished.append(models.follow(stop, 0.05)),
                              name=FOLLOWER)
    thread.start()
    return stop, thread, finished


def _until(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.05)


def _at_head(models: ReadModels, sales: Sales) -> bool:
    head = sales.store.max_position()
    active = models.active_generations()
    return len(active) == len(ALL) and min(g.position for g in active) >= head


@pytest.mark.parametrize("built_before", [False, True], ids=["built-here", "found-built"])
def test_the_live_loop_reads_no_keys_and_no_row_of_a_new_record(
        postgres_url, built_before, monkeypatch):
    settings = Settings(database_url=postgres_url, pool_size=4)
    sales = bootstrap(settings)
    rep = str(sales.reps.hire(ctx(), name="R", email="r@x.io", role="rep", team="t",
                              region="n").stream_id)
    account = str(sales.accounts.open(ctx(), name="A", region="n", owner_id=rep).stream_id)
    old = _records(sales, account, rep, 3)
    if built_before:
        builder = open_read_models(settings, ALL)
        builder.catch_up()
        builder.close()
    reads = Reads(monkeypatch)
    models = open_read_models(settings, ALL)
    stop, thread, finished = _following(models)
    try:
        _until(lambda: _at_head(models, sales))
        new = _records(sales, account, rep, 5)
        for deal in old[:3] + new[:2]:
            sales.opportunities.change_stage(ctx(), deal, stage="qualification")
        _until(lambda: _at_head(models, sales))
    finally:
        stop.set()
        thread.join(30)
    follower = finished[0]

    assert FOLLOWER not in reads.keys  # the loop never read a table's keys
    assert set(reads.keys) == ({"read-model-warmer"} if built_before else set())
    read_on_loop = {value for name, key in reads.rows if name == FOLLOWER for value in key}
    assert not read_on_loop & set(new)  # a new record's rows: known absent, no read
    if built_before:  # a found model's old rows are read back when changed
        assert set(old[:3]) <= read_on_loop
    assert follower.failed_rounds == 0
    stages = dict(models.conn.execute(
        "SELECT opportunity_id, stage FROM funnel_opportunities").fetchall())
    assert stages == {**{d: "qualification" for d in old[:3] + new[:2]},
                      **{d: "prospecting" for d in new[2:5]}}
    served = snapshot(models)
    models.close()
    fresh = open_read_models(settings, ALL)
    fresh.rebuild([p.name for p in ALL])
    assert snapshot(fresh) == served  # row for row, every model
    fresh.close()
    sales.close()
