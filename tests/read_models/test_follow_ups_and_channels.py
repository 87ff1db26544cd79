"""Activities read model: exact follow-ups, interactions and channel figures after real commands,
on SQLite and PostgreSQL."""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from infra.bootstrap import read_models as open_read_models
from infra.readside.readstore import SqlReader
from infra.settings import Settings
from projections.follow_ups_and_channels.projection import FollowUpsAndChannelsProjection
from projections.follow_ups_and_channels.queries import FollowUpsAndChannelsQueries
from tests.conftest import at

NOV = 2026, 11


@pytest.fixture
def models(database_url, sales):
    m = open_read_models(Settings(database_url=database_url), [FollowUpsAndChannelsProjection()])
    yield m
    m.close()


def _queries(models):
    models.catch_up()
    return FollowUpsAndChannelsQueries(SqlReader(models.db, models.conn))


def _team(sales):
    mia = str(sales.reps.hire(at(1), name="Mia", email="mia@example.com", role="manager",
                              team="north", region="north").stream_id)
    ann, bob = (str(sales.reps.hire(at(1), name=n, email=f"{n.lower()}@example.com", role="rep",
                                    team="north", region="north", manager_id=mia).stream_id)
                for n in ("Ann", "Bob"))
    return ann, bob


def _lead(sales, person, channel, owner=None, email=None):
    lead = str(sales.leads.capture(at(1), person=person, company=f"{person} Ltd",
                                   email=email or f"{person.lower()}@corp.com",
                                   channel=channel).stream_id)
    if owner:
        sales.leads.assign(at(1), lead, rep_id=owner)
    return lead


def _follow_up_world(sales):
    ann, bob = _team(sales)
    l1, l2 = _lead(sales, "Ada", "web_form", ann), _lead(sales, "Ben", "web_form", bob)
    l3, l4 = _lead(sales, "Cat", "referral", ann), _lead(sales, "Dan", "event")
    acme = str(sales.accounts.open(at(1), name="Acme", region="north", owner_id=ann).stream_id)
    for record, fid, due in ((l1, "f1", 5), (l1, "f2", 20), (l2, "b1", 4), (l3, "c1", 6),
                             (l4, "d1", 7)):
        sales.leads.schedule_follow_up(at(2), record, follow_up_id=fid, due=date(*NOV, due),
                                       note=f"note {fid}")
    sales.accounts.schedule_follow_up(at(2), acme, follow_up_id="a1", due=date(*NOV, 8),
                                      note="note a1")
    sales.leads.complete_follow_up(at(4), l2, follow_up_id="b1", outcome="booked")
    sales.leads.disqualify(at(3), l3, reason="no budget")  # its open c1 is moot now
    names = {l1: "Ada (Ada Ltd)", l4: "Dan (Dan Ltd)", acme: "Acme", ann: "Ann", bob: "Bob"}
    return ann, bob, {"l1": l1, "l2": l2, "l3": l3, "l4": l4, "acme": acme, "names": names}


def _fu(r, kind, record, fid, owner, due, today):
    names = r["names"]
    return {"record_kind": kind, "record_id": record, "record_name": names[record],
            "follow_up_id": fid, "owner_id": owner, "owner_name": names.get(owner),
            "due": date(*NOV, due), "note": f"note {fid}", "due_today": due == today,
            "overdue": due < today}


def test_follow_ups_due_and_overdue_per_rep(sales, models):
    ann, bob, r = _follow_up_world(sales)
    q = _queries(models)
    today = date(*NOV, 8)

    assert q.follow_ups(today) == [
        _fu(r, "lead", r["l1"], "f1", ann, 5, 8),
        _fu(r, "lead", r["l4"], "d1", None, 7, 8),
        _fu(r, "account", r["acme"], "a1", ann, 8, 8),
        _fu(r, "lead", r["l1"], "f2", ann, 20, 8),
    ]
    assert [f["follow_up_id"] for f in q.follow_ups(today, rep_id=ann)] == ["f1", "a1", "f2"]
    assert q.follow_ups(today, rep_id=bob) == []  # b1 was completed
    assert q.overdue_counts(today) == {ann: 1, None: 1}
    assert q.overdue_counts(date(*NOV, 5)) == {}  # f1 is due that day, not overdue yet


