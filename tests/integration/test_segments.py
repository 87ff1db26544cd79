"""A splittable read model built and followed in segments (``infra.readside.segments``) has
the rows it has built whole, row for row; each segment keeps a position of its own, and the
model's is the lowest of them even when two segments' batches commit at once."""

import threading
import time
from datetime import date
from decimal import Decimal

import pytest

from bench.dataset import load
from infra.bootstrap import bootstrap, event_store
from infra.readside.read_models import ReadModels
from infra.readside.segments import segment_of
from infra.settings import Settings
from infra.sql.database import Database
from projections.catalog import ALL, BY_NAME
from tests.conftest import ctx
from tests.integration.rebuilds import snapshot

SPLITTABLE = [p for p in ALL if p.splittable]


def _models(url: str, segments: int) -> ReadModels:
    return ReadModels(Database(Settings(database_url=url, projection_segments=segments)),
                      SPLITTABLE)


def test_the_models_whose_rows_are_each_one_streams_are_splittable():
    assert [p.name for p in SPLITTABLE] == ["access_history", "timeline", "inventory"]


def test_the_segments_of_a_stream_hash_are_stable_and_spread():
    ids = [f"0190b2c4-{i:04x}-7000-8000-00000000{i:04x}" for i in range(3000)]
    counts = [sum(segment_of(i, 3) == s for i in ids) for s in range(3)]
    assert segment_of("0190b2c4-0001-7000-8000-000000000001", 3) == segment_of(
        "0190b2c4-0001-7000-8000-000000000001", 3)
    assert min(counts) > 900  # ~1,000 each


def test_a_model_built_and_followed_in_segments_equals_it_built_whole(postgres_url):
    settings = Settings(database_url=postgres_url, pool_size=4)
    event_store(settings).close()
    load(Database(settings), 6000, seed=7)
    split, whole = _models(postgres_url, 3), _models(postgres_url, 1)
    names = [p.name for p in SPLITTABLE]
    split.rebuild(names, fresh=True)
    positions = split.store.segment_positions(split.conn)
    head = split.store.active(split.conn, names[0])
    assert head is not None
    assert positions[(names[0], head.generation)] == [head.position] * 3
    built_split = snapshot(split)
    assert sum(len(rows) for rows in built_split.values()) > 1000

    sales = bootstrap(settings)
    try:  # followed live in segments: new records, changed owners
        rep = str(sales.reps.hire(ctx(), name="R", email="r@x.io", role="rep", team="t",
                                  region="n").stream_id)
        account = str(sales.accounts.open(ctx(), name="A", region="n", owner_id=rep).stream_id)
        sales.stock.register(ctx(), sku="S-9", name="Sensor", base_price=Decimal("10"))
        sales.stock.receive(ctx(), "S-9", quantity=50)
        for i in range(20):
            sales.orders.place(ctx(), account_id=account, lines=[("S-9", 1)])
            sales.opportunities.open(ctx(), account_id=account, owner_id=rep, name=f"d{i}",
                                     amount=Decimal(100), expected_close=date(2027, 1, 1))
            if i % 3 == 0:
                sales.reps.move(ctx(), rep, team=f"t{i}", region="n")
    finally:
        sales.close()
    try:
        split.catch_up()
        followed = snapshot(split)
        assert sum(map(len, followed.values())) > sum(map(len, built_split.values())) + 20
        whole.rebuild(names, fresh=True)  # now serving: the model built whole
        assert snapshot(whole) == followed
    finally:
        split.close()
        whole.close()


def test_two_segments_committing_at_once_leave_the_model_at_the_lower_of_them(postgres_url):
    models = _models(postgres_url, 2)
    projection = BY_NAME["access_history"]
    generation = models.store.create_generation(models.conn, projection, segments=2).generation
    first, second = (models.db.connect() for _ in "ab")
    try:
        name = projection.name
        with models.db.transaction(first) as cursor:  # both segments at 10
            for segment in (0, 1):
                assert models.store.advance(cursor, name, generation, 0, 10, None, segment)
        done = threading.Event()

        def second_segment() -> None:
            with models.db.transaction(second) as cursor:
                assert models.store.advance(cursor, name, generation, 10, 30, None, 1)
            done.set()

        with models.db.transaction(first) as cursor:
            assert models.store.advance(cursor, name, generation, 10, 20, None, 0)
            other = threading.Thread(target=second_segment)
            other.start()
            time.sleep(0.5)
            assert not done.is_set()  # it waits for this batch
        other.join(10)
        assert done.is_set()
        with models.db.transaction(first) as cursor:  # moved by another: refused
            assert not models.store.advance(cursor, name, generation, 10, 40, None, 0)
        found = next(g for g in models.store.generations(models.conn, name)
                     if g.generation == generation)
        assert found.position == 20  # min(20, 30), not the 10 it read before the first commit
        assert models.store.segment_positions(models.conn)[(name, generation)] == [20, 30]
    finally:
        first.close()
        second.close()
        models.close()


@pytest.mark.parametrize("configured", [1, 3])
def test_a_node_holds_the_shares_of_a_model_as_configured(postgres_url, configured):
    models = _models(postgres_url, configured)
    try:
        shares = models.shares()
        for split in SPLITTABLE:
            expected = [split.name] if configured == 1 else [
                f"{split.name}/{i}" for i in range(configured)]
            assert sorted(s for s in shares if s.split("/")[0] == split.name) == expected
            assert sum(c for s, c in shares.items() if s.split("/")[0] == split.name) == \
                pytest.approx(split.cost)
    finally:
        models.close()


def test_nodes_holding_different_segments_swap_the_model_in_only_once_all_caught_up(
        postgres_url, monkeypatch):
    """Node a holds two of three segments, node b the third: a builds and keeps its two at the
    head, but the model is not swapped in until b has built its own; then it serves the rows
    the model has built whole."""
    from infra.readside import read_models as read_models_module
    from infra.readside.leases import Leases

    monkeypatch.setattr(read_models_module, "SEGMENT_WAIT", 0.5)
    settings = Settings(database_url=postgres_url, pool_size=4)
    event_store(settings).close()
    load(Database(settings), 3000, seed=11)
    name = "access_history"
    node_a, node_b, whole = (ReadModels(Database(Settings(
        database_url=postgres_url, projection_segments=segments)), [BY_NAME[name]])
        for segments in (3, 3, 1))
    try:
        node_a.fences = Leases(node_a.db, "a", {f"{name}/0": 1, f"{name}/1": 1}).claim(node_a.conn)
        assert set(node_a.fences) == {f"{name}/0", f"{name}/1"}
        assert node_a.rebuild([name]) == {}  # built its part, waited, not swapped in
        assert node_a.store.active(node_a.conn, name) is None
        building = node_a.store.generations(node_a.conn, name)[-1]
        positions = node_a.store.segment_positions(node_a.conn)[(name, building.generation)]
        assert positions[2] == 0 < positions[0] == positions[1]

        node_b.fences = Leases(node_b.db, "b", {f"{name}/2": 1}).claim(node_b.conn)
        assert set(node_b.fences) == {f"{name}/2"}
        swapped = node_b.rebuild([name])  # joins the same generation, swaps it in
        active = node_b.store.active(node_b.conn, name)
        assert active is not None and active.generation == building.generation
        assert swapped == {name: active.position}
        served = snapshot(node_b)
        whole.rebuild([name], fresh=True)
        assert snapshot(whole) == served
    finally:
        for models in (node_a, node_b, whole):
            models.close()
