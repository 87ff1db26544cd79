"""The event loop's command path (``handle_async``, ``place_async``): decided on cached
states in the loop, committed by the loop itself (PostgreSQL) or the committer's own writer
thread (SQLite), several concurrent
commands per transaction; a stale or missing state, a conflict or a refusal falls back to the
thread path on current states. Same guarantees as the thread path: no lost update, no
oversold stock, no wrong refusal, If-Match compared with the current version."""

import asyncio
from decimal import Decimal
from uuid import UUID

import psycopg
import pytest

from domain.errors import InsufficientStockError, NotFoundError
from infra.bootstrap import bootstrap
from infra.errors import ConflictError
from infra.eventstore.subjects import KEYS, RESERVE
from infra.settings import Settings
from infra.sql.database import Database
from tests.conftest import ctx
from tests.contract.test_stale_cache import _deal

OPEN = ("qualification", "proposal", "negotiation", "prospecting")


def _stages(sales, deal):
    return [r.event.to_stage for r in sales.store.read_stream(UUID(deal))[1:]]


def test_concurrent_changes_in_one_loop_are_all_stored_in_a_chain(sales):
    """Each round sends every open stage but the current one at once: each target is never
    the current stage, so each must add exactly one event, whatever the order."""
    deal, _ = _deal(sales)
    sales.opportunities.get(deal)  # cached at version 1

    async def round_of_changes():
        current = sales.opportunities.get(deal).stage
        return await asyncio.gather(*(sales.opportunities.change_stage_async(ctx(), deal, stage=s)
                                      for s in OPEN if s != current))

    versions = [r.version for _ in range(4) for r in asyncio.run(round_of_changes())]

    assert sorted(versions) == list(range(2, 14))
    stored = [r.event for r in sales.store.read_stream(UUID(deal))[1:]]
    assert len(stored) == 12
    for before, after in zip(stored, stored[1:], strict=False):  # no update lost
        assert after.from_stage == before.to_stage


def test_a_stale_cached_state_in_the_loop_is_decided_again_on_the_current_one(sales, other):
    deal, _ = _deal(sales)
    other.opportunities.get(deal)  # other's cache: version 1
    sales.opportunities.change_stage(ctx(), deal, stage="proposal")  # store: version 2

    result = asyncio.run(other.opportunities.change_stage_async(ctx(), deal, stage="negotiation"))

    assert result.version == 3
    assert _stages(sales, deal) == ["proposal", "negotiation"]


def test_if_match_in_the_loop_compares_with_the_current_version(sales, other):
    deal, _ = _deal(sales)
    other.opportunities.get(deal)
    sales.opportunities.change_stage(ctx(), deal, stage="proposal")  # version 2 elsewhere

    with pytest.raises(ConflictError):
        asyncio.run(other.opportunities.change_stage_async(ctx(), deal, stage="negotiation",
                                                           expected_version=1))
    assert _stages(sales, deal) == ["proposal"]
    result = asyncio.run(other.opportunities.change_stage_async(ctx(), deal, stage="negotiation",
                                                                expected_version=2))
    assert result.version == 3


def test_an_uncached_or_unknown_record_goes_the_thread_path(sales, other):
    deal, _ = _deal(sales)  # never seen by other

    result = asyncio.run(other.opportunities.change_stage_async(ctx(), deal, stage="proposal"))
    assert result.version == 2
    with pytest.raises(NotFoundError):
        asyncio.run(other.opportunities.change_stage_async(
            ctx(), "00000000-0000-4000-8000-000000000000", stage="proposal"))


def test_concurrent_orders_in_one_loop_never_oversell(sales):
    _, account_id = _deal(sales)
    sales.stock.register(ctx(), sku="LTD-1", name="Limited", base_price=Decimal("10.00"))
    sales.stock.receive(ctx(), "LTD-1", quantity=20)
    sales.accounts.get(account_id)
    sales.stock.get("LTD-1")  # cached

    async def place():
        try:
            return await sales.orders.place_async(ctx(), account_id=account_id,
                                                  lines=[("LTD-1", 3)])
        except InsufficientStockError as refusal:
            return refusal

    async def all_at_once():
        return await asyncio.gather(*(place() for _ in range(10)))

    answers = asyncio.run(all_at_once())

    placed = [a for a in answers if not isinstance(a, Exception)]
    assert len(placed) == 20 // 3
    assert all(isinstance(a, InsufficientStockError) for a in answers if a not in placed)
    item = sales.stock.get("LTD-1")
    assert (item.on_hand, item.reserved) == (20, 3 * len(placed))
    assert {sales.orders.get(str(a.stream_id)).status for a in placed} == {"reserved"}


