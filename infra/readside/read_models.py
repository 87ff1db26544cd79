"""Keeping read models current, building new generations, and reporting their state.

``ReadModels.follow`` is the live loop of ``sfa project`` / ``sfa serve`` (``infra.readside.follower``):
it keeps every active generation at the head of the log and, in a thread of its own, builds
the first generation of a new read model (or a new version of a changed one) and swaps it in
when it has caught up. ``rebuild`` builds a new generation of chosen models from the first event
while the current ones keep serving, then swaps.
"""

import ctypes
import gc
import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from infra.eventstore.event_reader import EventReader
from infra.readside.follower import Follower, Liveness, connection_alive, projector_liveness
from infra.readside.leases import Fence, Lease, leases
from infra.readside.projector import ProjectorGroup
from infra.readside.readstore import Generation, ReadStore
from infra.readside.row_cache import RowCache
from infra.readside.segments import share_of, shares
from infra.readside.warm_caches import WarmCaches
from infra.settings import Settings
from infra.sql.database import Connection, Database
from projections.base import Projection
from projections.catalog import ALL, BY_NAME

log = logging.getLogger(__name__)
# A busy follower pauses at least this many times its last round's CPU time (see
# ``ReadModels.pause_after``). Under bench/api.py's load a fixed 0.02 s gave the projector
# process and its statements about a quarter of the machine; with this, about a tenth and
# ~25 % more commands/s, the read models at most ~0.3 s behind. At 500 commands/s
# (bench/rebuild.py's live lag) a write then reaches the funnel in p50 20 ms, p99 40 ms
# (16 / 27 ms without). Factor 4 gave 1,610-1,628 commands/s and an unchanged live lag.
BUSY_PAUSE_PER_ROUND = 8.0
BUSY_PAUSE_MAX = 0.1  # seconds: what a write may wait for the read models under any load
# seconds: how long a node keeps its caught-up segments of a generation at the head, looking
# every SEGMENT_POLL whether all are there to swap it in, before its builder looks elsewhere
SEGMENT_WAIT, SEGMENT_POLL = 30.0, 0.05
Progress = Callable[[int, int], None]  # (position, head)


@dataclass(frozen=True)
class Piece:
    """What a projector group member applies: ``part`` (the model, or ``model/i``: one
    segment of a generation built in segments) under the lease ``share``; ``segment``:
    (index, count, position) of that segment."""

    part: str
    share: str
    segment: tuple[int, int, int] | None

    def start(self, generation: Generation) -> int:
        """The position it applies from: its segment's, else the generation's."""
        return generation.position if self.segment is None else self.segment[2]


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    generation: int
    version: int
    status: str
    position: int
    head: int
    lag_events: int
    lag_seconds: float
    events_per_second: float | None
    last_error: str | None
    serving: bool = False  # the generation queries read (registry status active)
    node: str | None = None  # the projector node whose live lease holds the model
    lease_epoch: int | None = None  # raised at every change of holder (a fence)


class Companion(Protocol):
    """Another follower of the log that runs in the read models' loop (the audit sealer):
    the read side calls it without knowing what it does."""

    share: str  # the lease under which one projector node at a time runs it

    def catch_up(self, conn: Connection) -> int:
        """Does everything that is new; returns how many events it took."""

    def step(self, conn: Connection) -> int:
        """A little of what is new, never raising into the loop; returns how many events."""


