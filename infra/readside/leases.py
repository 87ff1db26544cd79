"""Which projector node keeps which read model current: leases in the read database.

Any number of projector processes follow one store: ``sfa project --node NAME`` on as many
machines as wanted, and the projector of each ``sfa serve``. Each read model is a *share* that
one node at a time holds, under a lease in ``sfa_projector_leases``: its holder renews it every
``CLAIM_EVERY`` seconds, and it expires ``LEASE_SECONDS`` after the last renewal, by the
database's clock (the one clock every machine shares). Nodes announce themselves in
``sfa_projector_nodes`` with the same kind of expiry. The audit sealer that follows the log in
the same loop is a share too (``audit_seal``). Nothing else coordinates the nodes: these rows
and the database's row locks decide every race.

A node's round (``Leases.claim``), in one transaction: renew what it holds; take every share
whose lease expired (its holder died or stopped: taken over within ``LEASE_SECONDS`` +
``CLAIM_EVERY``); take free shares, heaviest first, while what it holds costs less than its
fair part (the shares' cost, ``Projection.cost``, divided by the live nodes); give back the
cheapest it holds as long as it keeps its fair part (a node joined). A node started
again under the same ``--node`` name takes back what that name held at once (two live nodes
must not share a name).

Fencing: every change of holder raises the share's ``epoch``. The transaction that stores a
batch of a share's rows and moves its position checks, last, that the share still has the holder
and epoch the batch was applied under (``check_fences``), and stores nothing otherwise
(``LeaseLostError``): a node that wakes from a pause after its share was taken never writes a
stale row, even before the new holder moved the position. The check locks the lease row until
the batch commits, so a takeover waits for a batch in flight instead of overlapping it; and a
node stopped in the middle of a transaction loses its session (and its locks) after
``IDLE_TRANSACTION_SECONDS`` (``Dialect.end_idle_transactions`` on the writer's connection).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from infra.sql.database import Connection, Cursor, Database

LEASES = "sfa_projector_leases"
CREATE_LEASES = f"""CREATE TABLE IF NOT EXISTS {LEASES} (
    share TEXT PRIMARY KEY, holder TEXT, epoch BIGINT NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL, taken_at DOUBLE PRECISION)"""  # database clock
NODES = "sfa_projector_nodes"
CREATE_NODES = f"""CREATE TABLE IF NOT EXISTS {NODES} (
    node TEXT PRIMARY KEY, expires_at DOUBLE PRECISION NOT NULL)"""
LEASE_SECONDS = 6.0  # a lease not renewed this long is taken over
CLAIM_EVERY = 1.0  # seconds between two rounds of a node
IDLE_TRANSACTION_SECONDS = 5.0  # a writer's transaction left idle this long is ended
NODES_KEPT_FOR = 3600.0  # seconds: rows of nodes gone longer are deleted


@dataclass(frozen=True)
class Fence:
    """What a batch of ``share`` was applied under: stored only if it still holds."""

    share: str
    holder: str
    epoch: int


@dataclass(frozen=True)
class Lease:
    share: str
    holder: str | None
    epoch: int
    expires_in: float  # seconds from now; negative once expired
    taken_at: float | None  # database clock, Unix seconds

    @property
    def live(self) -> bool:
        return self.holder is not None and self.expires_in > 0


class LeaseLostError(Exception):
    """The share changed holder after the batch was applied: nothing of it was stored."""


def check_fences(db: Database, cursor: Cursor, fences: Iterable[Fence]) -> None:
    """Inside a batch's transaction, last: raises ``LeaseLostError`` unless every fence still
    holds (one statement; it locks their lease rows until the transaction ends)."""
    wanted = sorted(set(fences), key=lambda f: f.share)
    if not wanted:
        return
    matches = " OR ".join(["(share = ? AND holder = ? AND epoch = ?)"] * len(wanted))
    cursor.execute(db.sql(f"UPDATE {LEASES} SET epoch = epoch WHERE {matches}"),
                   [v for f in wanted for v in (f.share, f.holder, f.epoch)])
    if cursor.rowcount != len(wanted):
        raise LeaseLostError("a read model of this batch changed holder: "
                             + ", ".join(f"{f.share} (epoch {f.epoch})" for f in wanted))


def ensure_tables(db: Database, conn: Connection) -> None:
    db.create_table_once(conn, LEASES, CREATE_LEASES)
    db.create_table_once(conn, NODES, CREATE_NODES)


def leases(db: Database, conn: Connection) -> list[Lease]:
    """Every share's lease as it stands (for status)."""
    if not db.table_exists(conn, LEASES):
        return []
    rows = conn.execute(f"SELECT share, holder, epoch, expires_at - {db.dialect.clock}, taken_at "
                        f"FROM {LEASES} ORDER BY share").fetchall()
    return [Lease(s, h, int(e), float(left), t) for s, h, e, left, t in rows]


