"""Recomputes the hash chain from the events and names the first position that breaks it.

One paged query joins each event to its chain row (no per-event round trips). Walking the
events in global order with the recomputed hash of the previous one:
- an event whose chain row has another ``previous`` than the event before it: the event at
  that ``previous`` position was **removed** (or the one before was inserted: see below);
- an event with no chain row at or below the sealed head: it was **inserted**;
- a recomputed hash that differs from the chain row's: the event was **altered** — its bytes,
  stream, version or topic, or it was moved (two swapped events break at the first of them);
- chain rows past the last event: the events at the end were **removed**.
Events after the sealed head are counted as not yet sealed, which is not tampering.
Published checkpoints (``checkpoints``) also catch a chain table rewritten to match.
"""

import multiprocessing
import os
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

from infra.audit.chain import GENESIS, chain_at, chain_head, fetch, header_column
from infra.audit.collector import relaxed
from infra.audit.tables import CHAIN, ensure_tables
from infra.settings import Settings
from infra.sql.database import Connection, Database


@dataclass(frozen=True)
class Broken:
    position: int
    kind: str  # altered | removed | inserted | checkpoint
    detail: str


@dataclass
class Verdict:
    checked: int = 0
    head: int = 0  # the last sealed position
    unsealed: int = 0
    broken: Broken | None = None
    checkpoints: int = 0

    @property
    def intact(self) -> bool:
        return self.broken is None


@dataclass
class _Walk:
    previous_position: int
    previous_hash: bytes
    head: int
    checkpoints: dict[int, bytes] = field(default_factory=dict)


BEYOND = 2**62  # an upper bound past any position


