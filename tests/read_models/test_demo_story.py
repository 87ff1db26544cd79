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

    # prices and marketing: two currencies, two regions' price lists, promotions, campaigns
    events = [sales.store.decode(n).event for n in sales.store.notifications(
        0, 1_000_000, ["OrderPlaced", "OpportunityOpened", "PriceListSet", "PromotionAdded",
                       "CampaignRegistered", "LeadCaptured"])]
    of = lambda kind: [e for e in events if type(e).__name__ == kind]  # noqa: E731
    assert {e.currency for e in of("OrderPlaced")} == {e.currency for e in of(
        "OpportunityOpened")} == {"EUR", "USD"}
    assert {(e.region, e.currency) for e in of("PriceListSet")} == {("north", "EUR"),
                                                                    ("south", "USD")}
    assert len(of("PromotionAdded")) == 2 and all(e.cost > 0 for e in of("CampaignRegistered"))
    rules = {line.price_rule for e in of("OrderPlaced") for line in e.lines}
    assert any(r.startswith("price_list:south") for r in rules)
    assert any("+promotion:" in r for r in rules)
    named = {e.campaign_id for e in of("LeadCaptured")} - {None}
    assert len(named) >= 4