class Leases:
    """One node's leases on ``shares``: the read models it can build (and the companions of
    its loop), each with its relative cost (``Projection.cost``)."""

    def __init__(self, db: Database, node: str, shares: Mapping[str, float]) -> None:
        self.db, self.node, self.costs = db, node, dict(shares)
        # heaviest first: free shares are taken in this order, so the heavy ones spread out
        self.shares = sorted(shares, key=lambda share: (-self.costs[share], share))
        self.held: dict[str, Fence] = {}
        self.given_back: set[str] = set()  # by the last round, to balance the nodes
        self.started = True  # the first round takes back what this node's name held

    def claim(self, conn: Connection) -> dict[str, Fence]:
        """One round (see the module's text); returns the shares held now, with fences."""
        ensure_tables(self.db, conn)
        with self.db.transaction(conn) as cursor:
            now = self._now(cursor)
            self._announce(cursor, now)
            found = self._leases(cursor, now)
            fair = sum(self.costs.values()) / max(self._live_nodes(cursor, now), 1)
            held = self._renew(cursor, found, now)
            held |= self._take(cursor, found, held, now, fair)
            given_back = self._give_back(cursor, held, fair)
        self.held = {share: fence for share, fence in held.items() if share not in given_back}
        self.given_back, self.started = given_back, False
        return dict(self.held)

    def release(self, conn: Connection) -> None:
        """Gives every share back and leaves (a node stopping cleanly): others take over
        at once instead of waiting for the leases to expire."""
        with self.db.transaction(conn) as cursor:
            for fence in self.held.values():
                self._free(cursor, fence)
            cursor.execute(self.db.sql(f"DELETE FROM {NODES} WHERE node = ?"), (self.node,))
        self.held = {}

    def _now(self, cursor: Cursor) -> float:
        cursor.execute(f"SELECT {self.db.dialect.clock}")
        return float(cursor.fetchone()[0])

    def _announce(self, cursor: Cursor, now: float) -> None:
        sql = self.db.sql
        cursor.execute(sql(f"DELETE FROM {NODES} WHERE node = ? OR expires_at < ?"),
                       (self.node, now - NODES_KEPT_FOR))
        cursor.execute(sql(f"INSERT INTO {NODES} (node, expires_at) VALUES (?, ?)"),
                       (self.node, now + LEASE_SECONDS))

    def _live_nodes(self, cursor: Cursor, now: float) -> int:
        cursor.execute(self.db.sql(f"SELECT COUNT(*) FROM {NODES} WHERE expires_at > ?"), (now,))
        return int(cursor.fetchone()[0])

    def _leases(self, cursor: Cursor, now: float) -> dict[str, Lease]:
        """The leases of our shares (made free where missing), as this transaction sees them."""
        cursor.execute(f"SELECT share, holder, epoch, expires_at, taken_at FROM {LEASES}")
        found = {s: Lease(s, h, int(e), float(x) - now, t) for s, h, e, x, t in cursor.fetchall()}
        for share in self.shares:
            if share not in found:
                cursor.execute(self.db.sql(
                    f"INSERT INTO {LEASES} (share, holder, epoch, expires_at) VALUES (?, NULL, 0, 0)"
                    " ON CONFLICT (share) DO NOTHING"), (share,))
                found[share] = Lease(share, None, 0, -now, None)
        return {s: found[s] for s in self.shares}

    def _renew(self, cursor: Cursor, found: dict[str, Lease], now: float) -> dict[str, Fence]:
        held = {}
        for share, fence in self.held.items():
            lease = found.get(share)
            if lease is None or (lease.holder, lease.epoch) != (fence.holder, fence.epoch):
                continue  # taken over meanwhile
            if self._update(cursor, fence, "expires_at = ?", (now + LEASE_SECONDS,)):
                held[share] = fence
        return held

    def _take(self, cursor: Cursor, found: dict[str, Lease], held: dict[str, Fence],
              now: float, fair: float) -> dict[str, Fence]:
        """Expired shares always (and this name's own after a restart); free ones while
        what this node holds costs less than ``fair``."""
        taken: dict[str, Fence] = {}
        for lease in found.values():
            if lease.share in held:
                continue
            restarted = self.started and lease.holder == self.node
            expired = lease.holder is not None and lease.expires_in <= 0 and not restarted
            free = lease.holder is None and self._cost(held, taken) < fair
            if not (restarted or expired or free):
                continue
            seen = Fence(lease.share, lease.holder or "", lease.epoch)
            mine = Fence(lease.share, self.node, lease.epoch + 1)
            # an expired lease is taken only if still expired: its holder may just renew it
            if self._update(cursor, seen, "holder = ?, epoch = ?, expires_at = ?, taken_at = ?",
                            (self.node, mine.epoch, now + LEASE_SECONDS, now),
                            free=lease.holder is None, expired_by=now if expired else None):
                taken[lease.share] = mine
        return taken

    def _give_back(self, cursor: Cursor, held: dict[str, Fence], fair: float) -> set[str]:
        """Frees the cheapest shares held as long as what is left still costs ``fair`` or
        more (a node that joined takes them)."""
        given: set[str] = set()
        for share in reversed(self.shares):  # the cheapest first
            if share in held and self._cost(held) - self._cost(given) - self.costs[share] >= fair:
                self._free(cursor, held[share])
                given.add(share)
        return given

    def _cost(self, *holdings: Iterable[str]) -> float:
        return sum(self.costs[share] for held in holdings for share in held)

    def _free(self, cursor: Cursor, fence: Fence) -> None:
        self._update(cursor, fence, "holder = NULL, epoch = ?, expires_at = 0",
                     (fence.epoch + 1,))

    def _update(self, cursor: Cursor, seen: Fence, assignments: str,
                values: tuple[object, ...], free: bool = False,
                expired_by: float | None = None) -> bool:
        """Changes the lease only if it is still as ``seen`` (its holder, or none, and its
        epoch; and expired by then, if ``expired_by`` is given); whether it did."""
        where, params = ["share = ?", "epoch = ?"], [seen.share, seen.epoch]
        where.append("holder IS NULL" if free else "holder = ?")
        params += [] if free else [seen.holder]
        if expired_by is not None:
            where.append("expires_at <= ?")
            params.append(expired_by)
        cursor.execute(self.db.sql(f"UPDATE {LEASES} SET {assignments} "
                                   f"WHERE {' AND '.join(where)}"), (*values, *params))
        return bool(cursor.rowcount == 1)
