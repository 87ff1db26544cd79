"""Following live while commands arrive: every event counts exactly once."""

import threading
import time
from datetime import date
from decimal import Decimal

from infra.bootstrap import read_models as open_read_models
from infra.settings import Settings
from projections.catalog import ALL, BY_NAME
from tests.conftest import ctx


def test_a_follower_racing_the_writers_counts_every_deal_exactly_once(database_url, sales):
    rep = str(sales.reps.hire(ctx(), name="R", email="r@x.io", role="rep", team="t",
                              region="n").stream_id)
    account = str(sales.accounts.open(ctx(), name="A", region="n", owner_id=rep).stream_id)
    models = open_read_models(Settings(database_url=database_url), [BY_NAME["funnel"]])
    models.catch_up()
    stop, opened = threading.Event(), []
    follower = threading.Thread(target=models.follow, args=(stop,))
    follower.start()
    started = time.monotonic()
    while time.monotonic() - started < 3:
        deal = sales.opportunities.open(ctx(), account_id=account, owner_id=rep, name="d",
                                        amount=Decimal(1000), expected_close=date(2027, 1, 1))
        sales.opportunities.change_stage(ctx(), str(deal.stream_id), stage="qualification")
        opened.append(deal)
    stop.set()
    follower.join(timeout=30)
    models.catch_up()

    totals, deals = models.conn.execute(
        "SELECT (SELECT SUM(deals) FROM funnel_totals), "
        "(SELECT COUNT(*) FROM funnel_opportunities WHERE stage = 'qualification')").fetchone()
    assert len(opened) > 20
    assert (int(totals), deals) == (len(opened), len(opened))
    models.close()



def test_a_live_model_reads_no_row_for_a_new_record_and_still_finds_the_old_ones(
        database_url, sales, monkeypatch):
    rep = str(sales.reps.hire(ctx(), name="R", email="r@x.io", role="rep", team="t",
                              region="n").stream_id)
    account = str(sales.accounts.open(ctx(), name="A", region="n", owner_id=rep).stream_id)
    sales.stock.register(ctx(), sku="S-1", name="Sensor", base_price=Decimal("100.00"))
    sales.stock.receive(ctx(), "S-1", quantity=100)

    def new_records(n: int) -> list[str]:
        """n each of: a deal, a lead, an order (placed and reserved)."""
        made = []
        for i in range(n):
            made.append(str(sales.opportunities.open(
                ctx(), account_id=account, owner_id=rep, name="d", amount=Decimal(1000),
                expected_close=date(2027, 1, 1)).stream_id))
            made.append(str(sales.leads.capture(
                ctx(), person="Ann Meyer", company=f"Acme {i}", email=f"ann{i}@acme.io",
                channel="referral", region="n").stream_id))
            made.append(str(sales.orders.place(ctx(), account_id=account,
                                               lines=[("S-1", 1)]).stream_id))
        return made

    old_deal = new_records(1)[0]
    models = open_read_models(Settings(database_url=database_url), ALL)
    models.catch_up()  # built: the live group that follows starts with an empty cache
    loaded: list[tuple[str, tuple]] = []
    load_row = models.store.load_row

    def counting_load_row(conn, table, generation, key):
        loaded.append((table.name, key))
        return load_row(conn, table, generation, key)

    monkeypatch.setattr(models.store, "load_row", counting_load_row)
    new = new_records(3)
    sales.opportunities.change_stage(ctx(), old_deal, stage="qualification")
    models.catch_up()

    stages = dict(models.conn.execute(
        "SELECT opportunity_id, stage FROM funnel_opportunities").fetchall())
    assert stages == {old_deal: "qualification", **{n: "prospecting" for n in new[::3]}}
    orders = models.conn.execute("SELECT COUNT(*) FROM reports_orders").fetchone()[0]
    assert orders == 4
    read_ids = {value for _, key in loaded for value in key}
    assert {old_deal, account} <= read_ids  # rows that exist are still read
    assert not read_ids & set(new)  # a new record's rows are known absent without a query
    models.close()


def test_a_busy_follower_pauses_by_its_last_round_within_bounds(sqlite_url):
    """Short rounds: a write reaches the read models about ``interval`` later; rounds that
    take much CPU (a heavy load): a pause several times that, so bigger batches; never
    longer than the cap, unless the configured interval is longer still."""
    models = open_read_models(Settings(database_url=sqlite_url, projection_interval=0.02))
    slow = open_read_models(Settings(database_url=sqlite_url, projection_interval=0.5))
    try:
        pauses = [models.pause_after(seconds, seconds) for seconds in (0.001, 0.005, 0.01, 0.05)]
        assert [round(p, 3) for p in pauses] == [0.019, 0.04, 0.08, 0.1]
        assert round(models.pause_after(0.03, 0.001), 3) == 0.008  # it waited on the database
        assert slow.pause_after(0.01, 0.01) == 0.49
    finally:
        models.close()
        slow.close()