class ReadModels:
    def __init__(self, db: Database, projections: Sequence[Projection] = ALL,
                 batch_size: int | None = None,
                 companions: Sequence[Companion] = (), log: Database | None = None) -> None:
        """The read models live in ``db``; the events are read from ``log``, the event
        store's database (``SFA_DATABASE_URL``; by default the same as ``db``). Opens a
        connection of its own to each (``conn``, ``log_conn``): one ``ReadModels`` serves
        one thread at a time. Made by ``infra.bootstrap`` (with the audit sealer, a follower
        of the log, as companion)."""
        self.db, self.log = db, log or db
        self.store = ReadStore(self.db)
        self.projections = {p.name: p for p in projections}
        self.batch_size = batch_size or db.settings.projection_batch
        self.interval = db.settings.projection_interval
        self.conn = self.db.connect()
        self.log_conn = self.conn if self.log is self.db else self.log.connect()
        self.store.ensure_registry(self.conn)
        self.companions = tuple(companions)  # made by infra.bootstrap.read_models
        # A node sharing the models with others (``infra.readside.leases``): the leases it
        # holds. It follows and builds those models only, each batch fenced by its lease.
        # None: this handle does not share (``catch_up``, ``sfa projections rebuild``).
        self.fences: dict[str, Fence] | None = None
        # A node's builder: a built model's cache is handed to the node's live loop (and a
        # swap's catch-up goes on with it) instead of being thrown away (``warm_caches``).
        self.warm: WarmCaches | None = None
        self.segments = db.settings.projection_segments  # of a splittable model
        self.stopping: threading.Event | None = None  # a node's: ends a wait for segments

    def close(self) -> None:
        try:
            self.conn.close()
        finally:
            if self.log_conn is not self.conn:
                self.log_conn.close()

    # --- building -------------------------------------------------------------------------
    def _building(self, conn: Connection, projection: Projection,
                  fresh: bool) -> Generation | None:
        """The generation to build: an unfinished one of this version (and segment count),
        else a new one — made, for a model in segments shared among nodes, only by the
        holder of its first segment (None meanwhile: nothing to build yet)."""
        count = self.segment_count(projection.name)
        if not fresh:
            counts = self.store.segment_positions(conn)
            for g in reversed(self.store.generations(conn, projection.name)):
                if g.status == "building" and g.version == projection.version and len(
                        counts.get((g.name, g.generation), [0])) == count:
                    return g
        if count > 1 and not self.holds(share_of(projection.name, 0, count)):
            return None
        self.store.drop_retired(conn, projection, ("failed",))  # the new try replaces them
        return self.store.create_generation(conn, projection, segments=count)

    def rebuild(self, names: Sequence[str], progress: Progress | None = None,
                fresh: bool = False, workers: int = 1) -> dict[str, int]:
        """Builds new generations from the first event, then swaps each in; returns positions.

        An unfinished generation of the same version (a rebuild that was killed) is resumed
        from its position unless ``fresh``. With ``workers`` > 1 the models are shared out
        over that many processes (each reads the log for its own models), so a rebuild of
        all models uses every core; the swaps happen here once every part has caught up.
        """
        generations = {n: g for n in names
                       if (g := self._building(self.conn, self.projections[n], fresh))}
        return self._build_and_swap(generations, progress, workers)

    def _build_and_swap(self, generations: dict[str, Generation], progress: Progress | None,
                        workers: int = 1) -> dict[str, int]:
        names = list(generations)
        parts = partition(names, self.projections, workers)
        if len(parts) > 1 and all(n in BY_NAME for n in names):
            errors = self._build_in_processes(parts, generations, progress)
        else:
            errors = self._build_here(generations, progress)
        done = {}
        for name, generation in generations.items():
            if name in errors:
                continue
            pieces = self.pieces(generation, self.store.segment_positions(self.conn))
            mine = [piece for piece in pieces if self.holds(piece.share)]
            if len(mine) < len(pieces):  # other nodes' segments too: swapped in together
                if self._await_segments(generation, mine):
                    done[name] = self._position(name, generation.generation)
                continue
            if pieces[0].segment is not None:  # every segment is this handle's: caught up
                self.store.caught_up(self.conn, name, generation.generation,
                                     list(range(len(pieces))))
            if self._swap_in(name, generation.generation):
                done[name] = self._position(name, generation.generation)
            else:
                errors[name] = "could not catch up with the model serving now"
        if errors:
            raise RuntimeError("; ".join(f"{n}: {e}" for n, e in errors.items()))
        return done

    def request_rebuild(self, name: str) -> Generation:
        """Asks the projector process for a rebuild of ``name`` (a generation ``requested``
        in the registry), for a process that does not build itself: the API. A request not
        yet claimed is answered again rather than doubled.

        Why a request in the registry rather than a rebuild in the API process: the API may
        run in several worker processes while the projectors run in one process of their own
        (``sfa serve --workers N``) or in the API's (``sfa serve``, tests), or on another
        machine (``sfa project``). The registry is what all of them share, and the projector
        process is where building belongs: its builder thread already builds new models and
        new versions (``infra.readside.follower``), claims each request once
        (``ReadStore.claim``), and a worker serving requests never spends its CPU on a
        rebuild. Progress is the building generation's position, in the registry too, so any
        worker reports it. With no projector running, the request waits (its status says so).
        """
        projection = self.projections[name]
        for g in self.store.generations(self.conn, name):
            if g.status == "requested" and g.version == projection.version:
                return g
        return self.store.create_generation(self.conn, projection, status="requested",
                                            segments=self.segment_count(name))

    def build_requested(self) -> list[str]:
        """Claims and builds the requested rebuilds of this version (the projector's builder
        thread); returns the models swapped in. A model an event stops is reported in status."""
        claimed = {g.name: replace(g, status="building") for g in self.store.generations(self.conn)
                   if g.status == "requested" and g.name in self.mine(self.projections)
                   and g.version == self.projections[g.name].version
                   and self.store.claim(self.conn, g.name, g.generation)}
        if not claimed:
            return []
        try:
            return list(self._build_and_swap(claimed, None))
        except RuntimeError as error:
            log.error("requested rebuild stopped: %s", error)
            return []

    def _swap_in(self, name: str, number: int, attempts: int = 50) -> bool:
        """Swaps the new generation in once it is not behind the serving one, catching up
        the events that arrived meanwhile between attempts."""
        projection = self.projections[name]
        for _ in range(attempts):
            if self.store.activate(self.conn, projection, number):
                self._drop_retired(self.conn, projection)
                return True
            current = self._generation(name, number)
            if current is None or current.status != "building":
                return False  # replaced by another rebuild meanwhile
            if self._build_here({name: current}, None):
                return False
        return False

    def _await_segments(self, generation: Generation, mine: list[Piece]) -> bool:
        """This node's segments (``mine``) of ``generation`` have caught up with the head: marks them
        so and keeps them at the head until every segment has (their holders do the same)
        and the generation is swapped in — by this node if it finds the swap's condition
        true first (``ReadStore.activate``). Gives up after ``SEGMENT_WAIT`` seconds (the
        builder comes back to it); True once it is swapped in."""
        name, number = generation.name, generation.generation
        projection = self.projections[name]
        self.store.caught_up(self.conn, name, number,
                             [piece.segment[0] for piece in mine if piece.segment is not None])
        conn = self.db.connect()
        log_conn = conn if self.log is self.db else self.log.connect()
        group = ProjectorGroup(self.db, self.store, conn, self.batch_size, self.log, log_conn)
        try:
            for piece in mine:
                self.add_piece(group, generation, piece)
            deadline = time.monotonic() + SEGMENT_WAIT
            while group.running and time.monotonic() < deadline and not (
                    self.stopping is not None and self.stopping.is_set()):
                current = self._generation(name, number)  # swapped in by another holder?
                if current is None or current.status != "building":
                    return current is not None and current.status == "active"
                while group.step():
                    pass
                if self.store.activate(self.conn, projection, number):
                    self._drop_retired(self.conn, projection)
                    return True
                time.sleep(SEGMENT_POLL)
            return False
        finally:
            self._hand_over(group)
            conn.close()
            if log_conn is not conn:
                log_conn.close()

    def _hand_over(self, group: ProjectorGroup) -> None:
        """Closes a building group, its members' caches offered to the node's live loop."""
        try:
            group.flush()
            if self.warm is not None:
                for m in group.running:
                    self.warm.offer(m.part, m.generation, m.position, m.fence, m.cache)
        except Exception as error:  # noqa: BLE001 — not stored: the caches are not offered
            log.info("building group closed with %s", error)
        finally:
            group.close()

    def _generation(self, name: str, number: int) -> Generation | None:
        return next((g for g in self.store.generations(self.conn, name)
                     if g.generation == number), None)

    def _position(self, name: str, generation: int) -> int:
        found = self._generation(name, generation) or self.store.active(self.conn, name)
        return found.position if found else 0

    def _build_here(self, generations: dict[str, Generation],
                    progress: Progress | None) -> dict[str, str]:
        """Catches the given generations up to the head; returns errors by model."""
        conn = self.db.connect()
        log_conn = conn if self.log is self.db else self.log.connect()
        group = ProjectorGroup(self.db, self.store, conn, self.batch_size, self.log, log_conn)
        with relaxed_gc():
            try:
                return self._run_build(group, generations, progress)
            finally:
                conn.close()
                if log_conn is not conn:
                    log_conn.close()

    def _run_build(self, group: ProjectorGroup, generations: dict[str, Generation],
                   progress: Progress | None) -> dict[str, str]:
        try:
            positions = self.store.segment_positions(self.conn)
            for generation in generations.values():
                for piece in self.held_pieces(generation, positions):
                    self.add_piece(group, generation, piece)
            while group.running and group.step():
                if progress and group.running:  # (the last running one may just have stopped)
                    progress(min(m.position for m in group.running), group.head())
            group.flush()
            return {m.projection.name: m.error for m in group.members if m.error}
        finally:
            self._hand_over(group)

    def _build_in_processes(self, parts: list[list[str]], generations: dict[str, Generation],
                            progress: Progress | None) -> dict[str, str]:
        # fork: the worker starts at once, so a parent killed at any moment takes it along
        # (die_with_parent). Forked workers leave by os._exit and never touch our connection.
        context = multiprocessing.get_context("fork")
        databases = (self.db.settings.model_dump(), self.log.settings.model_dump())
        with ProcessPoolExecutor(len(parts), mp_context=context,
                                 initializer=die_with_parent) as pool:
            futures = [pool.submit(build_part, databases, self.batch_size,
                                   {n: generations[n].generation for n in part})
                       for part in parts]
            reader = EventReader(self.log)
            while not all(f.done() for f in futures):
                if progress:
                    building = [g.position for g in self.store.generations(self.conn)
                                if g.status == "building" and g.name in generations]
                    progress(min(building, default=0), reader.head(self.log_conn))
                time.sleep(0.2)
            errors: dict[str, str] = {}
            for future in futures:
                errors.update(future.result())
            return errors

    def _drop_retired(self, conn: Connection, projection: Projection) -> None:
        """Best effort: a reader still on a retired table may hold it; it is dropped next time."""
        try:
            self.store.drop_retired(conn, projection)
        except Exception as error:  # noqa: BLE001
            log.info("retired tables of %s kept for now: %s", projection.name, error)

    def needs_build(self) -> list[str]:
        """Read models with no active generation, or whose code is a newer version."""
        needed = []
        counts = self.store.segment_positions(self.conn)
        for name, projection in self.projections.items():
            active = self.store.active(self.conn, name)
            if active is None or active.version < projection.version or len(
                    counts.get((name, active.generation), [0])) != self.segment_count(name):
                needed.append(name)
        return needed

    def buildable(self) -> list[str]:
        """``needs_build`` less the models whose build of this version an event stopped:
        trying again would stop at the same event (a new version of the code may not)."""
        generations = self.store.generations(self.conn) if self.projections else []
        stopped = {g.name for g in generations
                   if g.status == "failed" and g.version == self.projections[g.name].version}
        in_segments = self.store.segment_positions(self.conn)
        joined = [g.name for g in generations if g.status == "building"
                  and (g.name, g.generation) in in_segments and g.name in self.projections
                  and g.version == self.projections[g.name].version]
        needed = self.needs_build()
        return [n for n in needed + [j for j in joined if j not in needed] if n not in stopped]

    def fence(self, share: str) -> Fence | None:
        return self.fences.get(share) if self.fences is not None else None

    def holds(self, share: str) -> bool:
        """Whether this handle keeps ``share``: all, or those its node holds."""
        return self.fences is None or share in self.fences

    def mine(self, names: Iterable[str]) -> list[str]:
        """Those of ``names`` (models, or other shares) of which this handle keeps a share."""
        return [n for n in names if any(self.holds(share) for share in self.shares_of(n))]

    # --- segments (``infra.readside.segments``) -------------------------------------------
    def segment_count(self, name: str) -> int:
        """The segments a new generation of model ``name`` is built in."""
        projection = self.projections.get(name)
        return self.segments if projection is not None and projection.splittable else 1

    def shares_of(self, name: str) -> list[str]:
        """The leases among nodes of a model (its segments), or of another share."""
        return shares(name, name in self.projections and self.projections[name].splittable,
                      self.segments)

    def shares(self) -> dict[str, float]:
        """Every read model's shares, each with its part of the model's cost."""
        found = {}
        for name, projection in self.projections.items():
            names = self.shares_of(name)
            found.update({share: projection.cost / len(names) for share in names})
        return found

    def pieces(self, generation: Generation,
               positions: dict[tuple[str, int], list[int]]) -> list[Piece]:
        """What applies a generation: itself, or each of its segments (with its position)."""
        count, name = self.segment_count(generation.name), generation.name
        found = positions.get((name, generation.generation))
        if not found:
            return [Piece(name, share_of(name, None, count), None)]
        return [Piece(f"{name}/{i}", share_of(name, i, count), (i, len(found), position))
                for i, position in enumerate(found)]

    def held_pieces(self, generation: Generation,
                    positions: dict[tuple[str, int], list[int]]) -> list[Piece]:
        """The ``pieces`` of a generation this handle keeps."""
        return [piece for piece in self.pieces(generation, positions) if self.holds(piece.share)]

    def add_piece(self, group: ProjectorGroup, generation: Generation, piece: Piece,
                   cache: RowCache | None = None) -> None:
        """Adds ``piece`` under its lease, with ``cache``, else the one handed over for it
        (a node's builder: ``warm``), else a new one."""
        fence = self.fence(piece.share)
        if cache is None and self.warm is not None:
            cache = self.warm.take(piece.part, generation.generation, piece.start(generation),
                                   fence)
        group.add(self.projections[generation.name], generation, fence, cache, piece.segment)

    # --- following ------------------------------------------------------------------------
    def follow(self, stop: threading.Event, idle_timeout: float = 0.1) -> Follower:
        """Keeps active models at the head until ``stop`` is set; builds what is missing;
        returns the finished follower (its counters are for tests).

        A round reads the registry, applies one batch and seals the audit chain: a dozen
        statements whatever the batch holds. So while events keep arriving (this round and
        the one before found some), the next round waits (``pause_after``) and takes what
        arrived meanwhile, instead of a round for every one or two events; a first event
        after a quiet spell is taken at once, and a full batch is followed at once."""
        follower = Follower(self, stop, idle_timeout)
        follower.run()
        return follower

    def reconnect_if_broken(self) -> None:
        """After a failed round: a connection the server dropped is replaced."""
        shared = self.log_conn is self.conn
        if not connection_alive(self.conn):
            self.conn = _reconnected(self.db, self.conn)
        if shared:
            self.log_conn = self.conn
        elif not connection_alive(self.log_conn):
            self.log_conn = _reconnected(self.log, self.log_conn)

    def pause_after(self, round_seconds: float, round_cpu_seconds: float) -> float:
        """How long a busy follower waits after a round that took ``round_seconds`` (of
        which the process spent ``round_cpu_seconds`` on the CPU): until ``interval`` has
        passed since the round started, and at least ``BUSY_PAUSE_PER_ROUND`` times the
        round's CPU time, but never more than ``BUSY_PAUSE_MAX`` (or ``interval``, if that is
        longer). A round's cost is mostly fixed, so under a heavy load (rounds that take much
        CPU) the projectors pause longer and take bigger batches, leaving the API more of the
        machine, while under a light one a write reaches the read models within about
        ``interval``; waiting on the database (a commit's flush) does not lengthen the pause.
        A full batch is never followed by a pause (``follow``), so the projectors keep up
        whatever the load."""
        return min(max(self.interval - round_seconds, BUSY_PAUSE_PER_ROUND * round_cpu_seconds),
                   max(self.interval, BUSY_PAUSE_MAX))

    def catch_up(self) -> dict[str, str]:
        """Builds what is missing, then brings every active model to the head (for tests and
        ``sfa project --once``). Returns the models stopped by an event they cannot apply."""
        errors: dict[str, str] = {}
        missing = self.needs_build()
        if missing:
            try:
                self.rebuild(missing)
            except RuntimeError as error:
                log.error("%s", error)
                errors.update({s.name: s.last_error or "" for s in self.status()
                               if s.name in missing and s.status == "failed"})
        for companion in self.companions:
            companion.catch_up(self.log_conn)
        group = self.live_group(self.active_generations())
        try:
            group.run_until_caught_up()
        finally:
            group.close()
        errors.update({m.projection.name: m.error for m in group.members if m.error})
        return errors

    def active_generations(self) -> list[Generation]:
        """The active generation of each of our models, from one read of the registry."""
        active = {g.name: g for g in self.store.generations(self.conn) if g.status == "active"}
        return [active[name] for name in self.projections if name in active]

    def live_group(self, active: Sequence[Generation]) -> ProjectorGroup:
        """A group keeping ``active`` at the head."""
        group = ProjectorGroup(self.db, self.store, self.conn, self.batch_size, self.log,
                               self.log_conn)
        positions = self.store.segment_positions(self.conn) if active else {}
        for generation in active:
            for piece in self.held_pieces(generation, positions):
                self.add_piece(group, generation, piece)
        return group

    # --- reporting ------------------------------------------------------------------------
    def status(self) -> list[ProjectionStatus]:
        reader = EventReader(self.log)
        head = reader.head(self.log_conn)
        held = {lease.share: lease for lease in self.leases() if lease.live}
        found = []
        for name, projection in self.projections.items():
            generations = self.store.generations(self.conn, name)
            if not generations:
                generations = [Generation(name, 0, projection.version, "not built", 0)]
            leased = [held[share] for share in self.shares_of(name) if share in held]
            nodes = sorted({lease.holder for lease in leased if lease.holder})
            found += [replace(self._status_of(g, head, reader),
                              node=", ".join(nodes) or None,
                              lease_epoch=max((lease.epoch for lease in leased), default=None))
                      for g in generations]
        return found

    def leases(self) -> list[Lease]:
        """Which node holds which model (``infra.readside.leases``)."""
        return leases(self.db, self.conn)

    def _status_of(self, g: Generation, head: int, reader: EventReader) -> ProjectionStatus:
        lag_events = reader.count_after(self.log_conn, g.position) if g.position < head else 0
        oldest = reader.first_after(self.log_conn, g.position) if lag_events else None
        lag_seconds = (datetime.now(UTC) - oldest.occurred_at).total_seconds() if oldest else 0.0
        failing = g.error_position is not None and g.error_position > g.position
        return ProjectionStatus(g.name, g.generation, g.version,
                                "failed" if failing else g.status, g.position, head,
                                lag_events, max(lag_seconds, 0.0), g.events_per_second,
                                g.last_error if failing else None, g.status == "active")

    def liveness(self) -> Liveness:
        """Whether a projector process went round lately (its heartbeat, see infra.readside.follower)."""
        return projector_liveness(self.store, self.conn)

    def position_of(self, name: str) -> int:
        active = self.store.active(self.conn, name)
        return active.position if active else 0


