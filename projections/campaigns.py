"""What does each campaign bring for what it cost, and what does each channel's marketing cost?

Tables
- ``campaigns_campaigns``: per campaign -> ``name``, ``channel``, ``cost`` in ``currency``,
  ``starts``, ``ends``, ``registered_at`` (its position in the log), and counts of its
  ``leads`` (captured naming it), ``converted`` leads and ``won_deals`` (won opportunities
  opened from its leads).
- ``campaigns_leads``: lead -> the ``campaign_id`` it named when captured.
- ``campaigns_deals``: opportunity -> ``campaign_id`` (deals opened from a campaign's leads).
- ``campaigns_revenue``: per campaign and currency -> ``won_deals`` and ``won_revenue``.
Cost per lead and per won deal are computed at query time, in the campaign's currency; costs
of different currencies are never added (CONTRACT.md, "Money").
"""

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from domain.campaign import CampaignRegistered
from domain.lead import LeadCaptured, LeadConverted
from domain.opportunity import OpportunityOpened, OpportunityWon
from projections.base import Column, EventRecord, Projection, Reader, Rows, Table, on
from projections.money import cents

CAMPAIGNS = Table("campaigns_campaigns", (
    Column("campaign_id"), Column("name"), Column("channel"), Column("cost", "numeric"),
    Column("currency"), Column("starts", "date"), Column("ends", "date"),
    Column("registered_at", "bigint"), Column("leads", "int"), Column("converted", "int"),
    Column("won_deals", "int"),
), key=("campaign_id",), indexes=(("channel",),))
LEADS = Table("campaigns_leads", (Column("lead_id"), Column("campaign_id")), key=("lead_id",))
DEALS = Table("campaigns_deals", (Column("opportunity_id"), Column("campaign_id")),
              key=("opportunity_id",))
REVENUE = Table("campaigns_revenue", (
    Column("campaign_id"), Column("currency"), Column("won_deals", "int"),
    Column("won_revenue", "numeric"),
), key=("campaign_id", "currency"))


class CampaignsProjection(Projection):
    name = "campaigns"
    version = 1
    tables = (CAMPAIGNS, LEADS, DEALS, REVENUE)

    @on(CampaignRegistered)
    def _registered(self, e: EventRecord, c: CampaignRegistered, rows: Rows) -> None:
        rows.put(CAMPAIGNS.name, {
            "campaign_id": e.stream_id, "name": c.name, "channel": c.channel, "cost": c.cost,
            "currency": c.currency, "starts": c.starts, "ends": c.ends,
            "registered_at": e.position, "leads": 0, "converted": 0, "won_deals": 0})

    @on(LeadCaptured)
    def _lead(self, e: EventRecord, lead: LeadCaptured, rows: Rows) -> None:
        if lead.campaign_id is not None:
            rows.put(LEADS.name, {"lead_id": e.stream_id, "campaign_id": lead.campaign_id})
            _count(rows, lead.campaign_id, "leads")

    @on(LeadConverted)
    def _converted(self, e: EventRecord, _: LeadConverted, rows: Rows) -> None:
        lead = rows.get(LEADS.name, (e.stream_id,))
        if lead is not None:
            _count(rows, lead["campaign_id"], "converted")

    @on(OpportunityOpened)
    def _deal(self, e: EventRecord, opened: OpportunityOpened, rows: Rows) -> None:
        lead = rows.get(LEADS.name, (opened.source_lead_id,)) if opened.source_lead_id else None
        if lead is not None:
            rows.put(DEALS.name, {"opportunity_id": e.stream_id,
                                  "campaign_id": lead["campaign_id"]})

    @on(OpportunityWon)
    def _won(self, e: EventRecord, won: OpportunityWon, rows: Rows) -> None:
        deal = rows.get(DEALS.name, (e.stream_id,))
        if deal is None:
            return
        _count(rows, deal["campaign_id"], "won_deals")
        key = (deal["campaign_id"], won.currency)
        entry = rows.get(REVENUE.name, key) or {"campaign_id": key[0], "currency": key[1],
                                                "won_deals": 0, "won_revenue": Decimal(0)}
        entry["won_deals"] += 1
        entry["won_revenue"] += won.amount
        rows.put(REVENUE.name, entry)


def _count(rows: Rows, campaign_id: str, column: str) -> None:
    campaign = rows.get(CAMPAIGNS.name, (campaign_id,))
    if campaign is None:
        raise LookupError(f"campaign {campaign_id} was never registered")
    campaign[column] += 1
    rows.put(CAMPAIGNS.name, campaign)


