"""Which generation of each read model serves, how far it is, and whether it can answer.

The API's queries ask this before they read (``api.deps.wait_for``): a model stopped by an
event answers 503 ``read_model_failed``, one of an older version than this code's 503
``read_model_upgrading``, and ``min_position`` waits for the query's own models. One
``Serving`` per process (``infra.bootstrap.Root.serving``), shared by every request thread.
"""

import threading
import time
from dataclasses import dataclass

from infra.readside.readstore import ReadStore
from infra.sql.database import Database
from projections.catalog import BY_NAME

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


class Serving:
    """The serving generations' positions and failures, read from the registry (on a
    pooled connection, so any thread may ask), remembered for ``FRESH_FOR`` seconds."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.store = ReadStore(db)
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
            active = self.store.serving(conn)
        return {g.name: ModelState(g.position, g.last_error if g.error_position
                                   and g.error_position > g.position else None, g.version)
                for g in active}

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
