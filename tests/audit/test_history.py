"""The audit history of an account, from the event store: the state as of instants between
events equals what the system answered then; other customers' events never appear."""

import pytest
from pydantic_core import to_jsonable_python

from infra.audit.history import AuditHistory
from infra.audit.seal import Sealer
from infra.readside.queries.timeline import _account, _opportunity, _order
from infra.settings import Settings
from infra.sql.database import Database
from tests.audit.world import build


@pytest.fixture
def db(database_url, sales):
    return Database(Settings(database_url=database_url))


def recorder(sales, answers):
    def record(instant, account, deal, order):
        answers.append((instant, to_jsonable_python({
            "account": _account(sales.accounts.get(account)),
            "opportunities": [_opportunity(sales.opportunities.get(deal))],
            "orders": [_order(sales.orders.get(order))] if order else []})))
    return record


def history(db, account, as_of=None):
    conn = db.connect()
    try:
        return AuditHistory(db, conn).history(account, as_of)
    finally:
        conn.close()


def seal(db, page=5_000):
    conn = db.connect()
    Sealer(db, page=page).seal(conn)
    conn.close()


@pytest.mark.parametrize("sealed", [True, False], ids=["sealed", "unsealed"])
def test_state_as_of_each_instant_is_what_the_system_answered_then(db, sales, sealed):
    answers = []
    world = build(sales, recorder(sales, answers))
    if sealed:
        seal(db)
    assert len(answers) == 5
    for instant, answered in answers:
        state = history(db, world.account, instant)["state"]
        assert state["account"] == answered["account"], instant
        assert state["opportunities"] == answered["opportunities"], instant
        assert state["orders"] == answered["orders"], instant


def test_events_are_the_accounts_own_in_global_order_with_actor_and_correlation(db, sales):
    world = build(sales)
    seal(db, page=4)
    events = history(db, world.account)["events"]
    positions = [e["position"] for e in events]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    streams = {e["stream_id"] for e in events if e["stream_type"] != "StockItem"}
    assert streams == {world.account, world.lead, world.deal, world.order}
    assert world.other_account not in streams and world.other_deal not in streams
    moves = [e for e in events if e["stream_type"] == "StockItem"]
    assert [m["type"] for m in moves] == ["StockReserved", "StockShipped"]
    assert all(m["data"]["order_id"] == world.order for m in moves)
    assert {e["actor"] for e in events} == {"tester"}
    assert all(e["correlation_id"] and e["hash"] and e["previous_hash"] for e in events)
    assert events[0]["type"] == "LeadCaptured"


def test_other_accounts_see_none_of_these_events(db, sales):
    world = build(sales)
    seal(db)
    mine = {e["position"] for e in history(db, world.account)["events"]}
    theirs = {e["position"] for e in history(db, world.other_account)["events"]}
    assert mine and theirs and not mine & theirs
    assert {e["stream_id"] for e in history(db, world.other_account)["events"]
            if e["stream_type"] != "StockItem"} == {world.other_account, world.other_deal,
                                                    *_orders_of(sales, world.other_account)}


def _orders_of(sales, account):
    conn_events = sales.store.notifications(0, 10_000, topics=["OrderPlaced"])
    return {str(n.originator_id) for n in conn_events if account.encode() in n.state}


def test_sealed_and_unsealed_answers_are_the_same(db, sales):
    world = build(sales)
    before = history(db, world.account)
    seal(db)
    after = history(db, world.account)
    assert [e["position"] for e in before["events"]] == [e["position"] for e in after["events"]]
    assert before["state"] == after["state"]
    assert all(e["hash"] is None for e in before["events"])
