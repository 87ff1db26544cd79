"""Completes flows that were interrupted (a crash between two steps), and starts the
departures whose approved plan is due (on their effective date).

Follows the store's global order for the events that start a flow, re-runs each flow
(every step is idempotent) and records its position with the library's tracking
recorder, so a restart resumes where the last run stopped. One process at a time resumes
(a lock across processes): two running the same step at once could both act. ``sfa serve``
and ``sfa project`` resume at start-up, before serving, and then on a timer, for flows that
started at least one interval earlier: a request still running its own flow is left alone.
"""

import logging
import threading

from eventsourcing.persistence import Notification, Tracking

from domain.errors import DomainError
from infra.eventstore.store import EventStore
from infra.service.commands import CommandContext
from infra.service.flows.conversion import ConversionFlow
from infra.service.flows.departure import DepartureFlow
from infra.service.flows.orders import OrderFlows
from infra.sql.database import Database

log = logging.getLogger(__name__)

FLOW_STARTERS = ("LeadConverted", "OrderPlaced", "OrderShipped", "OrderCancelled", "RepDeparted")
TRACKING_NAME = "sfa_flows"
LOCK_NAME = "sfa_flows_resume"


class FlowRunner:
    def __init__(self, store: EventStore, db: Database, conversion: ConversionFlow,
                 orders: OrderFlows, departure: DepartureFlow) -> None:
        self.store, self.conversion, self.orders, self.departure = (
            store, conversion, orders, departure)
        self.tracking = store.app.factory.tracking_recorder()  # creates its table if missing
        self.db = db  # for the lock across processes

    def position(self) -> int:
        return self.tracking.max_tracking_id(TRACKING_NAME) or 0

    def resume(self, up_to: int | None = None) -> int | None:
        """Re-runs every flow started after the checkpoint (and at or before ``up_to``);
        returns how many it ran, or None when another process is resuming them."""
        with self.db.exclusive(LOCK_NAME) as mine:
            return self._resume(up_to) if mine else None

    def keep_resuming(self, stop: threading.Event, interval: float) -> None:
        """Every ``interval`` seconds, resumes the flows that had started by the previous
        round (so each had at least ``interval`` seconds to finish by itself), until
        ``stop``. A failed round is logged and tried again next time."""
        boundary = self.store.max_position()
        while not stop.wait(interval):
            try:
                head = self.store.max_position()
                ran = self.resume(up_to=boundary)
                if ran:
                    log.info("resumed %d interrupted flows (up to position %d)", ran, boundary)
                executed = self.execute_due_departures()
                if executed:
                    log.info("executed %d departures due today", executed)
                boundary = head
            except Exception:  # a stalled database: the next round tries again
                log.exception("resuming flows failed")

    def execute_due_departures(self) -> int | None:
        """Carries out every approved departure plan whose effective date has come; returns
        how many, or None when another process holds the lock."""
        with self.db.exclusive(LOCK_NAME) as mine:
            if not mine:
                return None
            return self.departure.execute_due(CommandContext(actor="system:flows"))

    def _resume(self, up_to: int | None) -> int:
        """Re-runs the flows page by page; the checkpoint moves once per page (a crash within
        one re-runs that page's flows again, and every step is idempotent), not once per flow:
        the timer sweeps every flow of a busy store, so a transaction each was most of its cost."""
        ran = 0
        while batch := self.store.notifications(self.position(), 500, FLOW_STARTERS):
            done = None
            try:
                for notification in batch:
                    if up_to is not None and notification.id > up_to:
                        return ran
                    self._rerun_or_skip(notification)
                    done, ran = notification.id, ran + 1
            finally:
                if done is not None:
                    self.tracking.insert_tracking(Tracking(TRACKING_NAME, done))
        return ran

    def _rerun_or_skip(self, notification: Notification) -> None:
        """A flow whose step the domain refuses (for good: the same events decide the same way)
        is logged and passed, so one refusal cannot hold back every later flow; any other
        error (the database) ends the round, and the next round tries that flow again."""
        try:
            self.rerun(notification)
        except DomainError as refusal:
            log.error("flow of %s at position %d cannot be completed, passed: %s: %s",
                      notification.topic, notification.id, type(refusal).__name__, refusal)

    def rerun(self, notification: Notification) -> None:
        """Completes the flow the stored event of ``notification`` started (idempotent)."""
        recorded = self.store.decode(notification)
        ctx = CommandContext(actor="system:flows", correlation_id=recorded.meta.correlation_id,
                             causation_id=recorded.meta.event_id)
        stream_id = str(notification.originator_id)
        if notification.topic == "LeadConverted":
            self.conversion.complete(ctx, stream_id)
        elif notification.topic == "RepDeparted":
            self.departure.hand_over(ctx, stream_id)
        else:
            self.orders.resume_after(ctx, stream_id, recorded.event)
