"""The demo data tells a believable story: deals take weeks, orders follow the deals they
close across the year, and the pipeline at the end holds open deals in every open stage."""

from datetime import UTC, datetime, timedelta

from infra.demo import load_demo
from infra.readside.readstore import SqlReader
from projections.funnel.queries import FunnelQueries

END = datetime(2026, 12, 1, 12, tzinfo=UTC)


def test_the_demo_spreads_deals_and_orders_over_the_year(sales, read_models):
    load_demo(sales, seed=42, scale="small", end=END)
    read_models.catch_up()
    funnel = FunnelQueries(SqlReader(read_models.db, read_models.conn))

    cycle = funnel.win_rate_and_cycle()
    assert cycle["won"] > 20 and cycle["lost"] > 20
    assert 20 < cycle["average_cycle_days"] < 120  # weeks to months, not hours

    open_stages = {row["stage"]: row["count"] for row in funnel.summary()}
    assert all(open_stages[s] > 0 for s in ("prospecting", "qualification", "proposal",
                                            "negotiation"))

    placed = [r.meta.occurred_at for n in sales.store.notifications(0, 100_000, ["OrderPlaced"])
              for r in [sales.store.decode(n)]]
    months = {at[:7] for at in placed}
    assert len(months) >= 6
    assert max(placed) < (END - timedelta(days=14)).isoformat()
