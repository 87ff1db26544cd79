"""Deal intervals read model: every fact of a deal with the interval it held, from real
commands at known instants, on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from infra.bootstrap import read_models as open_read_models
from infra.readside.readstore import SqlReader
from infra.settings import Settings
from projections.deal_intervals.projection import DealIntervalsProjection
from projections.deal_intervals.queries import DealIntervalQueries
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

