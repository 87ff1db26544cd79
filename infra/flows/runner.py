"""Completes flows that were interrupted (a crash between two steps).

Follows the store's global order for the events that start a flow, re-runs each flow
(every step is idempotent) and records its position with the library's tracking
recorder, so a restart resumes where the last run stopped.
"""

from eventsourcing.persistence import Tracking

from infra.commands import CommandContext
from infra.flows.conversion import ConversionFlow
from infra.flows.departure import DepartureFlow
from infra.flows.orders import OrderFlows
from infra.store import EventStore

FLOW_STARTERS = ("LeadConverted", "OrderPlaced", "OrderShipped", "OrderCancelled", "RepDeparted")
TRACKING_NAME = "sfa_flows"


class FlowRunner:
    def __init__(self, store: EventStore, conversion: ConversionFlow, orders: OrderFlows,
                 departure: DepartureFlow) -> None:
        self.store, self.conversion, self.orders, self.departure = (
            store, conversion, orders, departure)
        self.tracking = store.app.factory.tracking_recorder()  # creates its table if missing

    def position(self) -> int:
        return self.tracking.max_tracking_id(TRACKING_NAME) or 0

    def resume(self) -> int:
        """Re-runs every flow started after the checkpoint; returns how many it ran."""
        ran = 0
        while batch := self.store.notifications(self.position(), 500, FLOW_STARTERS):
            for notification in batch:
                recorded = self.store.decode(notification)
                ctx = CommandContext(actor="system:flows",
                                     correlation_id=recorded.meta.correlation_id,
                                     causation_id=recorded.meta.event_id)
                self._run(notification.topic, str(notification.originator_id), ctx)
                self.tracking.insert_tracking(Tracking(TRACKING_NAME, notification.id))
                ran += 1
        return ran

    def _run(self, topic: str, stream_id: str, ctx: CommandContext) -> None:
        if topic == "LeadConverted":
            self.conversion.complete(ctx, stream_id)
        elif topic == "RepDeparted":
            self.departure.hand_over(ctx, stream_id)
        else:
            self.orders.resume(ctx, stream_id)
