"""``/metrics`` (Prometheus text): requests and latencies, commands by type, projector state."""

import time
from collections.abc import Awaitable, Callable, Iterator

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from api.relay_metrics import RelayCollector
from infra.read_models import ReadModels


class ProjectorCollector(Collector):
    """Read at scrape time from the registry: position and lag of each read model."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        position = GaugeMetricFamily("sfa_projection_position", "Last applied position",
                                     labels=["name"])
        lag = GaugeMetricFamily("sfa_projection_lag_events", "Events not applied yet",
                                labels=["name"])
        services = getattr(self.app.state, "services", None)
        if services is not None:
            models = ReadModels(services.sales.settings)
            try:
                for status in models.status():
                    if status.status in ("active", "failed"):
                        position.add_metric([status.name], status.position)
                        lag.add_metric([status.name], status.lag_events)
            finally:
                models.close()
        yield position
        yield lag


def install(app: FastAPI) -> None:
    registry = CollectorRegistry()
    requests = Counter("sfa_http_requests_total", "HTTP requests", ["method", "route", "status"],
                       registry=registry)
    latency = Histogram("sfa_http_request_seconds", "HTTP request latency", ["method", "route"],
                        registry=registry)
    commands = Counter("sfa_commands_total", "Commands accepted, by route", ["route"],
                       registry=registry)
    registry.register(ProjectorCollector(app))
    registry.register(RelayCollector(app))

    @app.middleware("http")
    async def measure(request: Request,
                      call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        requests.labels(request.method, route, str(response.status_code)).inc()
        latency.labels(request.method, route).observe(time.perf_counter() - started)
        if request.method == "POST" and response.status_code < 300:
            commands.labels(route).inc()
        return response

    @app.get("/metrics", include_in_schema=True, tags=["operations"],
             response_class=Response, responses={200: {"content": {"text/plain": {}}}})
    def metrics() -> Response:
        """Prometheus text format."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