def _reconnected(db: Database, broken: Connection) -> Connection:
    with suppress(Exception):  # a broken connection may not close cleanly
        broken.close()
    return db.connect()


def partition(names: Sequence[str], projections: dict[str, Projection],
              workers: int) -> list[list[str]]:
    """Shares models out over ``workers`` parts, heaviest first onto the lightest part."""
    parts: list[list[str]] = [[] for _ in range(max(1, min(workers, len(names))))]
    loads = [0] * len(parts)
    for name in sorted(names, key=lambda n: -projections[n].cost):
        lightest = loads.index(min(loads))
        parts[lightest].append(name)
        loads[lightest] += projections[name].cost
    return parts


def build_part(databases: tuple[dict[str, Any], dict[str, Any]], batch_size: int,
               generations: dict[str, int]) -> dict[str, str]:
    """In a worker process: catch the given generations up; returns errors by model.
    ``databases``: the settings of the read models' database and of the event store's."""
    read, log = (Settings(**settings) for settings in databases)
    db = Database(read)  # a process of its own: database handles of its own
    models = ReadModels(db, [BY_NAME[n] for n in generations], batch_size,
                        log=db if log.database_url == read.database_url else Database(log))
    try:
        found = {g.name: g for g in models.store.generations(models.conn)
                 if g.generation == generations.get(g.name)}
        return models._build_here(found, None)
    finally:
        models.close()


def die_with_parent() -> None:
    """Linux: a worker is killed with its parent, so a killed rebuild leaves no orphans."""
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@contextmanager
def relaxed_gc() -> Iterator[None]:
    """A rebuild holds millions of row objects; the cyclic collector would walk them all
    again and again (about a quarter of the time at a million events). Our rows make no
    reference cycles, so collect rarely while building."""
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