def test_a_follow_up_belongs_to_the_records_current_owner(sales, models):
    ann, bob, r = _follow_up_world(sales)
    sales.leads.assign(at(9), r["l4"], rep_id=ann)
    sales.departure.depart(at(10), ann, successor_id=bob)  # hands over l1, l4 and acme
    q = _queries(models)
    today = date(*NOV, 10)

    assert q.follow_ups(today, rep_id=ann) == []
    assert q.follow_ups(today, rep_id=bob) == [
        _fu(r, "lead", r["l1"], "f1", bob, 5, 10),
        _fu(r, "lead", r["l4"], "d1", bob, 7, 10),
        _fu(r, "account", r["acme"], "a1", bob, 8, 10),
        _fu(r, "lead", r["l1"], "f2", bob, 20, 10),
    ]
    assert q.overdue_counts(today) == {bob: 3}


def test_an_owner_change_moves_an_accounts_follow_ups(sales, models):
    ann, bob, r = _follow_up_world(sales)
    sales.accounts.change_owner(at(9), r["acme"], owner_id=bob)
    q = _queries(models)

    assert q.overdue_counts(date(*NOV, 9)) == {ann: 1, bob: 1, None: 1}


def test_interactions_by_whom_when_and_counts_per_rep(sales, models):
    ann, bob = _team(sales)
    l1, l2 = _lead(sales, "Ada", "web_form", ann), _lead(sales, "Ben", "web_form", bob)
    acme = str(sales.accounts.open(at(1), name="Acme", region="north", owner_id=ann).stream_id)
    by_ann, by_bob = (lambda d: replace(at(d), actor=ann)), (lambda d: replace(at(d), actor=bob))
    sales.leads.log_interaction(by_ann(3), l1, interaction_id="i1", kind="call",
                                outcome="interested")
    sales.leads.log_interaction(by_ann(4), l1, interaction_id="i2", kind="email")
    sales.accounts.log_interaction(by_ann(5), acme, interaction_id="i3", kind="meeting",
                                   outcome="demo booked")
    sales.leads.log_interaction(by_bob(5), l2, interaction_id="i4", kind="call",
                                outcome="no answer")
    sales.accounts.log_interaction(by_bob(6), acme, interaction_id="i5", kind="visit")
    q = _queries(models)

    assert q.interactions(actor=bob) == [
        {"record_kind": "lead", "record_id": l2, "interaction_id": "i4", "kind": "call",
         "outcome": "no answer", "contact_id": None, "actor": bob, "owner_id": bob,
         "logged_at": datetime(*NOV, 5, 9, tzinfo=UTC)},
        {"record_kind": "account", "record_id": acme, "interaction_id": "i5", "kind": "visit",
         "outcome": None, "contact_id": None, "actor": bob, "owner_id": ann,
         "logged_at": datetime(*NOV, 6, 9, tzinfo=UTC)},
    ]
    assert [i["interaction_id"] for i in q.interactions()] == ["i1", "i2", "i3", "i4", "i5"]
    assert q.interactions_per_rep() == {ann: {"call": 1, "email": 1, "meeting": 1},
                                        bob: {"call": 1, "visit": 1}}
    assert q.interactions_per_rep(by="owner_id") == {
        ann: {"call": 1, "email": 1, "meeting": 1, "visit": 1}, bob: {"call": 1}}


