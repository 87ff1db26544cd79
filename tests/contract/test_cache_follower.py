"""The cache follower (PostgreSQL): while an event loop appends, the states it has cached
follow what other processes store, so its next decisions are taken on current states
instead of failing at the append and being decided again."""

import asyncio
from decimal import Decimal
from uuid import UUID

import psycopg
import pytest

from infra.bootstrap import Sales, bootstrap
from infra.eventstore import cache_follower
from infra.eventstore.cache_follower import Following
from infra.eventstore.ids import stock_item_id
from infra.settings import Settings
from tests.conftest import ctx
from tests.contract.test_stale_cache import _deal


@pytest.fixture
def other(pg_sales):
    """A second command side (another API worker) on the same PostgreSQL database."""
    second = bootstrap(Settings(database_url=pg_sales.settings.database_url, pool_size=2))
    yield second
    second.close()


def _cached_version(sales: Sales, stream_id: str | UUID) -> int | None:
    entry = sales.store.cache.peek(UUID(str(stream_id)))
    return None if entry is None else entry[1].version


def _catch_ups(sales: Sales, monkeypatch) -> list[int]:
    """Records each catch-up read the command path makes (a decision found stale)."""
    reads: list[int] = []
    committer = sales.bus.committer
    real = committer.catch_up_async

    async def counted(streams):
        reads.append(len(streams))
        return await real(streams)

    monkeypatch.setattr(committer, "catch_up_async", counted)
    return reads


def test_what_another_process_stored_is_folded_into_cached_states_only(
        pg_sales, other, monkeypatch):
    deal, account_id = _deal(pg_sales)
    unseen, _ = _deal(pg_sales)
    pg_sales.stock.register(ctx(), sku="S-1", name="Sensor", base_price=Decimal("100.00"))
    pg_sales.stock.receive(ctx(), "S-1", quantity=50)
    other.stock.get("S-1"), other.opportunities.get(deal), other.accounts.get(account_id)
    before = pg_sales.store.max_position()
    pg_sales.stock.receive(ctx(), "S-1", quantity=5)  # elsewhere: the item and the deal move on
    pg_sales.opportunities.change_stage(ctx(), deal, stage="proposal")
    pg_sales.opportunities.change_stage(ctx(), unseen, stage="proposal")
    following = Following(position=before)
    catch_ups = _catch_ups(other, monkeypatch)

    async def follow_then_decide():
        await other.bus.committer.follower.read_once(following)
        reached = following.position
        placed = await other.orders.place_async(ctx(), account_id=account_id, lines=[("S-1", 55)])
        moved = await other.opportunities.change_stage_async(ctx(), deal, stage="negotiation")
        await other.bus.committer.follower._drop(following)
        await other.bus.committer.aclose()
        return reached, placed, moved

    cached_item, cached_deal = (_cached_version(other, stock_item_id("S-1")),
                                _cached_version(other, deal))
    assert (cached_item, cached_deal) == (2, 1)
    reached, placed, moved = asyncio.run(follow_then_decide())

    assert reached == pg_sales.store.max_position() - 4  # then the order (3 events), the move
    assert catch_ups == []  # both decided on current states at the first attempt
    item = pg_sales.stock.get("S-1")
    assert (item.on_hand, item.reserved) == (55, 55)
    assert pg_sales.orders.get(str(placed.stream_id)).status == "reserved"
    assert moved.version == 3
    assert _cached_version(other, unseen) is None  # never cached here: not read either


def test_while_its_loop_appends_the_follower_keeps_up_and_stops_when_idle(
        pg_sales, other, monkeypatch):
    monkeypatch.setattr(cache_follower, "IDLE_AFTER", 0.3)
    deal, busy = _two_deals_cached(pg_sales, other)

    async def story():
        following = await _following_after_an_append(other, busy)
        await _until(lambda: following.position is not None)  # it has read the head
        pg_sales.opportunities.change_stage(ctx(), deal, stage="proposal")  # elsewhere
        followed = await _until(lambda: _cached_version(other, deal) == 2)
        stopped = await _until(lambda: following.task.done())
        state = (followed, stopped, following.position)
        await other.bus.committer.aclose()
        return state, following

    (followed, stopped, position), following = asyncio.run(story())

    assert followed and stopped
    assert position is None  # an idle follower starts again at the head of the log
    assert following.connection is None  # closed by the shutdown
    assert other.opportunities.get(deal).stage == "proposal"


def test_a_lost_follower_connection_is_replaced_and_following_goes_on(
        pg_sales, other, monkeypatch):
    monkeypatch.setattr(cache_follower, "RETRY_AFTER", 0.05)
    deal, busy = _two_deals_cached(pg_sales, other)

    async def story():
        following = await _following_after_an_append(other, busy)
        await _until(lambda: following.connection is not None)
        lost = following.connection.info.backend_pid
        with psycopg.connect(pg_sales.settings.database_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (lost,))
        replaced = await _until(lambda: following.connection is not None
                                and following.connection.info.backend_pid != lost
                                and following.position is not None)
        pg_sales.opportunities.change_stage(ctx(), deal, stage="proposal")  # elsewhere
        followed = await _until(lambda: _cached_version(other, deal) == 2)
        await other.bus.committer.aclose()
        return replaced, followed

    assert asyncio.run(story()) == (True, True)


def test_on_sqlite_there_is_no_follower(sqlite_url):
    sales = bootstrap(Settings(database_url=sqlite_url))
    try:
        assert sales.bus.committer.follower is None
    finally:
        sales.close()


def _two_deals_cached(sales: Sales, other: Sales) -> tuple[str, str]:
    """Two deals ``other`` has cached: one to change elsewhere, one to append to."""
    deal, busy = _deal(sales)[0], _deal(sales)[0]
    other.opportunities.get(deal), other.opportunities.get(busy)
    return deal, busy


async def _following_after_an_append(sales: Sales, deal: str) -> Following:
    """The follower of the running loop, started by an append in it."""
    await sales.opportunities.change_stage_async(ctx(), deal, stage="qualification")
    (queue,) = sales.bus.committer._loops.values()
    return queue.following


async def _until(condition, seconds: float = 5.0) -> bool:
    """Whether ``condition`` holds within ``seconds``, checked while the loop runs on."""
    for _ in range(int(seconds / 0.01)):
        if condition():
            return True
        await asyncio.sleep(0.01)
    return bool(condition())
