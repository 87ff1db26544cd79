"""Which read models each query reads, and whether they can answer.

A query reads only its own models: when an event stopped one of them (``sfa projections
status`` shows it ``failed``), that model's queries answer 503 ``read_model_failed`` naming
the event, while every other query goes on answering. ``min_position`` waits only for the
query's own models too. After an upgrade that changed a model, its queries answer 503
``read_model_upgrading`` until the new version, built beside the old one, is swapped in:
this code's queries cannot read the old version's tables.
"""

import threading
import time
from dataclasses import dataclass

from infra.readside.readstore import REGISTRY
from infra.sql.database import Database
from projections.catalog import BY_NAME

# route template -> the read models its answer comes from (a route not named here: all)
ROUTE_MODELS: dict[str, tuple[str, ...]] = {
    "/v1/funnel": ("funnel",),
    "/v1/funnel/conversion": ("funnel",),
    "/v1/opportunities/stuck": ("funnel",),
    "/v1/forecast": ("forecasts",),
    "/v1/performance": ("performance",),
    "/v1/handovers/{rep_id}": ("handover",),
    "/v1/inventory": ("inventory",),
    "/v1/inventory/{sku}": ("inventory",),
    "/v1/inventory/{sku}/movements": ("inventory",),
    "/v1/accounts/{account_id}/timeline": ("timeline",),
    "/v1/activities/follow-ups": ("activities",),
    "/v1/activities/channels": ("activities",),
    "/v1/reports/sales": ("reports",),
    "/v1/reports/churn": ("reports",),
}
FRESH_FOR = 1.0  # seconds a process trusts its last look at the registry for failures


@dataclass(frozen=True)
class ModelState:
    position: int
    failure: str | None  # the event that stopped the serving generation, if one did
    version: int = 0  # of the serving generation: older than the code's while it is rebuilt

    def outdated(self, name: str) -> bool:
        """The serving generation was built by an older version of the model: its tables
        are not what this code's queries read (a new version is being built beside it)."""
        return name in BY_NAME and self.version < BY_NAME[name].version


class ReadSide:
    """The serving generations' positions and failures, read from the registry."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._seen: tuple[float, dict[str, ModelState]] = (0.0, {})
        self._lock = threading.Lock()

    def states(self, fresh: bool = False) -> dict[str, ModelState]:
        with self._lock:
            at, states = self._seen
        if fresh or time.monotonic() - at > FRESH_FOR:
            states = self._read()
            with self._lock:
                self._seen = (time.monotonic(), states)
        return states

    def _read(self) -> dict[str, ModelState]:
        with self.db.reader() as conn:
            rows = conn.execute(f"SELECT name, position, error_position, last_error, version "
                                f"FROM {REGISTRY} WHERE status = 'active'").fetchall()
        return {name: ModelState(int(position), error if stopped and stopped > position else None,
                                 int(version))
                for name, position, stopped, error, version in rows}

    def position(self, names: tuple[str, ...], fresh: bool = True) -> int:
        """The lowest position among ``names`` (0 for a model not built yet)."""
        states = self.states(fresh)
        return min((states[n].position if n in states else 0) for n in names)

    def failures(self, names: tuple[str, ...], fresh: bool = False) -> dict[str, str]:
        states = self.states(fresh)
        return {n: states[n].failure or "" for n in names if n in states and states[n].failure}


    def outdated(self, names: tuple[str, ...], fresh: bool = False) -> list[str]:
        states = self.states(fresh)
        return [n for n in names if n in states and states[n].outdated(n)]


def models_of(route: str | None) -> tuple[str, ...]:
    return ROUTE_MODELS.get(route or "", tuple(BY_NAME))
