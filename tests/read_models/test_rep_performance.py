"""Rep performance read model: exact values after real commands, on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.errors import ValidationError
from domain.quotas import Quota, months_of
from infra.bootstrap import read_models as open_read_models
from infra.readside.readstore import SqlReader
from infra.service.commands import CommandContext
from infra.settings import Settings
from projections.rep_performance.projection import RepPerformanceProjection
from projections.rep_performance.queries import RepPerformanceQueries, commission
from tests.conftest import at

D = Decimal


@pytest.fixture
def models(database_url, sales):
    m = open_read_models(Settings(database_url=database_url), [RepPerformanceProjection()])
    yield m
    m.close()


def in_december(day: int) -> CommandContext:
    return CommandContext(actor="tester", now=datetime(2026, 12, day, 9, tzinfo=UTC))


def _team(sales):
    mia = str(sales.reps.hire(at(1), name="Mia", email="mia@example.com", role="manager",
                              team="north", region="north").stream_id)
    ann = str(sales.reps.hire(at(1), name="Ann", email="ann@example.com", role="rep",
                              team="north", region="north", manager_id=mia).stream_id)
    bob = str(sales.reps.hire(at(1), name="Bob", email="bob@example.com", role="rep",
                              team="south", region="south").stream_id)
    for period, amount in (("2026-11", 50000), ("2026-Q4", 120000), ("FY2026", 400000)):
        sales.reps.set_quota(at(1), ann, period=period, amount=D(amount))
    sales.reps.set_quota(at(1), bob, period="2026-11", amount=D(20000))
    sales.reps.set_commission_plan(at(1), ann, rate=D("0.05"), accelerated_rate=D("0.08"))
    sales.reps.set_commission_plan(at(1), bob, rate=D("0.04"))
    return mia, ann, bob


def _won(sales, ctx, owner, account, amount):
    deal = str(sales.opportunities.open(at(2), account_id=account, owner_id=owner,
                                        name=f"deal {amount}", amount=D(amount),
                                        expected_close=date(2027, 1, 31)).stream_id)
    sales.opportunities.change_stage(ctx, deal, stage="closed_won")
    return deal


def _lead(sales, person, owner):
    lead = str(sales.leads.capture(at(2), person=person, company=f"{person} GmbH",
                                   email=f"{person.lower()}@example.com", channel="web_form",
                                   region="north").stream_id)
    sales.leads.assign(at(3), lead, rep_id=owner)
    return lead


def _world(sales):
    mia, ann, bob = _team(sales)
    acme = str(sales.accounts.open(at(1), name="Acme", region="north", owner_id=ann).stream_id)
    beta = str(sales.accounts.open(at(1), name="Beta", region="south", owner_id=bob).stream_id)
    _won(sales, at(10), ann, acme, 30000)
    _won(sales, at(12), ann, acme, 40000)
    _won(sales, at(14), bob, beta, 15000)
    moved = str(sales.opportunities.open(at(2), account_id=beta, owner_id=bob, name="moved",
                                         amount=D(10000), expected_close=date(2027, 1, 31)).stream_id)
    sales.opportunities.change_owner(at(5), moved, owner_id=ann)
    sales.opportunities.change_stage(at(16), moved, stage="closed_won")  # credited to Ann
    _won(sales, in_december(3), ann, acme, 5000)
    l1, _ = _lead(sales, "Lea", ann), _lead(sales, "Leo", ann)
    _lead(sales, "Lou", bob)
    for n in (1, 2):
        sales.leads.log_interaction(at(4), l1, interaction_id=f"i{n}", kind="call")
    sales.conversion.convert(at(6), l1)  # opens an account owned by Ann
    sales.accounts.log_interaction(at(7), acme, interaction_id="a1", kind="visit")
    sales.accounts.log_interaction(at(7), beta, interaction_id="b1", kind="email")
    return mia, ann, bob


def _queries(models):
    models.catch_up()
    return RepPerformanceQueries(SqlReader(models.db, models.conn))


def test_november_per_rep_revenue_quota_commission_and_counts(sales, models):
    mia, ann, bob = _world(sales)
    q = _queries(models)

    found = q.performance("2026-11")
    assert [(r["currency"], r.pop("by_currency")) for r in found] == [
        ("EUR", [{"currency": "EUR", "won_revenue": D("80000.00"), "wins": 3}]),
        ("EUR", [{"currency": "EUR", "won_revenue": D("15000.00"), "wins": 1}]), (None, [])]
    assert [{k: v for k, v in r.items() if k != "currency"} for r in found] == [
        {"rep_id": ann, "name": "Ann", "team": "north", "region": "north", "active": True,
         "period": "2026-11", "won_revenue": D("80000.00"), "wins": 3,
         "quota": D("50000.00"), "quota_periods": ["2026-11"], "attainment": D("1.6000"),
         "commission": D("4900.00"),  # 5 % of 50,000 + 8 % of the 30,000 above quota
         "new_customers": 2, "activities": 3, "leads_assigned": 2, "leads_converted": 1,
         "conversion_rate": D("0.5000")},
        {"rep_id": bob, "name": "Bob", "team": "south", "region": "south", "active": True,
         "period": "2026-11", "won_revenue": D("15000.00"), "wins": 1,
         "quota": D("20000.00"), "quota_periods": ["2026-11"], "attainment": D("0.7500"),
         "commission": D("600.00"),
         "new_customers": 1, "activities": 1, "leads_assigned": 1, "leads_converted": 0,
         "conversion_rate": D("0.0000")},
        {"rep_id": mia, "name": "Mia", "team": "north", "region": "north", "active": True,
         "period": "2026-11", "won_revenue": D("0.00"), "wins": 0, "quota": None,
         "quota_periods": [], "attainment": None, "commission": None, "new_customers": 0, "activities": 0,
         "leads_assigned": 0, "leads_converted": 0, "conversion_rate": None},
    ]


def test_quarter_and_fiscal_year_add_the_december_win(sales, models):
    _, ann, bob = _world(sales)
    q = _queries(models)

    def view(period):
        return {r["name"]: (r["won_revenue"], r["wins"], r["quota"], r["attainment"],
                            r["commission"]) for r in q.performance(period)}

    quarter, year, october = view("2026-Q4"), view("FY2026"), view("2026-10")

    assert quarter["Ann"] == (D("85000.00"), 4, D("120000.00"), D("0.7083"), D("4250.00"))
    # Bob has no Q4 or FY2026 quota: his November one is the quarter's and the year's
    assert quarter["Bob"] == (D("15000.00"), 1, D("20000.00"), D("0.7500"), D("600.00"))
    assert year["Bob"] == quarter["Bob"]
    assert year["Ann"] == (D("85000.00"), 4, D("400000.00"), D("0.2125"), D("4250.00"))
    # a quarter's quota is never split into months: December has none
    assert view("2026-12")["Ann"] == (D("5000.00"), 1, None, None, D("250.00"))
    assert october["Ann"] == (D("0.00"), 0, None, None, D("0.00"))


def test_filter_by_team(sales, models):
    _world(sales)
    q = _queries(models)

    north = [(r["name"], r["won_revenue"]) for r in q.performance("2026-11", team="north")]
    south = [(r["name"], r["won_revenue"]) for r in q.performance("2026-11", team="south")]

    assert north == [("Ann", D("80000.00")), ("Mia", D("0.00"))]
    assert south == [("Bob", D("15000.00"))]


def test_after_a_departure_later_credit_goes_to_the_successor(sales, models):
    _, ann, bob = _team(sales)
    beta = str(sales.accounts.open(at(1), name="Beta", region="south", owner_id=bob).stream_id)
    open_deal = str(sales.opportunities.open(at(2), account_id=beta, owner_id=bob, name="open",
                                             amount=D(12000),
                                             expected_close=date(2027, 1, 31)).stream_id)
    lead = _lead(sales, "Lou", bob)
    sales.departure.depart(at(20), bob, successor_id=ann)
    sales.opportunities.change_stage(at(21), open_deal, stage="closed_won")
    sales.accounts.log_interaction(at(21), beta, interaction_id="b1", kind="call")
    sales.conversion.convert(at(22), lead)
    q = _queries(models)

    rows = {r["name"]: r for r in q.performance("2026-11")}

    assert rows["Bob"]["active"] is False
    assert (rows["Bob"]["won_revenue"], rows["Bob"]["new_customers"], rows["Bob"]["activities"],
            rows["Bob"]["leads_assigned"], rows["Bob"]["leads_converted"]) == (
        D("0.00"), 1, 0, 1, 0)
    # the converted lead opens an account for its owner then: Ann
    assert (rows["Ann"]["won_revenue"], rows["Ann"]["commission"], rows["Ann"]["new_customers"],
            rows["Ann"]["activities"], rows["Ann"]["leads_assigned"],
            rows["Ann"]["leads_converted"]) == (D("12000.00"), D("600.00"), 1, 1, 0, 1)


def test_stored_rows_of_wins_quotas_and_plan(sales, models):
    _, ann, bob = _world(sales)
    q = _queries(models)

    wins = sorted((r["rep_id"] == ann, q._money(r["amount"]), r["currency"], r["won_month"],
                   models.db.from_db("timestamp", r["won_at"]).astimezone(UTC))
                  for r in q._select("SELECT * FROM performance_wins", []))
    plan = q._select("SELECT commission_rate, accelerated_rate FROM performance_reps "
                     "WHERE rep_id = ?", [ann])[0]

    nov = [datetime(2026, 11, d, 9, tzinfo=UTC) for d in (10, 12, 14, 16)]
    assert wins == [
        (False, D(15000), "EUR", "2026-11", nov[2]),
        (True, D(5000), "EUR", "2026-12", datetime(2026, 12, 3, 9, tzinfo=UTC)),
        (True, D(10000), "EUR", "2026-11", nov[3]),
        (True, D(30000), "EUR", "2026-11", nov[0]),
        (True, D(40000), "EUR", "2026-11", nov[1]),
    ]
    assert (q._money(plan["commission_rate"]), q._money(plan["accelerated_rate"])) == (
        D("0.05"), D("0.08"))
    assert q._quotas("2026-Q4") == {ann: Quota(D(120000), ("2026-Q4",)),
                                    bob: Quota(D(20000), ("2026-11",))}


def test_periods_cover_their_months_and_a_bad_period_is_refused(sales, models):
    _world(sales)
    q = _queries(models)

    assert months_of("2026-Q4") == ["2026-10", "2026-11", "2026-12"]
    assert months_of("FY2026") == [f"2026-{m:02d}" for m in range(1, 13)]
    with pytest.raises(ValidationError):
        q.performance("2026-13")
    assert commission(D(60000), D(50000), D("0.05"), D("0.1")) == D("3500.00")
    assert commission(D(40000), D(0), D("0.05"), None) == D("2000.00")


def test_a_year_without_its_own_quota_adds_its_quarters_and_months(sales, models):
    """Cy: Q1 30,000 and Q2 45,000, October 10,000 and November 12,000 (Q4 by months), Q3
    none; no FY2026 quota. Won 20,000 in November."""
    mia, _, _ = _team(sales)
    cy = str(sales.reps.hire(at(1), name="Cy", email="cy@example.com", role="rep", team="north",
                             region="north", manager_id=mia).stream_id)
    for period, amount in (("2026-Q1", 30000), ("2026-Q2", 45000), ("2026-10", 10000),
                           ("2026-11", 12000)):
        sales.reps.set_quota(at(1), cy, period=period, amount=D(amount))
    sales.reps.set_commission_plan(at(1), cy, rate=D("0.05"), accelerated_rate=D("0.10"))
    acme = str(sales.accounts.open(at(1), name="Acme", region="north", owner_id=cy).stream_id)
    _won(sales, at(10), cy, acme, 20000)
    q = _queries(models)

    def cys(period):
        (row,) = [r for r in q.performance(period) if r["name"] == "Cy"]
        return (row["quota"], row["quota_periods"], row["attainment"], row["commission"])

    assert cys("FY2026") == (D("97000.00"), ["2026-Q1", "2026-Q2", "2026-10", "2026-11"],
                             D("0.2062"), D("1000.00"))  # 20,000 / 97,000 = 0.20618...
    # Q4: 10,000 + 12,000 = 22,000, under the 20,000 won: 5 % of it all
    assert cys("2026-Q4") == (D("22000.00"), ["2026-10", "2026-11"], D("0.9091"),
                              D("1000.00"))
    # November alone: 12,000, so 8,000 above quota at 10 %: 600 + 800
    assert cys("2026-11") == (D("12000.00"), ["2026-11"], D("1.6667"), D("1400.00"))
    assert cys("2026-Q3") == (None, [], None, D("0.00"))