class Verifier:
    """``workers`` processes share a long store out in position ranges: each link (an event's
    hash from the stored hash before it) can be checked on its own, and a chain whose every
    link holds is the chain recomputed from the first event."""

    def __init__(self, db: Database, page: int = 20_000, workers: int | None = None,
                 parallel_from: int = 200_000) -> None:
        self.db, self.page = db, page
        self.workers = workers or min(os.cpu_count() or 1, 4)
        self.parallel_from = parallel_from
        pos, table = db.position_column, db.events_table
        self._statement = db.sql(
            f"SELECT e.{pos}, {header_column(db, 'e.')}, e.state, "
            f"c.previous, c.hash FROM {table} e LEFT JOIN {CHAIN} c ON c.position = e.{pos} "
            f"WHERE e.{pos} > ? AND e.{pos} <= ? ORDER BY e.{pos} LIMIT ?")

    def verify(self, conn: Connection, start: int = 1,
               checkpoints: dict[int, bytes] | None = None) -> Verdict:
        """Checks every event from position ``start`` on (trusting the chain row before it)."""
        ensure_tables(self.db, conn)
        head, _ = chain_head(self.db, conn)
        before, before_hash = chain_at(self.db, conn, start) if start > 1 else (0, GENESIS)
        wanted = {p: h for p, h in (checkpoints or {}).items() if p >= start}
        last = min(self._last_event(conn), head)  # ranges over the sealed part; the rest is counted
        if self.workers > 1 and last - before >= self.parallel_from:
            verdict, walk = self._in_parallel(conn, _Walk(before, before_hash, head, wanted), last)
        else:
            walk, verdict = _Walk(before, before_hash, head, wanted), Verdict(head=head)
            verdict.broken = self.segment(walk, verdict, before, BEYOND)
        if verdict.broken is None:
            verdict.broken = self._tail(conn, walk) or self._missed_checkpoint(walk)
        return verdict

    def segment(self, walk: _Walk, verdict: Verdict, after: int, until: int) -> Broken | None:
        """Walks the events in (after, until] from ``walk``; the first break, if any."""
        with relaxed(), self._pages(after, until) as pages:
            for rows in pages:
                broken = self._page(rows, walk, verdict)
                if broken is not None:
                    return broken
        return None

    def _last_event(self, conn: Connection) -> int:
        pos, table = self.db.position_column, self.db.events_table
        return int(conn.execute(f"SELECT MAX({pos}) FROM {table}").fetchone()[0] or 0)

    def _base(self, conn: Connection, position: int) -> tuple[int, bytes]:
        """The last event at or before ``position`` and its stored chain hash (a segment's
        starting point; a missing hash breaks the segment before, which reports it)."""
        pos, table = self.db.position_column, self.db.events_table
        row = conn.execute(self.db.sql(
            f"SELECT e.{pos}, c.hash FROM {table} e LEFT JOIN {CHAIN} c ON c.position = e.{pos} "
            f"WHERE e.{pos} <= ? ORDER BY e.{pos} DESC LIMIT 1"), [position]).fetchone()
        if row is None:
            return 0, GENESIS
        return int(row[0]), bytes(row[1]) if row[1] is not None else b""

    def _in_parallel(self, conn: Connection, walk: _Walk, last: int) -> tuple[Verdict, _Walk]:
        n, first = self.workers, walk.previous_position
        bounds = [first + (last - first) * i // n for i in range(n)] + [BEYOND]
        jobs = []
        for i in range(n):
            base = (walk.previous_position, walk.previous_hash) if i == 0 else self._base(
                conn, bounds[i])
            jobs.append((self.db.settings.database_url, self.page, bounds[i], bounds[i + 1],
                         base, walk.head, {p: h for p, h in walk.checkpoints.items()
                                           if bounds[i] < p <= bounds[i + 1]}))
        with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork")) as pool:
            parts = list(pool.map(_verify_segment, jobs))
        broken_at = next((i for i, p in enumerate(parts) if p[0].broken is not None), n - 1)
        parts = parts[:broken_at + 1]  # what comes after the first break does not count
        verdict = Verdict(head=walk.head)
        verdict.checked = sum(p[0].checked for p in parts)
        verdict.unsealed = sum(p[0].unsealed for p in parts)
        verdict.broken = parts[-1][0].broken
        final = parts[-1][1]
        final.checkpoints = {k: v for _, w in parts for k, v in w.checkpoints.items()}
        return verdict, final

    @contextmanager
    def _pages(self, after: int, until: int) -> Iterator[Iterator[list[Any]]]:
        """Pages read ahead by a thread on a connection of its own, so the database reads
        the next page while this thread hashes the current one."""
        ready: queue.Queue[list[Any] | BaseException | None] = queue.Queue(maxsize=2)
        stop = threading.Event()

        def read() -> None:
            conn, position = self.db.connect(), after
            try:
                while not stop.is_set():
                    rows = fetch(self.db, conn, self._statement, [position, until, self.page])
                    if not rows:
                        break
                    ready.put(rows)
                    position = rows[-1][0]
            except BaseException as error:  # noqa: BLE001 — handed to the verifying thread
                ready.put(error)
            finally:
                conn.close()
                ready.put(None)

        def pages() -> Iterator[list[Any]]:
            while (item := ready.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item

        reader = threading.Thread(target=read, name="sfa-verify-reader", daemon=True)
        reader.start()
        try:
            yield pages()
        finally:
            stop.set()
            while reader.is_alive():  # unblock a reader waiting on a full queue
                try:
                    ready.get(timeout=0.05)
                except queue.Empty:
                    pass
            reader.join()

    def _page(self, rows: list[Any], walk: _Walk, verdict: Verdict) -> Broken | None:
        """The hot loop (a million events take seconds): the hash of ``chain.event_hash``
        written out over the header the database built, names bound locally."""
        previous_position, previous_hash, head = walk.previous_position, walk.previous_hash, walk.head
        checkpoints, join, checked = walk.checkpoints, b"".join, 0
        broken = None
        for position, header, state, previous, stored in rows:
            if position > head:
                verdict.unsealed += 1
                continue
            if stored is None:
                broken = Broken(position, "inserted", f"event at position {position} has no "
                                "chain record: it was inserted after sealing")
                break
            if previous != previous_position:
                walk.previous_position = previous_position
                broken = self._gap(position, int(previous), walk)
                break
            digest = sha256(join((previous_hash, header, state))).digest()
            if digest != stored:
                broken = Broken(position, "altered", f"event at position {position} does not "
                                "match its chain hash: altered or moved")
                break
            if checkpoints and position in checkpoints and checkpoints.pop(position) != digest:
                broken = Broken(position, "checkpoint", f"chain hash at position {position} "
                                "differs from the published checkpoint: the chain was rewritten")
                break
            previous_position, previous_hash = position, digest
            checked += 1
        walk.previous_position, walk.previous_hash = previous_position, previous_hash
        verdict.checked += checked
        return broken

    @staticmethod
    def _gap(position: int, previous: int, walk: _Walk) -> Broken:
        if previous > walk.previous_position:
            return Broken(previous, "removed", f"event at position {previous} is missing "
                          f"(the chain record of {position} follows it)")
        return Broken(walk.previous_position, "inserted", f"the chain record of position {position} follows "
                      f"{previous}, not {walk.previous_position}: position "
                      f"{walk.previous_position} was inserted")

    def _tail(self, conn: Connection, walk: _Walk) -> Broken | None:
        if walk.previous_position >= walk.head:
            return None
        row = conn.execute(self.db.sql(f"SELECT MIN(position) FROM {CHAIN} WHERE position > ?"),
                           [walk.previous_position]).fetchone()
        missing = int(row[0])
        return Broken(missing, "removed", f"event at position {missing} is missing "
                      f"(sealed up to {walk.head})")

    @staticmethod
    def _missed_checkpoint(walk: _Walk) -> Broken | None:
        for position in sorted(walk.checkpoints):
            if position <= walk.head:
                return Broken(position, "checkpoint", f"published checkpoint at position "
                              f"{position} names an event that is not in the store")
        return None


def _verify_segment(job: tuple[str, int, int, int, tuple[int, bytes], int, dict[int, bytes]]
                    ) -> tuple[Verdict, _Walk]:
    """One position range, in a worker process with connections of its own."""
    url, page, after, until, (base, base_hash), head, checkpoints = job
    db = Database(Settings(database_url=url))
    walk, verdict = _Walk(base, base_hash, head, checkpoints), Verdict(head=head)
    verdict.broken = Verifier(db, page, workers=1).segment(walk, verdict, after, until)
    return verdict, walk
