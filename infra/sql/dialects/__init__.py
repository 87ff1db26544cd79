"""The SQL dialects (SQLite, PostgreSQL; memory for tests): the one place that decides by the
backend."""

from infra.settings import Settings
from infra.sql.dialects.base import SCHEMA_LOCK, Dialect, Waiter
from infra.sql.dialects.memory import MemoryDialect
from infra.sql.dialects.postgres import PostgresDialect
from infra.sql.dialects.sqlite import SQLiteDialect

__all__ = ["SCHEMA_LOCK", "Dialect", "MemoryDialect", "PostgresDialect", "SQLiteDialect", "Waiter",
           "dialect_for"]


def dialect_for(settings: Settings) -> Dialect:
    """The dialect of the database ``settings.database_url`` names."""
    if settings.backend == "memory":
        return MemoryDialect(settings)
    if settings.backend == "sqlite":
        return SQLiteDialect(settings)
    return PostgresDialect(settings)
