"""Funnel read model: exact rows after real commands, on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime
from decimal import Decimal

from infra.readside.readstore import SqlReader
from projections.funnel.queries import Filters, FunnelQueries
from tests.conftest import at


def _team(sales):
    north = sales.reps.hire(at(1), name="Mia", email="mia@example.com", role="manager",
                            team="north", region="north")
    ann = sales.reps.hire(at(1), name="Ann", email="ann@example.com", role="rep", team="north",
                          region="north", manager_id=str(north.stream_id))
    bob = sales.reps.hire(at(1), name="Bob", email="bob@example.com", role="rep", team="south",
                          region="south")
    return str(ann.stream_id), str(bob.stream_id)


def _deal(sales, owner, account, amount, day):
    return str(sales.opportunities.open(at(day), account_id=account, owner_id=owner,
                                        name=f"deal {amount}", amount=Decimal(amount),
                                        expected_close=date(2027, 1, 31)).stream_id)


def _world(sales):
    ann, bob = _team(sales)
    acme = str(sales.accounts.open(at(1), name="Acme", region="north", owner_id=ann).stream_id)
    beta = str(sales.accounts.open(at(1), name="Beta", region="south", owner_id=bob).stream_id)
    d1 = _deal(sales, ann, acme, 10000, 2)
    d2 = _deal(sales, ann, acme, 20000, 2)
    d3 = _deal(sales, bob, beta, 40000, 3)
    d4 = _deal(sales, bob, beta, 5000, 3)
    sales.opportunities.change_stage(at(4), d1, stage="qualification")
    sales.opportunities.change_stage(at(5), d1, stage="proposal")
    sales.opportunities.change_stage(at(6), d2, stage="negotiation")
    sales.opportunities.change_amount(at(7), d2, amount=Decimal(24000))
    sales.opportunities.change_stage(at(8), d3, stage="proposal")
    sales.opportunities.change_stage(at(20), d3, stage="closed_won")
    sales.opportunities.change_stage(at(21), d4, stage="closed_lost", reason="price")
    return ann, bob, (d1, d2, d3, d4)


def _queries(read_models):
    read_models.catch_up()
    return FunnelQueries(SqlReader(read_models.db, read_models.conn))


def test_each_deal_row_holds_stage_probability_and_weighted_amount(sales, read_models):
    ann, bob, (d1, d2, d3, d4) = _world(sales)
    q = _queries(read_models)

    rows = {r["opportunity_id"]: r for r in q._select(
        "o.opportunity_id, o.stage, o.probability, o.amount, o.weighted_amount, o.owner_id, "
        "o.won, o.lost_reason, o.cycle_days", Filters())}

    def view(d):
        r = rows[d]
        return (r["stage"], r["probability"], Decimal(str(r["amount"])),
                Decimal(str(r["weighted_amount"])), r["owner_id"],
                None if r["won"] is None else bool(r["won"]), r["lost_reason"], r["cycle_days"])

    assert view(d1) == ("proposal", 50, Decimal(10000), Decimal(5000), ann, None, None, None)
    assert view(d2) == ("negotiation", 75, Decimal(24000), Decimal(18000), ann, None, None, None)
    assert view(d3) == ("closed_won", 100, Decimal(40000), Decimal(40000), bob, True, None, 17)
    assert view(d4) == ("closed_lost", 0, Decimal(5000), Decimal(0), bob, False, "price", 18)


def test_summary_by_stage_and_filters(sales, read_models):
    ann, _, _ = _world(sales)
    q = _queries(read_models)

    everything = {r["stage"]: (r["count"], r["amount"], r["weighted_amount"]) for r in q.summary()}
    north = {r["stage"]: r["count"] for r in q.summary(Filters(team="north"))}
    by_ann = {r["stage"]: r["count"] for r in q.summary(Filters(rep_id=ann))}
    south = {r["stage"]: r["count"] for r in q.summary(Filters(region="south"))}

    assert everything == {
        "prospecting": (0, Decimal("0.00"), Decimal("0.00")),
        "qualification": (0, Decimal("0.00"), Decimal("0.00")),
        "proposal": (1, Decimal("10000.00"), Decimal("5000.00")),
        "negotiation": (1, Decimal("24000.00"), Decimal("18000.00")),
        "closed_won": (1, Decimal("40000.00"), Decimal("40000.00")),
        "closed_lost": (1, Decimal("5000.00"), Decimal("0.00")),
    }
    assert north == by_ann == {**{s: 0 for s in everything}, "proposal": 1, "negotiation": 1}
    assert south == {**{s: 0 for s in everything}, "closed_won": 1, "closed_lost": 1}


def test_stuck_deals_by_days_in_stage_with_an_injected_clock(sales, read_models):
    ann, _, (d1, d2, _, _) = _world(sales)
    q = _queries(read_models)

    on_nov_30 = q.stuck(datetime(2026, 11, 30, 12, tzinfo=UTC))
    on_dec_10 = q.stuck(datetime(2026, 12, 10, 12, tzinfo=UTC))

    assert on_nov_30 == []  # proposal since Nov 5 (25 days <= 30), negotiation since Nov 6
    named = {"owner_id": ann, "owner_name": "Ann", "account_name": "Acme",
             "last_contact_at": None, "days_without_contact": 38}
    assert [{k: d[k] for k in named} for d in on_dec_10] == [named, named]
    assert [(d["id"], d["name"], d["stage"], d["days_in_stage"]) for d in on_dec_10] == [
        (d1, "deal 10000", "proposal", 35), (d2, "deal 20000", "negotiation", 34)]


def test_deals_without_contact_count_from_the_last_interaction_or_the_opening(sales,
                                                                              read_models):
    _, _, (d1, d2, _, _) = _world(sales)
    sales.opportunities.log_interaction(at(25, 15), d1, interaction_id="i-1", kind="meeting")
    q = _queries(read_models)

    silent = q.stuck(datetime(2026, 12, 10, 12, tzinfo=UTC), no_contact_days=15)
    # d1: 14 days since the meeting on Nov 25, 15:00
    assert [(d["id"], d["days_without_contact"]) for d in silent] == [(d2, 38)]
    later = q.stuck(datetime(2026, 12, 11, 16, tzinfo=UTC), no_contact_days=15)
    assert [(d["id"], d["days_without_contact"], d["last_contact_at"]) for d in later] == [
        (d2, 39, None), (d1, 16, datetime(2026, 11, 25, 15, tzinfo=UTC))]


def test_conversion_win_rate_and_cycle(sales, read_models):
    _world(sales)
    q = _queries(read_models)

    rates = {(r["from_stage"], r["to_stage"]): (r["reached"], r["rate"])
             for r in q.conversion_rates()}

    # d1 reached proposal, d2 negotiation (skipping two stages), d3 won, d4 lost at prospecting
    assert rates == {("prospecting", "qualification"): (4, 0.75),
                     ("qualification", "proposal"): (3, 1.0),
                     ("proposal", "negotiation"): (3, 0.6667),
                     ("negotiation", "closed_won"): (2, 0.5)}
    assert q.win_rate_and_cycle() == {"won": 1, "lost": 1, "win_rate": 0.5,
                                      "average_cycle_days": 17.0}


def test_deals_won_on_the_day_they_opened_average_a_cycle_of_zero_days(sales, read_models):
    ann = _team(sales)[0]
    account = str(sales.accounts.open(at(1), name="Acme", region="north", owner_id=ann).stream_id)
    deal = _deal(sales, ann, account, 10000, day=3)
    sales.opportunities.change_stage(at(3, hour=15), deal, stage="closed_won")

    assert _queries(read_models).win_rate_and_cycle() == {
        "won": 1, "lost": 0, "win_rate": 1.0, "average_cycle_days": 0.0}


def test_a_handed_over_deal_moves_to_the_successor(sales, read_models):
    ann, bob, (d1, d2, _, _) = _world(sales)
    sales.departure.depart(at(22), ann, successor_id=bob)
    q = _queries(read_models)

    by_bob = {r["stage"]: r["count"] for r in q.summary(Filters(rep_id=bob))}

    assert (by_bob["proposal"], by_bob["negotiation"]) == (1, 1)
    assert all(r["count"] == 0 for r in q.summary(Filters(rep_id=ann)))
