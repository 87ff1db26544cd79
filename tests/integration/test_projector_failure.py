"""An event a read model cannot apply stops that model alone, with an error naming the event."""

from decimal import Decimal

from infra.bootstrap import read_models as open_read_models
from infra.settings import Settings
from projections.base import EventRecord, Rows
from projections.funnel import FunnelProjection
from projections.inventory.projection import InventoryProjection
from tests.conftest import ctx


class BrokenOnReceipts(InventoryProjection):
    """Stands in for a model with a bug: it cannot apply stock receipts."""

    name = "broken_inventory"

    def apply(self, event: EventRecord, rows: Rows) -> None:
        if event.type == "StockReceived":
            raise ValueError("cannot handle receipts")
        super().apply(event, rows)


def test_a_failing_model_stops_with_the_event_named_and_the_others_go_on(database_url, sales):
    sales.stock.register(ctx(), sku="S-1", name="Sensor", base_price=Decimal("10"))
    received = sales.stock.receive(ctx(), "S-1", quantity=5)
    manager = sales.reps.hire(ctx(), name="Mia", email="mia@example.com", role="manager",
                              team="north", region="north")
    models = open_read_models(Settings(database_url=database_url),
                        [BrokenOnReceipts(), FunnelProjection()])

    models.catch_up()

    status = {s.name: s for s in models.status()}
    broken, funnel = status["broken_inventory"], status["funnel"]
    assert broken.status == "failed"
    assert broken.last_error == (
        f"position {received.position}: StockReceived of stream {received.stream_id}: "
        "ValueError: cannot handle receipts")
    assert broken.position < received.position
    assert (funnel.status, funnel.position, funnel.last_error) == (
        "active", manager.position, None)
    models.close()
