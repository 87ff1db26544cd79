"""Both committers behind one protocol: the command path behaves the same whichever the
settings pick (``SFA_GROUP_COMMIT``): commands stored in order, a lost race decided again, a
unit of work all or nothing, and the event loop's path answering the same."""

import asyncio
from decimal import Decimal
from uuid import UUID

import pytest

from domain.errors import InsufficientStockError
from infra.bootstrap import bootstrap
from infra.eventstore.committer import SimpleCommitter
from infra.eventstore.group_commit import GroupCommitter
from infra.settings import Settings
from tests.conftest import ctx
from tests.contract.test_stale_cache import _deal


@pytest.fixture
def simple(database_url, sales):
    """A second command side on the same database, committing one transaction per call."""
    second = bootstrap(Settings(database_url=database_url, pool_size=2, group_commit=False))
    yield second
    second.close()


def test_the_settings_pick_the_committer(sales, simple):
    assert type(sales.bus.committer) is GroupCommitter
    assert type(simple.bus.committer) is SimpleCommitter


def test_a_simple_committer_decides_a_stale_state_again_and_loses_nothing(sales, simple):
    deal, _ = _deal(sales)
    simple.opportunities.get(deal)  # simple's cache: version 1
    sales.opportunities.change_stage(ctx(), deal, stage="proposal")

    moved = simple.opportunities.change_stage(ctx(), deal, stage="negotiation")
    in_loop = asyncio.run(simple.opportunities.change_stage_async(ctx(), deal, stage="proposal"))

    assert (moved.version, in_loop.version) == (3, 4)
    stages = [r.event.to_stage for r in sales.store.read_stream(UUID(deal))[1:]]
    assert stages == ["proposal", "negotiation", "proposal"]


def test_a_simple_committer_stores_a_unit_all_or_nothing(sales, simple):
    _, account_id = _deal(sales)
    sales.stock.register(ctx(), sku="S-9", name="Sensor", base_price=Decimal("10"))
    sales.stock.receive(ctx(), "S-9", quantity=5)
    before = sales.store.max_position()

    with pytest.raises(InsufficientStockError):
        simple.orders.place(ctx(), account_id=account_id, lines=[("S-9", 6)])
    assert sales.store.max_position() == before
    placed = asyncio.run(simple.orders.place_async(ctx(), account_id=account_id,
                                                   lines=[("S-9", 5)]))

    assert sales.store.max_position() == placed.position == before + 3
    assert sales.orders.get(str(placed.stream_id)).status == "reserved"
    assert sales.stock.get("S-9").reserved == 5
