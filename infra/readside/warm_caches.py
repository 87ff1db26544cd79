"""Row caches that know a model's stored keys, made away from the live loop and handed to it.

A live model's row cache answers a miss without a query only if it knows which rows exist
(most misses are rows that do not exist yet: a new lead, a new deal). Learning that means
reading every key of the model's tables — 0.1–0.7 s per table of a 1,000,000-event store —
which, on the live loop's thread, would hold every model of the node back meanwhile. So the
live loop (``infra.readside.follower``) never reads keys:

- a model the node has just built joins it with the build's own cache, which knows every key
  it stored (``ReadModels`` offers it after the build's last batch, before the swap);
- a model it takes over from another node, or finds built when it starts, is warmed by a
  ``CacheWarmer`` on a thread and a connection of its own: the model's position, then every
  key of its tables, read while this node holds its lease (no one else writes it then). The
  model joins the live loop at that position; meanwhile it waits, the others go on.

A cache is taken only at the generation, position and lease epoch it was made at; any other
is dropped and the model warmed again.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from infra.readside.leases import Fence
from infra.readside.readstore import ReadStore
from infra.readside.row_cache import RowCache
from infra.sql.database import Database, close_quietly
from infra.sql.types import Connection
from projections.base import Projection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Handover:
    generation: int
    position: int
    epoch: int | None
    cache: RowCache


def _epoch(fence: Fence | None) -> int | None:
    return fence.epoch if fence is not None else None


class WarmCaches:
    """Caches offered by one thread (a build, the warmer) and taken by another (the live
    loop); the names asked to be warmed, each once until offered."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready: dict[str, Handover] = {}
        self._asked: set[str] = set()
        self._queue: queue.SimpleQueue[tuple[str, Fence | None]] = queue.SimpleQueue()

    def offer(self, name: str, generation: int, position: int, fence: Fence | None,
              cache: RowCache) -> None:
        with self._lock:
            self._ready[name] = Handover(generation, position, _epoch(fence), cache)
            self._asked.discard(name)

    def take(self, name: str, generation: int, position: int,
             fence: Fence | None) -> RowCache | None:
        """The cache offered for ``name`` if it was made at exactly this generation,
        position and lease epoch (once); None otherwise (a stale one is dropped)."""
        with self._lock:
            handed = self._ready.pop(name, None)
        if handed is None or (handed.generation, handed.position, handed.epoch) != (
                generation, position, _epoch(fence)):
            return None
        return handed.cache

    def ask(self, name: str, fence: Fence | None) -> None:
        """Asks the warmer for ``name`` (held under ``fence``) unless it is asked already
        or ready."""
        with self._lock:
            if name in self._asked or name in self._ready:
                return
            self._asked.add(name)
        self._queue.put((name, fence))

    def next_asked(self, timeout: float) -> tuple[str, Fence | None] | None:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def not_warmed(self, name: str) -> None:
        """The warmer gave up on ``name``: it may be asked again."""
        with self._lock:
            self._asked.discard(name)


class CacheWarmer:
    """Warms the caches asked for (``WarmCaches.ask``), one at a time, until ``stop``. A
    cache is asked for by the name of what it serves: a model, or ``model/i``, one segment
    of a generation built in segments (``infra.readside.segments``)."""

    def __init__(self, db: Database, projections: Mapping[str, Projection], caches: WarmCaches,
                 stop: threading.Event) -> None:
        self.db, self.projections, self.caches, self.stop = db, projections, caches, stop
        self.store = ReadStore(db)

    def run(self) -> None:
        conn: Connection | None = None
        while not self.stop.is_set():
            asked = self.caches.next_asked(timeout=0.2)
            if asked is None:
                continue
            name, fence = asked
            try:
                conn = conn or self.db.connect()
                self._warm(conn, name, fence)
            except Exception as error:  # noqa: BLE001 — asked again by the next round
                log.warning("cache of read model %s not warmed: %s", name, error)
                self.caches.not_warmed(name)
                close_quietly(conn)
                conn = None
        close_quietly(conn)

    def _warm(self, conn: Connection, name: str, fence: Fence | None) -> None:
        """Reads the position, then the keys: no one else writes the model meanwhile (this
        node holds its lease, and does not follow it yet)."""
        model, _, segment = name.partition("/")
        active = self.store.active(conn, model)
        segments = self.store.segment_positions(conn).get((model, active.generation)) \
            if active is not None else None
        if active is None or bool(segment) != bool(segments):
            self.caches.not_warmed(name)  # swapped meanwhile: the next round asks again
            return
        position = segments[int(segment)] if segments else active.position
        cache = RowCache(self.store, conn, self.projections[model].tables, active.generation,
                         False, self.db.settings.projection_cache_rows)
        cache.warm(conn)
        self.caches.offer(name, active.generation, position, fence, cache)
