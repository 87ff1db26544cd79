"""The sealer: follows the log and appends each new event's chain row, in pages.

Sealing is a tracked step after the write (not part of the command's transaction), so a
command never waits for it; ``sfa serve`` and ``sfa project`` run it in their follow loop
and ``sfa audit seal`` on demand. Events after the sealed head are "not yet sealed": verify
reports them as such, never as tampering. Two sealers racing for the same page cannot both
write it (the chain's primary key); the loser's page is rolled back and it re-reads.
Every ``checkpoint_every`` events a checkpoint (position, hash) is recorded for publishing.
"""

import logging
from datetime import UTC, datetime
from typing import Any

from infra.audit.chain import EventRows, chain_head, event_hash
from infra.audit.index import index_page
from infra.audit.tables import CHAIN, CHECKPOINTS, LINKS, MOVES, ensure_tables
from infra.sql.database import Connection, Cursor, Database

log = logging.getLogger(__name__)
CHAIN_COLUMNS = (("position", "bigint"), ("previous", "bigint"), ("hash", "blob"))


class Sealer:
    share = "audit_seal"  # one projector node at a time seals (``infra.readside.leases``)

    def __init__(self, db: Database, page: int = 5_000, checkpoint_every: int = 10_000) -> None:
        self.db, self.page, self.checkpoint_every = db, page, checkpoint_every

    def seal(self, conn: Connection, max_pages: int | None = None) -> int:
        """Seals what is new (at most ``max_pages`` pages); returns the number of events sealed."""
        ensure_tables(self.db, conn)
        if not self._anything_new(conn):
            return 0  # the follow loops ask often: no write transaction for nothing
        sealed = pages = 0
        while max_pages is None or pages < max_pages:
            done = self._seal_page(conn)
            sealed, pages = sealed + done, pages + 1
            if done < self.page:
                break
        return sealed

    def try_seal(self, conn: Connection, max_pages: int | None = 1) -> int:
        """``seal`` for follow loops: a race with another sealer or a dropped connection is
        logged and retried next round, never raised into the loop."""
        try:
            return self.seal(conn, max_pages)
        except Exception as error:  # noqa: BLE001 — the next round re-reads the head
            log.warning("audit sealing deferred: %s", error)
            return 0

    # what a follow loop beside the read models calls (``infra.readside.read_models.Companion``)
    def catch_up(self, conn: Connection) -> int:
        return self.seal(conn)

    def step(self, conn: Connection) -> int:
        return self.try_seal(conn)

    def _anything_new(self, conn: Connection) -> bool:
        pos, table = self.db.position_column, self.db.events_table
        last = conn.execute(f"SELECT MAX({pos}) FROM {table}").fetchone()[0] or 0
        return bool(int(last) > chain_head(self.db, conn)[0])

    def _seal_page(self, conn: Connection) -> int:
        with self.db.transaction(conn) as cursor:
            head, previous = chain_head(self.db, cursor)
            statement, params = EventRows(self.db).select(head, self.page)
            rows = cursor.execute(statement, params).fetchall()
            if not rows:
                return 0
            chain, checkpoints = [], []
            for position, stream_hex, version, topic, state in rows:
                digest = event_hash(previous, position, stream_hex, version, topic, state)
                chain.append((position, head, digest))
                if position // self.checkpoint_every != head // self.checkpoint_every:
                    checkpoints.append((position, digest, datetime.now(UTC).isoformat()))
                head, previous = position, digest
            self._write(cursor, chain, checkpoints, rows)
            return len(rows)

    def _write(self, cursor: Cursor, chain: list[tuple[int, int, bytes]],
               checkpoints: list[tuple[int, bytes, str]], rows: list[Any]) -> None:
        sql = self.db.sql  # the chain rows: one statement for the page where the dialect can
        self.db.dialect.insert_many(cursor, CHAIN, CHAIN_COLUMNS, chain)
        if checkpoints:
            cursor.executemany(sql(f"INSERT INTO {CHECKPOINTS} (position, hash, created_at) "
                                   "VALUES (?, ?, ?)"), checkpoints)
        found = index_page(rows)
        if found.links:  # a link is never moved: the first event that made it wins
            cursor.executemany(sql(f"INSERT INTO {LINKS} (link_id, account_id, kind, linked_at) "
                                   "VALUES (?, ?, ?, ?) ON CONFLICT (link_id) DO NOTHING"),
                               found.links)
        if found.moves:
            cursor.executemany(sql(f"INSERT INTO {MOVES} (position, order_id) VALUES (?, ?) "
                                   "ON CONFLICT (position) DO NOTHING"),
                               found.moves)
