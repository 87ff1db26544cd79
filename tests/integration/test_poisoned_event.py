"""An event whose rows the database refuses stops the read models that store it, alone:
the failure names the event, the other models go on to the head (finding 1 of issue 16)."""

from decimal import Decimal

import pytest

from infra.bootstrap import read_models as open_read_models
from infra.readside.read_models import ReadModels
from infra.settings import Settings
from tests.conftest import ctx
from tests.integration.poison import register_unstorable_item


def _by_name(models: ReadModels) -> dict:
    return {s.name: s for s in models.status() if s.status != "retired"}


def test_a_row_the_database_refuses_stops_its_model_alone_and_names_the_event(database_url,
                                                                              sales):
    sales.stock.register(ctx(), sku="S-1", name="Sensor", base_price=Decimal("10"))
    before = sales.stock.receive(ctx(), "S-1", quantity=5).position
    poisoned = register_unstorable_item(sales, "S-odd")
    sales.stock.register(ctx(), sku="S-2", name="Switch", base_price=Decimal("4"))
    head = sales.reps.hire(ctx(), name="Mia", email="mia@example.com", role="manager",
                           team="north", region="north").position
    models = open_read_models(Settings(database_url=database_url))
    try:
        stopped = models.catch_up()
        status = _by_name(models)
    finally:
        models.close()

    inventory = status.pop("inventory")
    assert list(stopped) == ["inventory"]
    assert inventory.status == "failed"
    assert before <= inventory.position < poisoned
    assert inventory.last_error.startswith(
        f"position {poisoned}: StockItemRegistered of stream ")
    assert "\n" not in inventory.last_error
    assert {(s.status, s.position) for s in status.values()} == {("active", head)}


def test_a_live_model_meeting_such_an_event_stops_alone_and_stays_stopped(database_url, sales):
    models = open_read_models(Settings(database_url=database_url), batch_size=3)
    sales.stock.register(ctx(), sku="S-1", name="Sensor", base_price=Decimal("10"))
    models.catch_up()  # built and active: what follows is the live loop's path
    sales.stock.receive(ctx(), "S-1", quantity=5)
    poisoned = register_unstorable_item(sales, "S-odd")
    after = sales.stock.receive(ctx(), "S-1", quantity=2).position
    head = sales.reps.hire(ctx(), name="Mia", email="mia@example.com", role="manager",
                           team="north", region="north").position
    try:
        assert list(models.catch_up()) == ["inventory"]
        assert list(models.catch_up()) == ["inventory"]  # stays stopped: not tried again
        status = _by_name(models)
    finally:
        models.close()

    inventory = status.pop("inventory")
    assert inventory.status == "failed" and inventory.position < poisoned < after
    assert inventory.last_error.startswith(f"position {poisoned}: StockItemRegistered")
    assert {(s.status, s.position) for s in status.values()} == {("active", head)}


def _damage_stored_bytes(sales, database_url: str, position: int) -> None:
    """Overwrites an event's stored JSON with bytes that are no JSON at all (as a disk or a
    hand edit might): the store's own reader would fail on the whole page."""
    from infra.sql.database import Database

    db = Database(Settings(database_url=database_url))
    try:
        with db.reader() as conn, db.transaction(conn) as cursor:
            cursor.execute(db.sql(f"UPDATE {db.events_table} SET state = ? "
                                  f"WHERE {db.position_column} = ?"), (b'{"broken', position))
    finally:
        db.close()


def test_an_event_whose_bytes_cannot_be_decoded_stops_only_the_models_reading_its_type(
        database_url, sales):
    from infra.eventstore.event_reader import EventReader
    from infra.stream.envelope import UnpublishableEventError, envelope

    sales.stock.register(ctx(), sku="S-1", name="Sensor", base_price=Decimal("10"))
    damaged = sales.stock.receive(ctx(), "S-1", quantity=5).position
    head = sales.reps.hire(ctx(), name="Mia", email="mia@example.com", role="manager",
                           team="north", region="north").position
    _damage_stored_bytes(sales, database_url, damaged)
    models = open_read_models(Settings(database_url=database_url))
    try:
        stopped = models.catch_up()
        status = _by_name(models)
        page = EventReader(models.db).read(models.conn, 0, 100)
    finally:
        models.close()

    readers = {name for name, s in status.items() if s.status == "failed"}
    assert readers == set(stopped) and readers  # those reading stock receipts, no other
    for name in readers:
        assert status[name].last_error.startswith(f"position {damaged}: StockReceived")
        assert "undecodable JSON" in status[name].last_error
    assert {(s.status, s.position) for n, s in status.items() if n not in readers} == {
        ("active", head)}
    assert [e.position for e in page if e.problem] == [damaged]  # the rest of the page reads
    bad = next(e for e in page if e.problem)
    with pytest.raises(UnpublishableEventError, match=f"position {damaged}"):
        envelope(bad)  # the relay stops before it, naming it, instead of publishing garbage


def test_a_model_stopping_while_the_batch_before_is_refused_loses_no_event_of_the_others(
        postgres_url, pg_sales):
    sales = pg_sales
    """Batch N is refused by the database (found when the next one is handed over); in batch
    N+1 a model stops on an event, which waits for batch N and learns it failed: the group
    starts again from the stored positions, and the other models miss no event of either
    batch (the events applied before the stop were not kept past the reload)."""
    models = open_read_models(Settings(database_url=postgres_url), batch_size=3)
    sales.stock.register(ctx(), sku="S-1", name="Sensor", base_price=Decimal("10"))
    models.catch_up()  # built and active: the live loop's path
    hired = [str(sales.reps.hire(ctx(), name="A", email="a@example.com", role="rep",
                                 team="north", region="north").stream_id)]
    register_unstorable_item(sales, "S-odd")  # batch N: its rows refused
    hired.append(str(sales.reps.hire(ctx(), name="B", email="b@example.com", role="rep",
                                     team="north", region="north").stream_id))
    hired.append(str(sales.reps.hire(ctx(), name="C", email="c@example.com", role="rep",
                                     team="north", region="north").stream_id))  # batch N+1
    damaged = sales.stock.receive(ctx(), "S-1", quantity=5).position  # stops its readers
    hired.append(str(sales.reps.hire(ctx(), name="D", email="d@example.com", role="rep",
                                     team="north", region="north").stream_id))
    _damage_stored_bytes(sales, postgres_url, damaged)
    try:
        models.catch_up()
        reps = {row[0] for row in models.conn.execute(
            "SELECT record_id FROM access_records WHERE kind = 'rep'").fetchall()}
        status = _by_name(models)
    finally:
        models.close()

    assert reps == set(hired)  # not one of the four lost
    assert status["access_history"].status == "active"
    assert status["inventory"].status == "failed"
