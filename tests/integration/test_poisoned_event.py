"""An event whose rows the database refuses stops the read models that store it, alone:
the failure names the event, the other models go on to the head (finding 1 of issue 16)."""

from decimal import Decimal

from infra.read_models import ReadModels
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
    models = ReadModels(Settings(database_url=database_url))
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
    models = ReadModels(Settings(database_url=database_url), batch_size=3)
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
