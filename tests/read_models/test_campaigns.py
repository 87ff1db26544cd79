"""Campaigns against their cost, and channel costs made of them, on SQLite and PostgreSQL.
Every figure below is worked out by hand from ``campaign_world``."""

from datetime import date
from decimal import Decimal as D

from infra.bootstrap import Sales
from infra.readside.readstore import SqlReader
from projections.campaigns import CampaignQueries, totals_by_currency
from projections.follow_ups_and_channels.queries import FollowUpsAndChannelsQueries
from tests.conftest import at


def campaign_world(sales: Sales) -> dict[str, str]:
    """Fair (event, EUR 3000.00): 3 leads, 2 converted, 1 won (EUR 12000), 1 lost.
    Ads (social, USD 1000.50): 2 leads, none converted. Expo (event, USD 450.00): 1 lead,
    won (USD 5000). Besides: one event lead and one social lead from no campaign."""
    ann = str(sales.reps.hire(at(1), name="Ann", email="ann@example.com", role="rep",
                              team="north", region="north").stream_id)

    def campaign(name: str, channel: str, cost: str, currency: str) -> str:
        return str(sales.campaigns.register(at(1), name=name, channel=channel, cost=D(cost),
                                            currency=currency, starts=date(2026, 10, 1),
                                            ends=date(2026, 10, 31)).stream_id)

    ids = {"fair": campaign("Fair", "event", "3000.00", "EUR"),
           "ads": campaign("Ads", "social", "1000.50", "USD"),
           "expo": campaign("Expo", "event", "450.00", "USD")}
    n = iter(range(100))

    def lead(channel: str, campaign_id: str | None) -> str:
        i = next(n)
        return str(sales.leads.capture(at(2), person=f"Person {i}", company=f"Firm {i}",
                                       email=f"p{i}@firm{i}.example", channel=channel,
                                       owner_id=ann, campaign_id=campaign_id).stream_id)

    def deal(lead_id: str, amount: int, currency: str, stage: str) -> None:
        converted = sales.conversion.convert(at(3), lead_id, amount=D(amount), currency=currency)
        sales.opportunities.change_stage(at(4), converted.opportunity_id, stage=stage,
                                         reason="price" if stage == "closed_lost" else None)

    fair = [lead("event", ids["fair"]) for _ in range(3)]
    deal(fair[0], 12000, "EUR", "closed_won")
    deal(fair[1], 8000, "EUR", "closed_lost")
    for _ in range(2):
        lead("social", ids["ads"])
    deal(lead("event", ids["expo"]), 5000, "USD", "closed_won")
    lead("event", None)
    lead("social", None)
    return ids


def _queries(read_models) -> SqlReader:
    read_models.catch_up()
    return SqlReader(read_models.db, read_models.conn)


def test_each_campaign_against_its_cost(sales, read_models):
    ids = campaign_world(sales)
    found = CampaignQueries(_queries(read_models)).campaigns()

    def figures(c):
        return (c["name"], c["channel"], c["cost"], c["currency"], c["leads"], c["converted"],
                c["won_deals"], c["cost_per_lead"], c["cost_per_won_deal"])

    assert [figures(c) for c in found] == [  # same start: by name
        ("Ads", "social", D("1000.50"), "USD", 2, 0, 0, D("500.25"), None),
        ("Expo", "event", D("450.00"), "USD", 1, 1, 1, D("450.00"), D("450.00")),
        ("Fair", "event", D("3000.00"), "EUR", 3, 2, 1, D("1000.00"), D("3000.00")),
    ]
    assert [c["id"] for c in found] == [ids["ads"], ids["expo"], ids["fair"]]
    assert (found[0]["starts"], found[0]["ends"]) == (date(2026, 10, 1), date(2026, 10, 31))
    assert [c["won_revenue_by_currency"] for c in found] == [
        [], [{"currency": "USD", "won_deals": 1, "won_revenue": D("5000.00")}],
        [{"currency": "EUR", "won_deals": 1, "won_revenue": D("12000.00")}]]


def test_campaign_totals_per_currency_of_their_costs(sales, read_models):
    campaign_world(sales)
    found = CampaignQueries(_queries(read_models)).campaigns()
    assert totals_by_currency(found) == [
        {"currency": "EUR", "campaigns": 1, "cost": D("3000.00"), "leads": 3, "won_deals": 1,
         "cost_per_lead": D("1000.00"), "cost_per_won_deal": D("3000.00")},
        {"currency": "USD", "campaigns": 2, "cost": D("1450.50"), "leads": 3, "won_deals": 1,
         "cost_per_lead": D("483.50"), "cost_per_won_deal": D("1450.50")}]


def test_a_channels_cost_is_the_sum_of_its_campaigns_costs_per_currency(sales, read_models):
    campaign_world(sales)
    reader = _queries(read_models)
    costs = CampaignQueries(reader).channel_costs()
    assert costs == {"event": {"EUR": D("3000.00"), "USD": D("450.00")},
                     "social": {"USD": D("1000.50")}}

    channels = {c["channel"]: c for c in
                FollowUpsAndChannelsQueries(reader).channel_effectiveness(costs)}
    event, social = channels["event"], channels["social"]
    assert (event["leads"], event["won_deals"], event["cost"], event["cost_currency"]) == (
        5, 2, None, None)  # two currencies: never one sum
    assert event["costs"] == [  # 5 event leads, 2 won deals
        {"currency": "EUR", "cost": D("3000.00"), "cost_per_lead": D("600.00"),
         "cost_per_won_deal": D("1500.00")},
        {"currency": "USD", "cost": D("450.00"), "cost_per_lead": D("90.00"),
         "cost_per_won_deal": D("225.00")}]
    assert (social["leads"], social["cost"], social["cost_currency"], social["cost_per_lead"],
            social["cost_per_won_deal"]) == (3, D("1000.50"), "USD", D("333.50"), None)
