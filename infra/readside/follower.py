"""The live loop of ``sfa project`` / ``sfa serve``: it never halts silently.

``Follower.run`` keeps every active generation at the head of the log. Whatever a round
meets — the registry changing under it (generations created, swapped, retired, dropped by
a rebuild at any moment), a database that is not there yet or went away, tables not yet
created — the round is logged, the loop waits (with back-off) and starts afresh from the
registry. A thread of its own builds the models that have no active generation yet, again
with back-off until it succeeds, and then the rebuilds requested in the registry (the
console's Rebuild button: ``ReadModels.request_rebuild``). Every round beats a heartbeat
(``ReadStore.beat``), so a projector that died or hangs is told by its age in ``/healthz``,
``/metrics`` and status.

A follower is a *node*: it follows and builds only the models it holds a lease on, shared
with the other nodes following the same store (``infra.readside.leases``), and renews and
rebalances its leases every ``CLAIM_EVERY`` seconds. Its name is ``SFA_PROJECTOR_NODE``
(``sfa project --node``), else host:pid.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count
from typing import TYPE_CHECKING

from infra.readside.leases import CLAIM_EVERY, LeaseLostError, Leases
from infra.readside.projector import ProjectorGroup, one_line
from infra.readside.readstore import Generation, Heartbeat, ReadStore
from infra.readside.warm_caches import CacheWarmer, WarmCaches
from infra.sql.database import close_quietly
from infra.sql.dialects import Waiter
from infra.sql.types import Connection

if TYPE_CHECKING:
    from infra.readside.read_models import ReadModels

log = logging.getLogger(__name__)
HEARTBEAT_EVERY = 1.0  # seconds between two heartbeats of a live loop
HEARTBEAT_STALE_AFTER = 15.0  # seconds: a projector silent this long counts as dead
BUILD_BACKOFF = (0.5, 30.0)  # seconds: first and longest wait before a failed build is retried
ROUND_BACKOFF = (0.1, 10.0)  # seconds: the same for a failed round of the live loop
REQUEST_POLL = 0.5  # seconds between two looks for requested rebuilds (the console's)
_FOLLOWERS = count(1)  # in this process: a second one (tests) gets a name of its own


@dataclass(frozen=True)
class Liveness:
    """The most recent projector heartbeat, judged: ``alive`` if younger than the bound."""

    alive: bool
    state: str  # following | retrying (a round failed) | stale (silent too long) | never seen
    age_seconds: float | None = None
    node: str | None = None
    last_error: str | None = None
    pid: int | None = None  # of the process that beat


def projector_liveness(store: ReadStore, conn: Connection, now: float | None = None) -> Liveness:
    beats = store.heartbeats(conn)
    if not beats:
        return Liveness(False, "never seen")
    newest = beats[0]
    age = max((now or time.time()) - newest.beat_at, 0.0)
    alive = age <= HEARTBEAT_STALE_AFTER
    return Liveness(alive, newest.state if alive else "stale", round(age, 1), newest.node,
                    newest.last_error, newest.pid)


class Backoff:
    """Waits that double after each failure, up to a bound, and start over after a success."""

    def __init__(self, first: float, longest: float) -> None:
        self.first, self.longest, self.current = first, longest, first

    def next(self) -> float:
        wait, self.current = self.current, min(self.current * 2, self.longest)
        return wait

    def reset(self) -> None:
        self.current = self.first


class Follower:
    def __init__(self, models: ReadModels, stop: threading.Event, idle_timeout: float) -> None:
        self.models, self.stop, self.idle_timeout = models, stop, idle_timeout
        self.group: ProjectorGroup | None = None
        self.warm = WarmCaches()  # caches built or warmed away from this loop, see there
        self.waiter: Waiter | None = None
        self.busy = False
        self.node, self.started = node_name(models.db.settings.projector_node), time.time()
        costs = models.shares()
        self.leases = Leases(models.db, self.node,
                             costs | {companion.share: 1 for companion in models.companions})
        self.last_claim = 0.0
        self.last_beat = 0.0
        self.round_error: str | None = None
        self.build_error: str | None = None
        self.failed_rounds = 0  # for tests and logs: rounds that met an error

    def run(self) -> None:
        builder = threading.Thread(target=self._build_missing, name="read-model-builder",
                                   daemon=True)
        builder.start()
        warmer = CacheWarmer(self.models.db, self.models.projections, self.warm, self.stop)
        warming = threading.Thread(target=warmer.run, name="read-model-warmer", daemon=True)
        warming.start()
        backoff = Backoff(*ROUND_BACKOFF)
        try:
            while not self.stop.is_set():
                try:
                    self._round()
                    backoff.reset()
                    self.round_error = None
                except Exception as error:  # noqa: BLE001 — logged; the loop starts afresh
                    self._after_failed_round(error)
                    self.stop.wait(backoff.next())
                self._beat()
        finally:
            self._drop_group()
            if self.waiter is not None:
                self.waiter.close()
            builder.join()
            warming.join()
            self._release()

    def _round(self) -> None:
        """One batch for every active model (and a page of audit sealing); see
        ``ReadModels.follow`` for the pacing."""
        models = self.models
        started, cpu = time.monotonic(), time.process_time()
        self._claim_when_due()
        try:
            self._follow(models.active_generations())
            applied = self.group.step() if self.group is not None else 0
        except LeaseLostError as lost:  # nothing of the batch was stored
            log.info("node %s: %s; following the rest", self.node, lost)
            self._drop_group()
            self.last_claim = 0.0  # look at the leases again at once
            return
        found = applied + sum(c.step(models.log_conn) for c in models.companions
                              if models.mine([c.share]))
        if found == 0:
            self._wait_for_events()
        elif self.busy and applied < models.batch_size:
            self.stop.wait(models.pause_after(time.monotonic() - started,
                                              time.process_time() - cpu))
        self.busy = found > 0

    def _follow(self, active: list[Generation]) -> None:
        """Brings the group in line with the active generations (or their segments) this
        node holds: a member whose generation or lease changed leaves it (its cache with
        it); a new one joins it with a cache that knows its keys, once there is one
        (``warm_caches``) — until then it waits, and the other members go on."""
        models = self.models
        positions = models.store.segment_positions(models.conn)
        wanted = {piece.part: (generation, piece) for generation in active
                  for piece in models.held_pieces(generation, positions)}
        if self.group is None:
            self.group = models.live_group([])
        group = self.group
        following = {m.part: (m.generation, m.fence) for m in group.members}
        gone = {part for part, was in following.items() if part not in wanted or was != (
            wanted[part][0].generation, models.fence(wanted[part][1].share))}
        if gone:
            group.remove(gone)
        for part, (generation, piece) in wanted.items():
            if part in following and part not in gone:
                continue
            fence = models.fence(piece.share)
            cache = self.warm.take(part, generation.generation, piece.start(generation), fence)
            if cache is None:
                self.warm.ask(part, fence)
            else:
                models.add_piece(group, generation, piece, cache)

    def _claim_when_due(self) -> None:
        """Renews, takes and gives back leases (``Leases.claim``) every ``CLAIM_EVERY``."""
        now = time.monotonic()
        if now - self.last_claim < CLAIM_EVERY:
            return
        before = set(self.models.fences or ())
        self.models.fences = self.leases.claim(self.models.conn)
        self.last_claim = now
        held = set(self.models.fences)
        if held != before:
            log.info("node %s holds %s", self.node, ", ".join(sorted(held)) or "no read model")
        lost = before - held - self.leases.given_back
        if lost:
            log.warning("node %s lost %s: taken over by another node (its lease ran out)",
                        self.node, ", ".join(sorted(lost)))

    def _release(self) -> None:
        """A clean stop gives the leases back: other nodes take over at once."""
        try:
            self.leases.release(self.models.conn)
        except Exception as error:  # noqa: BLE001 — they expire anyway
            log.info("leases of node %s not given back: %s", self.node, one_line(str(error)))
        finally:
            self.models.fences = None  # the handle no longer shares

    def _wait_for_events(self) -> None:
        if self.waiter is None:
            self.waiter = self.models.log.dialect.waiter()  # new events
        self.waiter.wait(self.idle_timeout)

    def _after_failed_round(self, error: Exception) -> None:
        self.failed_rounds += 1
        self.round_error = one_line(f"{type(error).__name__}: {error}")
        log.warning("read-model round failed, starting afresh: %s", self.round_error,
                    exc_info=self.failed_rounds == 1)
        self._drop_group()
        if self.waiter is not None:
            self.waiter.close()
            self.waiter = None
        self.models.reconnect_if_broken()

    def _drop_group(self) -> None:
        group, self.group = self.group, None
        if group is not None:
            try:
                group.close()
            except Exception as error:  # noqa: BLE001 — its connection may be gone already
                log.info("read-model group closed with %s", one_line(str(error), 200))

    def _beat(self) -> None:
        now = time.time()
        if now - self.last_beat < HEARTBEAT_EVERY:
            return
        error = self.round_error or self.build_error
        state = "retrying" if self.round_error else "following"
        try:
            self.models.store.beat(self.models.conn, Heartbeat(
                self.node, os.getpid(), self.started, now, state, error))
            self.last_beat = now
        except Exception as failure:  # noqa: BLE001 — no database: the age tells
            log.debug("heartbeat not stored: %s", failure)

    def _build_missing(self) -> None:
        """Builds the models with no active generation (new ones, new versions), retrying
        with back-off until done; then, every ``REQUEST_POLL`` seconds, the rebuilds asked
        for in the registry (``ReadModels.request_rebuild``). A model an event stopped is
        left to ``status``."""
        from infra.readside.read_models import ReadModels

        backoff, builder = Backoff(*BUILD_BACKOFF), None
        while not self.stop.is_set():
            try:
                # A connection of its own: the follower thread uses ``models.conn``
                # meanwhile, and a connection shared by two threads interleaves their
                # transactions. It builds only: no companion.
                builder = builder or ReadModels(self.models.db,
                                                list(self.models.projections.values()),
                                                self.models.batch_size, log=self.models.log)
                builder.warm, builder.stopping = self.warm, self.stop
                if not self._build_once(builder):
                    self.stop.wait(REQUEST_POLL)
                backoff.reset()
            except Exception as error:  # noqa: BLE001 — retried: the schema may not exist yet
                self.build_error = one_line(f"building read models: {type(error).__name__}: "
                                            f"{error}")
                log.warning("%s (retrying)", self.build_error)
                close_quietly(builder)
                builder = None
                self.stop.wait(backoff.next())
        close_quietly(builder)

    def _build_once(self, builder: ReadModels) -> bool:
        """One try; False when nothing was built (nothing left, or a model in segments waits
        for the other nodes' segments)."""
        if self.models.fences is None:
            return False  # no lease claimed yet: nothing is ours to build
        builder.fences = self.models.fences
        missing = builder.mine(builder.buildable())
        built = False
        if missing:
            try:
                built = bool(builder.rebuild(missing))
            except RuntimeError as error:  # a model stopped by an event: reported in status
                log.error("building read models: %s", one_line(str(error)))
                built = True
        rebuilt = builder.build_requested()
        self.build_error = None
        return bool(built or rebuilt)


def follow_until_stopped(open_models: Callable[[], ReadModels], stop: threading.Event,
                         idle_timeout: float = 0.1) -> None:
    """The projector of a process (``sfa project``, ``sfa serve``): follows until ``stop``,
    starting again with back-off if even opening the read side fails (no database yet)."""
    backoff = Backoff(*ROUND_BACKOFF)
    while not stop.is_set():
        try:
            models = open_models()
        except Exception as error:  # noqa: BLE001 — retried: the database may come later
            log.warning("projectors cannot start yet: %s", one_line(str(error), 200))
            stop.wait(backoff.next())
            continue
        try:
            models.follow(stop, idle_timeout)
        except Exception:  # never silently gone: logged and started again
            log.exception("projectors stopped; starting again")
            stop.wait(backoff.next())
        finally:
            models.close()


def node_name(configured: str | None) -> str:
    """``configured`` (``SFA_PROJECTOR_NODE``), else host:pid (host:pid.N for the Nth
    follower of a process)."""
    number = next(_FOLLOWERS)
    name = configured or f"{socket.gethostname()}:{os.getpid()}"
    return name if number == 1 else f"{name}.{number}"


def connection_alive(conn: Connection) -> bool:
    try:
        conn.execute("SELECT 1").fetchone()
        return True
    except Exception:  # noqa: BLE001 — any failure means: connect again
        return False
