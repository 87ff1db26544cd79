"""Real threads against a real PostgreSQL server: no lost update, no oversold stock."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from domain.errors import InsufficientStockError
from infra.errors import ConflictError
from tests.conftest import ctx

THREADS = 8


def _setup(sales, stock=20):
    manager = sales.reps.hire(ctx(), name="Mia", email="mia@example.com", role="manager",
                              team="north", region="north")
    rep_id = str(sales.reps.hire(ctx(), name="Rob", email="rob@example.com", role="rep",
                                 team="north", region="north",
                                 manager_id=str(manager.stream_id)).stream_id)
    account_id = str(sales.accounts.open(ctx(), name="Acme", region="north",
                                         owner_id=rep_id).stream_id)
    sales.stock.register(ctx(), sku="HOT", name="Hot item", base_price=Decimal("10"))
    sales.stock.receive(ctx(), "HOT", quantity=stock)
    return rep_id, account_id


def _run_parallel(fn, n):
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda i: _outcome(fn, i), range(n)))


def _outcome(fn, i):
    try:
        return fn(i)
    except (InsufficientStockError, ConflictError) as error:
        return error


def test_parallel_orders_never_oversell(pg_sales):
    _, account_id = _setup(pg_sales, stock=20)

    outcomes = _run_parallel(
        lambda i: pg_sales.orders.place(ctx(), account_id=account_id, lines=[("HOT", 3)]), 16)

    placed = [o for o in outcomes if not isinstance(o, Exception)]
    item = pg_sales.stock.get("HOT")
    assert len(placed) == 6  # 6 x 3 = 18 <= 20; a seventh would need 21
    assert all(isinstance(o, InsufficientStockError) for o in outcomes if o not in placed)
    assert (item.on_hand, item.reserved, item.available) == (20, 18, 2)
    assert sorted(item.reservations) == sorted(str(p.stream_id) for p in placed)


def test_parallel_receipts_on_one_item_lose_no_update(pg_sales):
    _setup(pg_sales, stock=1)

    outcomes = _run_parallel(lambda i: pg_sales.stock.receive(ctx(), "HOT", quantity=1), 40)

    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert pg_sales.stock.get("HOT").on_hand == 41


def test_parallel_stage_changes_at_one_version_have_exactly_one_winner(pg_sales):
    rep_id, account_id = _setup(pg_sales)
    opp_id = str(pg_sales.opportunities.open(ctx(), account_id=account_id, owner_id=rep_id,
                                             name="Deal", amount=Decimal(5000),
                                             expected_close=ctx().now.date()).stream_id)
    stages = ["qualification", "proposal", "negotiation", "closed_lost"] * 3

    outcomes = _run_parallel(lambda i: pg_sales.opportunities.change_stage(
        ctx(), opp_id, stage=stages[i], expected_version=1), len(stages))

    winners = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(winners) == 1
    assert all(isinstance(o, ConflictError) for o in outcomes if o not in winners)
    deal = pg_sales.opportunities.get(opp_id)
    assert deal.stage == winners[0].events[0].to_stage
