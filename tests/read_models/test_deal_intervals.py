"""Deal intervals read model: every fact of a deal with the interval it held, from real
commands at known instants, on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from infra.bootstrap import read_models as open_read_models
from infra.readside.readstore import SqlReader
from infra.service.commands import CommandContext
from infra.settings import Settings
from projections.deal_intervals.projection import DealIntervalsProjection
from projections.deal_intervals.queries import (
    DealIntervalQueries,
    HandOverOutcomeQueries,
    SlippageQueries,
    averages,
    totals_by,
)
from tests.conftest import at

D = Decimal


@pytest.fixture
def models(database_url, sales):
    m = open_read_models(Settings(database_url=database_url), [DealIntervalsProjection()])
    yield m
    m.close()


def _queries(models):
    models.catch_up()
    return DealIntervalQueries(SqlReader(models.db, models.conn))


def _hire(sales, name):
    return str(sales.reps.hire(at(1), name=name, email=f"{name.lower()}@example.com", role="rep",
                               team="north", region="north").stream_id)


def _history(sales):
    """Ann opens a deal on Nov 2 and moves it on; Bob takes it over on Nov 6; won Nov 8."""
    ann, bob = _hire(sales, "Ann"), _hire(sales, "Bob")
    acme = str(sales.accounts.open(at(1), name="Acme", region="north", owner_id=ann).stream_id)
    deals = sales.opportunities
    deal = str(deals.open(at(2), account_id=acme, owner_id=ann, name="Gateways",
                          amount=D(10000), expected_close=date(2026, 12, 15)).stream_id)
    deals.change_stage(at(3), deal, stage="qualification")
    deals.change_amount(at(4), deal, amount=D(8000))
    deals.change_close_date(at(4, 15), deal, expected_close=date(2027, 1, 31))
    deals.change_stage(at(5), deal, stage="proposal")
    deals.change_owner(at(6), deal, owner_id=bob)
    deals.change_stage(at(8), deal, stage="closed_won")
    return ann, bob, acme, deal


def test_each_change_ends_an_interval_and_begins_the_next(sales, models):
    ann, bob, acme, deal = _history(sales)
    q = _queries(models)

    found = [{k: i[k] for k in ("seq", "valid_from", "valid_to", "change", "actor", "stage",
                                  "probability", "amount", "owner_id", "expected_close", "open")}
             for i in q.intervals(deal)]

    def when(day, hour=9):
        return datetime(2026, 11, day, hour, tzinfo=UTC)

    base = {"actor": "tester", "owner_id": ann, "expected_close": date(2026, 12, 15),
            "open": True, "amount": D(10000)}
    assert found == [
        {**base, "seq": 1, "valid_from": when(2), "valid_to": when(3),
         "change": "OpportunityOpened", "stage": "prospecting", "probability": 10},
        {**base, "seq": 2, "valid_from": when(3), "valid_to": when(4),
         "change": "OpportunityStageChanged", "stage": "qualification", "probability": 25},
        {**base, "seq": 3, "valid_from": when(4), "valid_to": when(4, 15),
         "change": "OpportunityAmountChanged", "stage": "qualification", "probability": 25,
         "amount": D(8000)},
        {**base, "seq": 4, "valid_from": when(4, 15), "valid_to": when(5),
         "change": "OpportunityCloseDateChanged", "stage": "qualification", "probability": 25,
         "amount": D(8000), "expected_close": date(2027, 1, 31)},
        {**base, "seq": 5, "valid_from": when(5), "valid_to": when(6),
         "change": "OpportunityStageChanged", "stage": "proposal", "probability": 50,
         "amount": D(8000), "expected_close": date(2027, 1, 31)},
        {**base, "seq": 6, "valid_from": when(6), "valid_to": when(8),
         "change": "OpportunityOwnerChanged", "stage": "proposal", "probability": 50,
         "amount": D(8000), "expected_close": date(2027, 1, 31), "owner_id": bob},
        # the win's own event changes no fact: its stage change closed the interval
        {**base, "seq": 7, "valid_from": when(8), "valid_to": None,
         "change": "OpportunityStageChanged", "stage": "closed_won", "probability": 100,
         "amount": D(8000), "expected_close": date(2027, 1, 31), "owner_id": bob,
         "open": False},
    ]
    assert all(i["account_id"] == acme and i["currency"] == "EUR" for i in q.intervals(deal))
    positions = [i["position"] for i in q.intervals(deal)]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert q.intervals("00000000-0000-0000-0000-000000000000") == []


def test_stages_with_when_each_was_entered_and_left_and_the_days_spent(sales, models):
    ann, bob, acme, deal = _history(sales)
    open_one = str(sales.opportunities.open(at(9), account_id=acme, owner_id=ann, name="Open",
                                            amount=D(500), expected_close=date(2027, 3, 1))
                   .stream_id)
    q = _queries(models)
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)

    def when(day):
        return datetime(2026, 11, day, 9, tzinfo=UTC)

    assert q.stages(deal, now) == [
        {"stage": "prospecting", "entered_at": when(2), "left_at": when(3), "days": 1},
        {"stage": "qualification", "entered_at": when(3), "left_at": when(5), "days": 2},
        {"stage": "proposal", "entered_at": when(5), "left_at": when(8), "days": 3},
        {"stage": "closed_won", "entered_at": when(8), "left_at": None, "days": None}]
    # an open deal's current stage counts until now, in whole days
    assert q.stages(open_one, now) == [
        {"stage": "prospecting", "entered_at": when(9), "left_at": None,
         "days": (now - when(9)) // timedelta(days=1)}]



def test_a_reps_team_region_manager_and_activity_over_time(sales, models):
    ann, bob = _hire(sales, "Ann"), _hire(sales, "Bob")
    sales.reps.move(at(5), ann, team="south", region="south", manager_id=None)
    sales.reps.move(at(6), ann, team="south", region="south", manager_id=None)  # no change
    sales.departure.depart(at(9), ann, successor_id=bob)
    q = _queries(models)

    found = q.read.rows("SELECT seq, valid_from, valid_to, change, team, region, active "
                        "FROM intervals_reps WHERE rep_id = ? ORDER BY seq", (ann,))
    spans = [(r["seq"], q.read.value("timestamp", r["valid_from"]).day,
              r["valid_to"] and q.read.value("timestamp", r["valid_to"]).day, r["change"],
              r["team"], r["region"], q.read.value("bool", r["active"])) for r in found]

    assert spans == [(1, 1, 5, "RepHired", "north", "north", True),
                     (2, 5, 9, "RepMoved", "south", "south", True),
                     (3, 9, None, "RepDeparted", "south", "south", False)]


def test_slippage_pushed_dates_and_cut_amounts_with_the_owners_team_then(sales, models):
    ann, bob = _hire(sales, "Ann"), _hire(sales, "Bob")
    acme = str(sales.accounts.open(at(1), name="Acme", region="north", owner_id=ann).stream_id)
    deals = sales.opportunities

    def deal(owner, name):
        return str(deals.open(at(2), account_id=acme, owner_id=owner, name=name,
                              amount=D(10000), expected_close=date(2026, 12, 1)).stream_id)

    a1, b1 = deal(ann, "Ann's"), deal(bob, "Bob's")
    deals.change_close_date(at(4), a1, expected_close=date(2026, 12, 11))  # pushed 10 days
    deals.change_amount(at(5), a1, amount=D(7500))  # cut 2,500
    deals.change_amount(at(6), a1, amount=D(9000))  # raised: no slip
    deals.change_close_date(at(7), a1, expected_close=date(2026, 12, 5))  # pulled in: no slip
    sales.reps.move(at(10), ann, team="south", region="south", manager_id=None)
    deals.change_close_date(at(12), a1, expected_close=date(2027, 1, 5))  # pushed 31, south
    deals.change_close_date(at(13), b1, expected_close=date(2026, 12, 3))  # pushed 2
    deals.change_amount(at(14, 10), b1, amount=D(1000))  # cut 9,000
    deals.change_close_date(CommandContext(actor="tester", now=datetime(2026, 12, 1, tzinfo=UTC)),
                            b1, expected_close=date(2027, 2, 1))  # December: not November's
    models.catch_up()
    q = SlippageQueries(SqlReader(models.db, models.conn))
    november = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))

    slips = q.slips(*november)
    view = [(s["opportunity_id"], s["at"].day, s["kind"], s["team"], s["days_pushed"],
             s["amount_before"], s["amount_after"], s["actor"], s["name"], s["owner_name"])
            for s in slips]

    assert view == [
        (a1, 4, "close_date_pushed", "north", 10, None, None, "tester", "Ann's", "Ann"),
        (a1, 5, "amount_cut", "north", None, D(10000), D(7500), "tester", "Ann's", "Ann"),
        (a1, 12, "close_date_pushed", "south", 31, None, None, "tester", "Ann's", "Ann"),
        (b1, 13, "close_date_pushed", "north", 2, None, None, "tester", "Bob's", "Bob"),
        (b1, 14, "amount_cut", "north", None, D(10000), D(1000), "tester", "Bob's", "Bob")]
    assert [s["at"].day for s in q.slips(*november, team="north")] == [4, 5, 13, 14]
    assert [s["at"].day for s in q.slips(*november, team="south")] == [12]
    assert [s["at"].day for s in q.slips(*november, rep_id=bob)] == [13, 14]
    assert totals_by(slips, "team") == [
        {"team": "north", "deals": 2, "close_dates_pushed": 2, "days_pushed": 12,
         "amounts_cut": 2, "amount_cut": [{"currency": "EUR", "amount": D(11500)}]},
        {"team": "south", "deals": 1, "close_dates_pushed": 1, "days_pushed": 31,
         "amounts_cut": 0, "amount_cut": []}]
    assert [(t["owner_id"], t["deals"], t["days_pushed"]) for t in totals_by(slips, "owner_id")
            ] == sorted([(ann, 1, 41), (bob, 1, 2)])


def test_hand_over_outcomes_per_tier_beside_deals_never_handed_over(sales, models):
    """Ann (north) leaves on Nov 10: her negotiation deal (lower tier) is then won, her
    proposal (middle) lost, her qualification deal (upper) still open. Bob (south) opened
    two deals in November and was never handed anything: one won, one open."""
    ann = _hire(sales, "Ann")
    bob = str(sales.reps.hire(at(1), name="Bob", email="bob@example.com", role="rep",
                              team="south", region="south").stream_id)
    acme = str(sales.accounts.open(at(1), name="Acme", region="north", owner_id=ann).stream_id)
    deals = sales.opportunities

    def deal(owner, day, stage):
        found = str(deals.open(at(day), account_id=acme, owner_id=owner, name=stage,
                               amount=D(1000), expected_close=date(2027, 1, 31)).stream_id)
        if stage != "prospecting":
            deals.change_stage(at(day), found, stage=stage)
        return found

    lower, middle = deal(ann, 2, "negotiation"), deal(ann, 2, "proposal")
    deal(ann, 2, "qualification")  # upper tier, still open
    won = deal(bob, 3, "proposal")
    deal(bob, 4, "prospecting")  # never handed over, still open
    sales.departure.depart(at(10), ann, successor_id=bob)
    deals.change_stage(at(12), lower, stage="closed_won")
    deals.change_stage(at(13), middle, stage="closed_lost", reason="price")
    deals.change_stage(at(14), won, stage="closed_won")
    models.catch_up()
    q = HandOverOutcomeQueries(SqlReader(models.db, models.conn))
    november = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))

    def counted(items, won, lost, open_, rate):
        return {"items": items, "won": won, "lost": lost, "open": open_, "win_rate": rate}

    # Ann's three deals were opened in November too, but they were handed over
    assert q.outcomes(*november) == {
        "tiers": [{"tier": "lower", **counted(1, 1, 0, 0, 1.0)},
                  {"tier": "middle", **counted(1, 0, 1, 0, 0.0)},
                  {"tier": "upper", **counted(1, 0, 0, 1, None)}],
        "handed_over": counted(3, 1, 1, 1, 0.5),
        "never_handed_over": counted(2, 1, 0, 1, 1.0)}
    north, south = q.outcomes(*november, team="north"), q.outcomes(*november, team="south")
    assert (north["handed_over"]["items"], north["never_handed_over"]["items"]) == (3, 0)
    assert (south["handed_over"]["items"], south["never_handed_over"]["items"]) == (0, 2)
    october = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    assert q.outcomes(*october)["handed_over"] == counted(0, 0, 0, 0, None)


def test_time_per_stage_of_the_stays_that_ended_in_a_period_by_owner_then(sales, models):
    ann, bob, acme, deal = _history(sales)  # prospecting 1 day, qualification 2, proposal 3
    q = _queries(models)
    november = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))

    stays = sorted(q.stage_times(*november), key=lambda s: s["days"])

    # the proposal stay began with Ann (Bob took the deal over during it); closed_won never ends
    assert [(s["stage"], s["days"], s["owner_id"], s["owner_name"], s["team"]) for s in stays] == [
        ("prospecting", 1.0, ann, "Ann", "north"), ("qualification", 2.0, ann, "Ann", "north"),
        ("proposal", 3.0, ann, "Ann", "north")]
    assert averages(stays) == [{"stage": "prospecting", "stays": 1, "average_days": 1.0},
                               {"stage": "qualification", "stays": 1, "average_days": 2.0},
                               {"stage": "proposal", "stays": 1, "average_days": 3.0}]
    assert q.stage_times(*november, rep_id=bob) == []
    assert q.stage_times(datetime(2026, 11, 4, tzinfo=UTC), datetime(2026, 11, 6, tzinfo=UTC)) \
        == [{"stage": "qualification", "owner_id": ann, "owner_name": "Ann", "team": "north",
             "days": 2.0}]
