"""Waiting for new events without spinning: LISTEN/NOTIFY on PostgreSQL, short polls on SQLite."""

import time

from infra.sql.database import Database


class Waiter:
    """Sleeps until new events may exist: LISTEN/NOTIFY on PostgreSQL, short polls on SQLite."""

    def __init__(self, db: Database, channel: str = "sfa_events") -> None:
        self.db = db
        self.conn = db.connect() if db.backend == "postgresql" else None
        if self.conn is not None:
            self.conn.execute(f"LISTEN {channel}")

    def wait(self, timeout: float) -> None:
        if self.conn is None:
            time.sleep(min(timeout, 0.01))
            return
        for _ in self.conn.notifies(timeout=timeout, stop_after=1):
            break

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
