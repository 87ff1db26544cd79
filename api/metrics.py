"""``/metrics`` (Prometheus text): requests and latencies, commands by type, projector state.

With several API worker processes (``sfa serve --workers N``) each keeps its own counters, and
a scrape reaches one of them: ``sfa serve`` therefore gives every run a fresh
``PROMETHEUS_MULTIPROC_DIR``, where prometheus_client's multiprocess mode keeps each worker's
values in a file of its own, and a scrape answers the sum over all workers
(``MultiProcessCollector``), so counters only grow and count every worker's requests. The
projector and relay gauges are read from the database at scrape time, the same in every worker.
"""

import os
import time
from collections.abc import Iterator

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.relay_metrics import RelayCollector


class ProjectorCollector(Collector):
    """Read at scrape time from the registry: position, lag and failure of each read model,
    and whether a projector process beat its heartbeat lately (through the app's one shared
    read-models handle, ``Root.monitor``: a scrape opens no connection of its own)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        position = GaugeMetricFamily("sfa_projection_position", "Last applied position",
                                     labels=["name"])
        lag = GaugeMetricFamily("sfa_projection_lag_events", "Events not applied yet",
                                labels=["name"])
        failed = GaugeMetricFamily("sfa_projection_failed",
                                   "1 if an event stopped the serving read model", labels=["name"])
        up = GaugeMetricFamily("sfa_projector_up", "1 if a projector beat its heartbeat lately")
        age = GaugeMetricFamily("sfa_projector_heartbeat_age_seconds",
                                "Seconds since the last projector heartbeat (-1: never)")
        services = getattr(self.app.state, "services", None)
        if services is not None:
            statuses, liveness = services.monitor.look(
                lambda models: (models.status(), models.liveness()),
                wait=services.settings.request_timeout)
            for status in statuses:
                if status.serving:
                    position.add_metric([status.name], status.position)
                    lag.add_metric([status.name], status.lag_events)
                    failed.add_metric([status.name], int(status.status == "failed"))
            up.add_metric([], int(liveness.alive))
            age.add_metric([], -1 if liveness.age_seconds is None else liveness.age_seconds)
        yield from (position, lag, failed, up, age)


class MeasureRequests:
    """Counts and times every request by route template (a pure ASGI middleware: Starlette's
    ``BaseHTTPMiddleware`` costs a task and a stream copy per request)."""

    def __init__(self, app: ASGIApp, requests: Counter, latency: Histogram,
                 commands: Counter) -> None:
        self.app, self.requests, self.latency, self.commands = app, requests, latency, commands

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status, answered_by = time.perf_counter(), [500], ["unmatched"]

        async def noting_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                if any(name == b"idempotent-replayed" for name, _ in message.get("headers", ())):
                    answered_by[0] = "idempotency"  # a replay or a refusal, before routing
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            self._record(scope, status[0], time.perf_counter() - started, answered_by[0])

    def _record(self, scope: Scope, status: int, seconds: float, unrouted: str) -> None:
        route = getattr(scope.get("route"), "path", None) or _documentation(scope) or unrouted
        method = scope["method"]
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        if method == "POST" and status < 300 and scope.get("route") is not None:
            self.commands.labels(route).inc()  # a replayed answer is no new command


def _documentation(scope: Scope) -> str | None:
    """The path of the app's own documentation pages (``/docs``, ``/openapi.json``, …), which
    are no API routes, so that they are not counted as unmatched."""
    app, path = scope.get("app"), scope.get("path")
    pages = {getattr(app, name, None) for name in ("docs_url", "redoc_url", "openapi_url",
                                                   "swagger_ui_oauth2_redirect_url")}
    return path if path in pages - {None} else None


def install(app: FastAPI) -> None:
    registry = CollectorRegistry()
    shared = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    own = None if shared else registry  # shared: the values live in files, summed at scrape
    requests = Counter("sfa_http_requests_total", "HTTP requests", ["method", "route", "status"],
                       registry=own)
    latency = Histogram("sfa_http_request_seconds", "HTTP request latency", ["method", "route"],
                        registry=own)
    commands = Counter("sfa_commands_total", "Commands accepted, by route", ["route"],
                       registry=own)
    if shared:
        MultiProcessCollector(registry)
    registry.register(ProjectorCollector(app))
    registry.register(RelayCollector(app))

    app.add_middleware(MeasureRequests, requests=requests, latency=latency, commands=commands)

    @app.get("/metrics", include_in_schema=True, tags=["operations"],
             response_class=Response, responses={200: {"content": {"text/plain": {}}}})
    def metrics() -> Response:
        """Prometheus text format."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