def _channel_world(sales):
    ann, bob = _team(sales)
    l1, l2 = _lead(sales, "Ada", "web_form", ann), _lead(sales, "Ben", "web_form", bob)
    l3, l5 = _lead(sales, "Cat", "referral", ann), _lead(sales, "Eve", "referral", bob)
    _lead(sales, "Dan", "event")
    _lead(sales, "Ada Again", "web_form", email="ada@corp.com")  # a duplicate of l1
    sales.leads.qualify(at(6), l1)
    sales.leads.qualify(at(6), l2)
    sales.leads.disqualify(at(6), l3, reason="no budget")
    won = sales.conversion.convert(at(7), l1, amount=Decimal("12000.50")).opportunity_id
    lost = sales.conversion.convert(at(7), l5, amount=Decimal(5000)).opportunity_id
    sales.opportunities.change_stage(at(8), won, stage="closed_won")
    sales.opportunities.change_stage(at(8), lost, stage="closed_lost", reason="price")
    acme = str(sales.accounts.open(at(1), name="Acme", region="north", owner_id=ann).stream_id)
    direct = str(sales.opportunities.open(at(2), account_id=acme, owner_id=ann, name="direct",
                                          amount=Decimal(7000),
                                          expected_close=date(2027, 1, 31)).stream_id)
    sales.opportunities.change_stage(at(9), direct, stage="closed_won")  # from no channel


def _channel(channel, leads, duplicates, qualified, converted, won, revenue, cost, per_lead,
             per_win):
    d = lambda v: None if v is None else Decimal(v)  # noqa: E731
    by_currency = [{"currency": "EUR", "won_deals": won, "won_revenue": Decimal(revenue)}] \
        if won else []
    figures = {"cost": d(cost), "cost_per_lead": d(per_lead), "cost_per_won_deal": d(per_win)}
    return {"channel": channel, "leads": leads, "duplicates": duplicates, "qualified": qualified,
            "converted": converted, "won_deals": won, "won_revenue": Decimal(revenue),
            **figures, "cost_currency": "EUR" if cost else None,
            "costs": [{"currency": "EUR", **figures}] if cost else [],
            "currency": "EUR" if won else None, "by_currency": by_currency}


def test_channel_effectiveness_against_its_cost(sales, models):
    _channel_world(sales)
    q = _queries(models)
    costs = {"web_form": {"EUR": Decimal(1500)}, "referral": {"EUR": Decimal(300)},
             "event": {"EUR": Decimal(5000)}, "social": {"EUR": Decimal(200)}}

    assert q.channel_effectiveness(costs) == [
        _channel("event", 1, 0, 0, 0, 0, "0.00", "5000.00", "5000.00", None),
        _channel("referral", 2, 0, 0, 1, 0, "0.00", "300.00", "150.00", None),
        _channel("social", 0, 0, 0, 0, 0, "0.00", "200.00", None, None),
        _channel("web_form", 3, 1, 2, 1, 1, "12000.50", "1500.00", "500.00", "1500.00"),
    ]
    assert [(c["channel"], c["cost"], c["cost_per_lead"]) for c in q.channel_effectiveness({})] \
        == [("event", None, None), ("referral", None, None), ("web_form", None, None)]


def test_channel_costs_in_several_currencies_are_never_added(sales, models):
    _channel_world(sales)
    costs = {"web_form": {"EUR": Decimal(1500), "USD": Decimal("900.30")}}
    web = next(c for c in _queries(models).channel_effectiveness(costs)
               if c["channel"] == "web_form")  # 3 leads, 1 won deal
    assert (web["cost"], web["cost_per_lead"], web["cost_currency"]) == (None, None, None)
    assert web["costs"] == [
        {"currency": "EUR", "cost": Decimal("1500.00"), "cost_per_lead": Decimal("500.00"),
         "cost_per_won_deal": Decimal("1500.00")},
        {"currency": "USD", "cost": Decimal("900.30"), "cost_per_lead": Decimal("300.10"),
         "cost_per_won_deal": Decimal("900.30")}]
