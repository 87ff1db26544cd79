"""Relay gauges for ``/metrics``, read at scrape time from ``sfa_relay_positions`` (the relay
is a process of its own; the database is where it reports). ``sfa_relay_up`` is 1 only while
the relay's heartbeat is fresh (``infra.stream.relay_positions.STALE_SECONDS``) and it publishes or
is caught up: a killed relay shows 0 within that bound."""

from collections.abc import Iterator

from fastapi import FastAPI
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from infra.stream.relay_positions import STATUSES, statuses


class RelayCollector(Collector):
    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        position = GaugeMetricFamily("sfa_relay_position", "Last position the broker acknowledged",
                                     labels=["topic"])
        lag = GaugeMetricFamily("sfa_relay_lag_events", "Stored events not yet published",
                                labels=["topic"])
        up = GaugeMetricFamily("sfa_relay_up", "1 while the relay runs (fresh heartbeat) and "
                               "the broker acknowledges, else 0", labels=["topic"])
        beat = GaugeMetricFamily("sfa_relay_heartbeat_age_seconds",
                                 "Seconds since the relay's last heartbeat", labels=["topic"])
        outage = GaugeMetricFamily("sfa_relay_outage_seconds",
                                   "Seconds since the broker stopped acknowledging", labels=["topic"])
        status = GaugeMetricFamily("sfa_relay_status", "1 for the relay's current status",
                                   labels=["topic", "status"])
        services = getattr(self.app.state, "services", None)
        if services is not None:
            with services.db.reader() as conn:
                for found in statuses(services.db, conn):
                    topic = found.state.topic
                    position.add_metric([topic], found.state.position)
                    lag.add_metric([topic], found.lag_events)
                    up.add_metric([topic], 1 if found.up else 0)
                    if found.heartbeat_age_seconds is not None:
                        beat.add_metric([topic], found.heartbeat_age_seconds)
                    outage.add_metric([topic], found.outage_seconds)
                    for name in STATUSES:
                        status.add_metric([topic, name], 1 if found.status == name else 0)
        yield from (position, lag, up, beat, outage, status)
