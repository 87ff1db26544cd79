"""Following live while commands arrive: every event counts exactly once."""

import threading
import time
from datetime import date
from decimal import Decimal

from infra.read_models import ReadModels
from infra.settings import Settings
from projections.catalog import BY_NAME
from tests.conftest import ctx


def test_a_follower_racing_the_writers_counts_every_deal_exactly_once(database_url, sales):
    rep = str(sales.reps.hire(ctx(), name="R", email="r@x.io", role="rep", team="t",
                              region="n").stream_id)
    account = str(sales.accounts.open(ctx(), name="A", region="n", owner_id=rep).stream_id)
    models = ReadModels(Settings(database_url=database_url), [BY_NAME["funnel"]])
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
