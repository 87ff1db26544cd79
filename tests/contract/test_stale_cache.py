"""Two processes on one store (two command sides): each decides first on the state it last
saw, without reading; a stale state must never produce a wrong answer — no lost update, no
wrong "nothing to do", no wrong refusal — and If-Match compares with the current version."""

from decimal import Decimal
from uuid import UUID

import pytest

from domain.errors import InsufficientStockError, NotFoundError, OpportunityClosedError
from tests.conftest import ctx


def _deal(sales):
    rep_id = str(sales.reps.hire(ctx(), name="Rob", email="rob@example.com", role="rep",
                                 team="north", region="north").stream_id)
    account_id = str(sales.accounts.open(ctx(), name="Acme", region="north",
                                         owner_id=rep_id).stream_id)
    return str(sales.opportunities.open(ctx(), account_id=account_id, owner_id=rep_id, name="Deal",
                                        amount=Decimal(5000), expected_close=ctx().now.date()
                                        ).stream_id), account_id


def test_a_change_decided_on_a_stale_state_is_decided_again_and_loses_nothing(sales, other):
    deal, _ = _deal(sales)
    other.opportunities.get(deal)  # other's cache: prospecting, version 1
    sales.opportunities.change_stage(ctx(), deal, stage="proposal")

    result = other.opportunities.change_stage(ctx(), deal, stage="negotiation")

    assert result.version == 3
    stages = [r.event.to_stage for r in sales.store.read_stream(UUID(deal))[1:]]
    assert stages == ["proposal", "negotiation"]


def test_what_looks_like_nothing_to_do_on_a_stale_state_is_checked_on_the_current_one(sales, other):
    deal, _ = _deal(sales)
    other.opportunities.change_stage(ctx(), deal, stage="proposal")  # other: proposal, v2
    sales.opportunities.change_stage(ctx(), deal, stage="qualification")  # store: v3

    result = other.opportunities.change_stage(ctx(), deal, stage="proposal")

    assert [type(e).__name__ for e in result.events] == ["OpportunityStageChanged"]
    assert sales.opportunities.get(deal).stage == "proposal"
    assert result.version == 4


def test_a_refusal_is_never_based_on_a_stale_state(sales, other):
    sales.stock.register(ctx(), sku="S-1", name="Sensor", base_price=Decimal("10"))
    other.stock.get("S-1")  # other's cache: nothing on hand
    sales.stock.receive(ctx(), "S-1", quantity=10)
    _, account_id = _deal(sales)

    placed = other.orders.place(ctx(), account_id=account_id, lines=[("S-1", 4)])

    assert other.orders.get(str(placed.stream_id)).status == "reserved"
    assert sales.stock.get("S-1").available == 6


def test_a_stale_state_that_hides_a_close_still_refuses(sales, other):
    deal, _ = _deal(sales)
    other.opportunities.get(deal)
    sales.opportunities.change_stage(ctx(), deal, stage="closed_lost", reason="price")

    with pytest.raises(OpportunityClosedError):
        other.opportunities.change_stage(ctx(), deal, stage="proposal")
    assert len(sales.store.read_stream(UUID(deal))) == 3  # opened, stage changed, lost


def test_if_match_compares_with_the_current_version_not_the_cached_one(sales, other):
    deal, _ = _deal(sales)
    other.opportunities.get(deal)  # cached at version 1
    seen = sales.opportunities.change_stage(ctx(), deal, stage="proposal").version  # 2

    result = other.opportunities.change_stage(ctx(), deal, stage="negotiation",
                                              expected_version=seen)

    assert result.version == 3


def test_insufficient_stock_on_the_current_state_is_refused(sales, other):
    sales.stock.register(ctx(), sku="S-2", name="Sensor", base_price=Decimal("10"))
    sales.stock.receive(ctx(), "S-2", quantity=5)
    other.stock.get("S-2")  # other's cache: 5 on hand
    _, account_id = _deal(sales)
    sales.orders.place(ctx(), account_id=account_id, lines=[("S-2", 4)])

    with pytest.raises(InsufficientStockError):
        other.orders.place(ctx(), account_id=account_id, lines=[("S-2", 4)])
    assert sales.stock.get("S-2").available == 1


def _owned_by(rep_id):
    def guard(loaded):
        if loaded.state is None or loaded.state.owner_id != rep_id:
            raise NotFoundError("opportunity not found")
    return guard


def test_a_guard_passed_on_a_stale_owner_is_checked_again_on_the_current_one(sales, other):
    deal, _ = _deal(sales)
    rob = sales.opportunities.get(deal).owner_id
    other.opportunities.get(deal)  # other's cache: owned by Rob, version 1
    eve = str(sales.reps.hire(ctx(), name="Eve", email="eve@example.com", role="rep",
                              team="north", region="north").stream_id)
    sales.opportunities.change_owner(ctx(), deal, owner_id=eve)
    before = sales.store.max_position()

    with pytest.raises(NotFoundError):
        other.opportunities.change_stage(ctx(), deal, stage="proposal", guard=_owned_by(rob))

    assert sales.store.max_position() == before
    assert sales.opportunities.get(deal).stage == "prospecting"


def test_a_guard_refusal_on_a_state_not_cached_yet_is_checked_on_the_current_one(sales, other):
    deal, _ = _deal(sales)
    rob = sales.opportunities.get(deal).owner_id

    result = other.opportunities.change_stage(ctx(), deal, stage="proposal", guard=_owned_by(rob))

    assert result.version == 2
    assert sales.opportunities.get(deal).stage == "proposal"