# --- queries ---------------------------------------------------------------------------------

def per(cost: Decimal, count: int) -> Decimal | None:
    """``cost`` shared out over ``count`` (leads, won deals); None when there are none."""
    return (cost / count).quantize(Decimal("0.01")) if count else None


class CampaignQueries:
    def __init__(self, read: Reader) -> None:
        self.read = read

    def campaigns(self) -> list[dict[str, Any]]:
        """Every campaign, earliest start first, with its figures."""
        revenue: dict[str, list[dict[str, Any]]] = {}
        for r in self.read.rows("SELECT campaign_id, currency, won_deals, won_revenue "
                                "FROM campaigns_revenue ORDER BY campaign_id, currency"):
            revenue.setdefault(r["campaign_id"], []).append(
                {"currency": r["currency"], "won_deals": int(r["won_deals"]),
                 "won_revenue": cents(r["won_revenue"])})
        found = self.read.rows(
            "SELECT campaign_id, name, channel, cost, currency, starts, ends, leads, converted, "
            "won_deals FROM campaigns_campaigns ORDER BY starts, name, registered_at")
        return [self._figures(r, revenue.get(r["campaign_id"], [])) for r in found]

    def _figures(self, r: dict[str, Any], revenue: list[dict[str, Any]]) -> dict[str, Any]:
        cost, leads, won = cents(r["cost"]), int(r["leads"]), int(r["won_deals"])
        return {"id": r["campaign_id"], "name": r["name"], "channel": r["channel"], "cost": cost,
                "currency": r["currency"], "starts": self.read.value("date", r["starts"]),
                "ends": self.read.value("date", r["ends"]), "leads": leads,
                "converted": int(r["converted"]), "won_deals": won,
                "cost_per_lead": per(cost, leads), "cost_per_won_deal": per(cost, won),
                "won_revenue_by_currency": revenue}

    def channel_costs(self) -> dict[str, dict[str, Decimal]]:
        """Per channel, the sum of its campaigns' costs in each currency."""
        costs: dict[str, dict[str, Decimal]] = {}
        for r in self.read.rows("SELECT channel, currency, cost FROM campaigns_campaigns"):
            of_channel = costs.setdefault(r["channel"], {})
            of_channel[r["currency"]] = of_channel.get(r["currency"], cents(0)) + cents(r["cost"])
        return costs


def totals_by_currency(campaigns: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The campaigns' figures summed per currency of their cost, by currency code."""
    sums: dict[str, dict[str, Any]] = {}
    for c in campaigns:
        entry = sums.setdefault(c["currency"], {"currency": c["currency"], "campaigns": 0,
                                                "cost": cents(0), "leads": 0, "won_deals": 0})
        entry["campaigns"] += 1
        entry["cost"] += c["cost"]
        entry["leads"] += c["leads"]
        entry["won_deals"] += c["won_deals"]
    return [{**e, "cost_per_lead": per(e["cost"], e["leads"]),
             "cost_per_won_deal": per(e["cost"], e["won_deals"])}
            for _, e in sorted(sums.items())]


# --- answers ---------------------------------------------------------------------------------

class CampaignRevenue(BaseModel):
    currency: str
    won_deals: int
    won_revenue: Decimal


class CampaignFigures(BaseModel):
    id: str
    name: str
    channel: str
    cost: Decimal = Field(description="In `currency`")
    currency: str
    starts: date
    ends: date
    leads: int = Field(description="Leads captured naming the campaign")
    converted: int
    won_deals: int = Field(description="Won deals opened from its leads")
    cost_per_lead: Decimal | None = Field(description="cost / leads, in `currency`; null "
                                                      "without leads")
    cost_per_won_deal: Decimal | None = Field(description="cost / won_deals, in `currency`; "
                                                          "null without a won deal")
    won_revenue_by_currency: list[CampaignRevenue]


class CampaignTotals(BaseModel):
    currency: str = Field(description="Of the costs summed: campaigns costed in another "
                                      "currency are in another entry")
    campaigns: int
    cost: Decimal
    leads: int
    won_deals: int
    cost_per_lead: Decimal | None
    cost_per_won_deal: Decimal | None


class Campaigns(BaseModel):
    items: list[CampaignFigures] = Field(description="Earliest start first")
    totals: list[CampaignTotals] = Field(description="Per currency of the campaigns' costs")
