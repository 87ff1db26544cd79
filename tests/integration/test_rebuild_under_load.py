"""Rebuild under load: commands keep arriving while a read model is rebuilt; queries during
the rebuild always answer from a complete model; afterwards it equals a from-zero rebuild."""

import threading
import time
from datetime import date
from decimal import Decimal

from infra.bootstrap import read_models as open_read_models
from infra.demo import load_demo
from infra.readside.read_models import ReadModels
from infra.readside.readstore import SqlReader
from infra.settings import Settings
from projections.funnel.queries import FunnelQueries
from tests.conftest import ctx
from tests.integration.rebuilds import snapshot


def _keep_writing(sales, stop: threading.Event, opened: list[str]) -> None:
    rep_id = next(iter(sales.directory.active_reps_in(None)))
    account = str(sales.accounts.open(ctx(), name="Load Ltd", region="north",
                                      owner_id=rep_id).stream_id)
    while not stop.is_set():
        deal = sales.opportunities.open(ctx(), account_id=account, owner_id=rep_id,
                                        name=f"load {len(opened)}", amount=Decimal(1000),
                                        expected_close=date(2027, 1, 1))
        sales.opportunities.change_stage(ctx(), str(deal.stream_id), stage="qualification")
        opened.append(str(deal.stream_id))


def _keep_querying(models: ReadModels, stop: threading.Event, seen: list[int]) -> None:
    conn = models.db.connect()
    queries = FunnelQueries(SqlReader(models.db, conn))
    while not stop.is_set():
        seen.append(sum(row["count"] for row in queries.summary()))
    conn.close()


def _until_commands_arrive(opened: list[str], count: int = 3, seconds: float = 30):
    """A rebuild's progress callback that, half-way through, holds the rebuild until
    ``count`` more commands were stored: on a busy machine the rebuild may otherwise finish
    before the writer stored any, and the test would prove nothing about writes meanwhile."""
    state: dict[str, int] = {}

    def progress(position: int, head: int) -> None:
        state.setdefault("first", len(opened))
        if state.get("held") or position < head // 2:
            return
        deadline = time.monotonic() + seconds
        while len(opened) < state["first"] + count and time.monotonic() < deadline:
            time.sleep(0.01)
        state["held"] = 1

    return progress


def test_rebuild_while_commands_arrive_and_queries_run(database_url, sales):
    load_demo(sales, seed=5, scale="small")
    live = open_read_models(Settings(database_url=database_url))
    live.catch_up()
    deals_before = sum(r["count"] for r in FunnelQueries(SqlReader(live.db, live.conn)).summary())
    stop, opened, seen = threading.Event(), [], []
    threads = [threading.Thread(target=live.follow, args=(stop,)),
               threading.Thread(target=_keep_writing, args=(sales, stop, opened)),
               threading.Thread(target=_keep_querying, args=(live, stop, seen))]
    for thread in threads:
        thread.start()
    rebuilder = open_read_models(Settings(database_url=database_url), batch_size=10)
    try:
        rebuilder.rebuild(["funnel"], fresh=True, progress=_until_commands_arrive(opened))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    assert len(opened) >= 3, "commands kept arriving during the rebuild"  # (held for them)
    assert len(seen) > 20 and min(seen) >= deals_before  # never an empty or half-built model
    assert seen == sorted(seen)  # deals only get added: a query never went backwards
    live.catch_up()
    after = snapshot(live)
    total = sum(r["count"] for r in FunnelQueries(SqlReader(live.db, live.conn)).summary())
    assert total == deals_before + len(opened)
    rebuilder.rebuild(["funnel"], fresh=True)
    assert snapshot(live) == after
    live.close()
    rebuilder.close()
