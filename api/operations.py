"""The state of the machinery behind the API, for operators: each read model (its serving
generation and any rebuild under way), the projector process, the Kafka relay and the
audit chain's sealed head — and asking for a rebuild.

The figures are the ones ``/healthz``, ``/metrics``, ``sfa projections status``, ``sfa relay
status`` and ``sfa audit checkpoint`` show, read by the same functions
(``ReadModels.status``/``liveness``, ``relay_positions.statuses``, ``audit.chain.chain_head``)
through the app's one shared read-models handle (``Root.monitor``), within the health bound.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.deps import Services
from infra.audit.chain import chain_head
from infra.audit.tables import ensure_tables
from infra.eventstore.event_reader import EventReader
from infra.readside.follower import Liveness
from infra.readside.read_models import ProjectionStatus, ReadModels
from infra.readside.readstore import Generation
from infra.stream.relay_positions import statuses
from projections.catalog import BY_NAME


class Rebuild(BaseModel):
    """A newer generation than the serving one: asked for, being built, or stopped."""

    generation: int
    version: int
    status: Literal["requested", "building", "failed"]
    position: int
    head: int
    progress: float = Field(description="position / head, 0 to 1")
    last_error: str | None = None


class ReadModelState(BaseModel):
    name: str
    version: int = Field(description="The version this code builds")
    serving: ProjectionStatus | None = Field(
        description="The generation queries read, as `sfa projections status` shows it "
                    "(None: none yet)")
    rebuild: Rebuild | None = None

    @property
    def status(self) -> str:
        """active | failed (an event stopped it) | not built"""
        return self.serving.status if self.serving else "not built"


class ProjectorState(BaseModel):
    alive: bool
    state: str
    age_seconds: float | None
    node: str | None
    last_error: str | None


class RelayTopic(BaseModel):
    topic: str
    status: str
    up: bool
    position: int
    lag_events: int
    heartbeat_age_seconds: float | None
    last_error: str | None


class RelayState(BaseModel):
    configured: bool = Field(description="SFA_KAFKA_BOOTSTRAP is set for this server")
    topic: str
    topics: list[RelayTopic] = Field(description="What each relay that ran here reported")


class AuditHead(BaseModel):
    position: int = Field(description="The last sealed event (0: nothing sealed yet)")
    hash: str
    sealed_event_at: datetime | None = Field(description="When the last sealed event happened")
    unsealed_events: int


class Operations(BaseModel):
    head: int
    read_models: list[ReadModelState]
    projector: ProjectorState
    relay: RelayState
    audit: AuditHead


RELAY_ERROR_LENGTH = 300


def operations(services: Services) -> Operations:
    """Everything at once, from one look at the shared read models (``DatabaseUnavailableError``
    if the look cannot start within the health bound)."""
    settings = services.settings
    found = services.monitor.look(_look, wait=settings.health_timeout)
    models, liveness, relays, audit = found
    heads = [m.serving.head for m in models if m.serving]
    return Operations(head=max(heads, default=audit.position),
                      read_models=models, projector=ProjectorState(**liveness.__dict__),
                      relay=RelayState(configured=settings.kafka_bootstrap is not None,
                                       topic=settings.kafka_topic, topics=relays),
                      audit=audit)


Look = tuple[list[ReadModelState], Liveness, list[RelayTopic], AuditHead]


def _look(models: ReadModels) -> Look:
    return (read_model_states(models.status()), models.liveness(), _relays(models),
            _audit(models))


def read_model_states(found: list[ProjectionStatus]) -> list[ReadModelState]:
    """One line per model: its serving generation (else its newest), and the newest
    generation after it that is not retired, as the rebuild."""
    lines = []
    for name in BY_NAME:
        mine = [s for s in found if s.name == name and s.status != "retired"]
        serving = next((s for s in mine if s.serving), None)
        newer = [s for s in mine if serving is None or s.generation > serving.generation]
        shown = serving or (newer[-1] if newer else None)
        lines.append(_line(name, shown, newer[-1] if serving and newer else None))
    return lines


def _line(name: str, shown: ProjectionStatus | None, newer: ProjectionStatus | None
          ) -> ReadModelState:
    serving = shown if shown is not None and shown.serving else None
    return ReadModelState(name=name, version=BY_NAME[name].version, serving=serving,
                          rebuild=_rebuild(newer if serving else shown))


def _rebuild(s: ProjectionStatus | None) -> Rebuild | None:
    if s is None or s.status not in ("requested", "building", "failed"):
        return None
    progress = 1.0 if s.head == 0 else min(s.position / s.head, 1.0)
    return Rebuild(generation=s.generation, version=s.version, status=s.status,  # type: ignore[arg-type]
                   position=s.position, head=s.head, progress=progress, last_error=s.last_error)


def _relays(models: ReadModels) -> list[RelayTopic]:
    return [RelayTopic(topic=r.state.topic, status=r.status, up=r.up, position=r.state.position,
                       lag_events=r.lag_events, heartbeat_age_seconds=r.heartbeat_age_seconds,
                       last_error=(r.state.last_error or "")[:RELAY_ERROR_LENGTH] or None)
            for r in statuses(models.log, models.log_conn)]


def _audit(models: ReadModels) -> AuditHead:
    log, conn = models.log, models.log_conn  # the chain is the event store's
    ensure_tables(log, conn)
    position, digest = chain_head(log, conn)
    reader = EventReader(log)
    sealed = reader.by_positions(conn, [position]) if position else []
    head = reader.head(conn)
    return AuditHead(position=position, hash=digest.hex(),
                     sealed_event_at=sealed[0].occurred_at if sealed else None,
                     unsealed_events=reader.count_after(conn, position) if position < head
                     else 0)


def request_rebuild(services: Services, name: str) -> Generation:
    """Records the request in the registry for the projector process (see
    ``ReadModels.request_rebuild`` for why that way)."""
    generation: Generation = services.monitor.look(
        lambda models: models.request_rebuild(name), wait=services.settings.request_timeout)
    return generation