def test_a_stale_stock_level_in_the_loop_never_refuses_wrongly(sales, other):
    _, account_id = _deal(sales)
    sales.stock.register(ctx(), sku="S-1", name="Sensor", base_price=Decimal("10"))
    other.stock.get("S-1")  # other's cache: nothing on hand
    sales.stock.receive(ctx(), "S-1", quantity=5)

    result = asyncio.run(other.orders.place_async(ctx(), account_id=account_id,
                                                  lines=[("S-1", 2)]))

    assert other.orders.get(str(result.stream_id)).status == "reserved"
    assert sales.stock.get("S-1").reserved == 2


PERSON = {"person": "Clara Weber", "company": "Nordlicht", "email": "clara@nordlicht.example",
          "channel": "web_form"}


def test_a_lead_matching_a_stored_one_is_flagged_although_the_first_attempt_does_not_look(
        sales, other):
    first = sales.leads.capture(ctx(), **PERSON)

    again = asyncio.run(other.leads.capture_async(ctx(), **{**PERSON, "email": "CLARA@nordlicht.example"}))

    assert again.events[0].duplicate_of == str(first.stream_id)
    assert sales.store.find_claims(["email:clara@nordlicht.example"]) == {
        "email:clara@nordlicht.example": str(first.stream_id)}


def test_the_same_person_captured_at_once_in_one_loop_is_one_lead_and_its_duplicates(sales):
    async def all_at_once():
        return await asyncio.gather(*(sales.leads.capture_async(ctx(), **PERSON)
                                      for _ in range(6)))

    results = asyncio.run(all_at_once())

    originals = [r for r in results if r.events[0].duplicate_of is None]
    assert len(originals) == 1
    original = str(originals[0].stream_id)
    assert sorted(r.events[0].duplicate_of or "" for r in results) == [""] + [original] * 5
    assert sales.store.find_claims(["email:clara@nordlicht.example"]) == {
        "email:clara@nordlicht.example": original}
    assert sales.leads.get(results[1].stream_id).person == "Clara Weber"


def test_an_order_decided_on_a_stale_account_is_priced_on_the_current_one(sales, other):
    """The account is only read by the order: a grade changed meanwhile elsewhere must not be
    missed (the unit conflicts on the account's version and is decided again)."""
    _, account_id = _deal(sales)
    sales.stock.register(ctx(), sku="S-1", name="Sensor", base_price=Decimal("100.00"))
    sales.stock.receive(ctx(), "S-1", quantity=50)
    other.accounts.get(account_id), other.stock.get("S-1")  # other's cache: grade as opened
    before = asyncio.run(other.orders.place_async(ctx(), account_id=account_id,
                                                  lines=[("S-1", 10)]))
    sales.accounts.grade(ctx(), account_id, grade="A")  # elsewhere: a better grade

    after = asyncio.run(other.orders.place_async(ctx(), account_id=account_id,
                                                 lines=[("S-1", 10)]))

    assert other.orders.get(str(after.stream_id)).total < other.orders.get(
        str(before.stream_id)).total



def _counting_thread_hops(monkeypatch) -> list[str]:
    hops: list[str] = []
    to_thread = asyncio.to_thread

    async def counting(function, *args, **kwargs):
        hops.append(getattr(function, "__name__", repr(function)))
        return await to_thread(function, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counting)
    return hops


