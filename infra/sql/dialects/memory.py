"""``memory://``: the event store in the process, for domain and service-layer tests.

The events are the ``eventsourcing`` library's POPO recorder's (``infra.eventstore.memory``),
the subject keys and the duplicate keys' secret live in the event store's own memory. There
is no SQL database: a read model, a token or a flow checkpoint needs SQLite or PostgreSQL,
and asking for a connection says so instead of opening a stray file.
"""

import sqlite3

from infra.sql.dialects.sqlite import SQLiteDialect

NO_SQL = ("memory:// keeps events in the process and has no SQL database "
          "(read models, tokens and flows need sqlite:/// or postgresql://)")


class MemoryDialect(SQLiteDialect):
    """SQLite's forms (nothing runs them) with the library's in-memory persistence."""

    name = "memory"
    persistent = False

    def connect(self) -> sqlite3.Connection:
        raise RuntimeError(NO_SQL)

    def eventsourcing_env(self) -> dict[str, str]:
        return {"PERSISTENCE_MODULE": "infra.eventstore.memory:MemoryFactory"}

    def missing_store(self) -> str | None:
        return None  # a new one, every time