def test_on_postgresql_stale_states_catch_up_in_the_loop_without_a_thread(
        sales, other, monkeypatch, database_url):
    """Another process changed the stock item, the account and the deal, and created a deal
    this one never saw: on PostgreSQL the loop reads what it missed and decides again right
    there; on SQLite (no loop connection) those commands take the thread path."""
    deal, account_id = _deal(sales)
    sales.stock.register(ctx(), sku="S-1", name="Sensor", base_price=Decimal("100.00"))
    sales.stock.receive(ctx(), "S-1", quantity=50)
    other.accounts.get(account_id), other.stock.get("S-1"), other.opportunities.get(deal)
    sales.stock.receive(ctx(), "S-1", quantity=5)  # elsewhere: all three move on
    sales.accounts.grade(ctx(), account_id, grade="A")
    sales.opportunities.change_stage(ctx(), deal, stage="proposal")
    unseen, _ = _deal(sales)
    hops = _counting_thread_hops(monkeypatch)

    async def commands():
        placed = await other.orders.place_async(ctx(), account_id=account_id,
                                                lines=[("S-1", 55)])
        moved = await other.opportunities.change_stage_async(ctx(), deal, stage="negotiation")
        fresh = await other.opportunities.change_stage_async(ctx(), unseen, stage="proposal",
                                                             expected_version=1)
        return placed, moved, fresh

    placed, moved, fresh = asyncio.run(commands())

    item = sales.stock.get("S-1")
    assert (item.on_hand, item.reserved) == (55, 55)  # decided on the current level
    assert sales.orders.get(str(placed.stream_id)).status == "reserved"
    assert (moved.version, fresh.version) == (3, 2)
    assert _stages(sales, deal) == ["proposal", "negotiation"]
    expected = [] if database_url.startswith("postgresql") else ["_run_fresh"] * 3
    assert hops == expected


def test_a_lost_read_connection_in_the_loop_falls_back_to_the_thread_and_is_replaced(
        pg_sales, monkeypatch):
    other = bootstrap(Settings(database_url=pg_sales.settings.database_url, pool_size=2))
    deal, _ = _deal(pg_sales)
    other.opportunities.get(deal)
    hops = _counting_thread_hops(monkeypatch)

    async def story():
        moves = []
        for stage in ("qualification", "proposal", "negotiation"):
            pg_sales.opportunities.change_stage(ctx(), deal, stage=stage)  # other is stale
            if stage == "proposal":  # the loop's read connection is lost
                (queue,) = other.bus.committer._loops.values()
                with psycopg.connect(pg_sales.settings.database_url, autocommit=True) as admin:
                    admin.execute("SELECT pg_terminate_backend(%s)",
                                  (queue.reader.info.backend_pid,))
            moves.append(await other.opportunities.change_stage_async(
                ctx(), deal, stage="prospecting"))
        await other.bus.committer.aclose()
        return moves

    try:
        moves = asyncio.run(story())
    finally:
        other.close()

    assert [m.version for m in moves] == [3, 5, 7]  # each decided on the current state
    assert _stages(pg_sales, deal) == ["qualification", "prospecting", "proposal",
                                       "prospecting", "negotiation", "prospecting"]
    assert hops == ["_run_fresh"]  # only the command whose catch-up read failed

def _stored_keys(sales) -> set[str]:
    db = Database(sales.settings)
    with db.reader() as conn:
        return {row[0] for row in conn.execute(f"SELECT subject_id FROM {KEYS}").fetchall()}


def test_new_leads_take_ids_whose_keys_were_stored_a_reserve_at_a_time(sales, monkeypatch):
    first = sales.leads.capture(ctx(), **PERSON)  # the thread path fills the reserve
    assert _stored_keys(sales) == {str(first.stream_id)} | set(sales.store.keys._reserve)
    assert len(_stored_keys(sales)) == RESERVE

    def no_io(*args, **kwargs):
        raise AssertionError("a capture with a full reserve read or wrote a key")

    monkeypatch.setattr(sales.store.keys, "_query", no_io)

    async def captures():
        return await asyncio.gather(*(sales.leads.capture_async(
            ctx(), **{**PERSON, "person": f"Person {n}", "email": f"p{n}@example.com"})
            for n in range(5)))

    results = asyncio.run(captures())

    monkeypatch.undo()
    ids = {str(r.stream_id) for r in results}
    assert len(ids) == 5 and ids <= _stored_keys(sales)  # keys stored before their events
    assert len(_stored_keys(sales)) == RESERVE  # no key written meanwhile
    assert sorted(sales.leads.get(i).person for i in ids) == [f"Person {n}" for n in range(5)]


def test_a_forget_drops_the_reserve_so_no_id_with_an_uncached_key_is_handed_out(sales):
    first = sales.leads.capture(ctx(), **PERSON)
    assert sales.store.keys.reserved_subject() is not None

    sales.store.keys.forget([str(first.stream_id)])

    assert sales.store.keys.reserved_subject() is None
    again = asyncio.run(sales.leads.capture_async(ctx(), **{**PERSON, "email": "x@example.com"}))
    assert sales.leads.get(again.stream_id).email == "x@example.com"  # a new reserve's id
