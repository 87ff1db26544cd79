"""Driver errors turned into ours, where they arise: nothing above infra catches a driver's
exception (the API maps ``infra.errors`` types to HTTP, ``api.errors``).

Only two kinds are translated: a bounded wait that ran out (``DatabaseUnavailableError``: a
retry later may succeed) and a read model's table that does not exist yet
(``ReadModelMissingError``). Every other error (a mistake in a statement, a broken
constraint) goes on as it is: it is a bug, or a conflict the caller handles itself.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from eventsourcing import persistence
from psycopg_pool import PoolTimeout

from infra.errors import DatabaseUnavailableError, ReadModelMissingError

TRANSLATED = (DatabaseUnavailableError, ReadModelMissingError)


def is_stalled(error: BaseException) -> bool:
    """Whether ``error`` is a bounded wait on the database that ran out (a statement or lock
    timeout, no pooled connection in time, a locked SQLite file, a server that does not
    answer), as opposed to a mistake in a statement: a retry later may succeed."""
    if isinstance(error, PoolTimeout | psycopg.errors.QueryCanceled
                  | psycopg.errors.LockNotAvailable):
        return True
    if isinstance(error, sqlite3.OperationalError):
        return "locked" in str(error) or "busy" in str(error)
    if isinstance(error, psycopg.OperationalError):
        return True  # cannot connect, connection lost, timeouts
    if isinstance(error, persistence.ConnectionUnavailableError):
        return True
    cause = error.__cause__ or error.__context__  # the library re-raises driver errors
    return (isinstance(error, persistence.PersistenceError) and cause is not None
            and is_stalled(cause))


def ours(error: Exception) -> Exception | None:
    """Our error for a driver's ``error`` (its cause), or None if it is not one we translate."""
    if isinstance(error, TRANSLATED):
        return None
    found: Exception | None = None
    if is_stalled(error):
        name = type(error).__name__
        found = DatabaseUnavailableError(
            f"the database did not answer in time ({name}); retry shortly", name)
    elif isinstance(error, psycopg.errors.UndefinedTable) or (
            isinstance(error, sqlite3.OperationalError) and "no such table" in str(error)):
        found = ReadModelMissingError(str(error))
    if found is not None:
        found.__cause__ = error
    return found


def translated(error: Exception) -> Exception:
    """``error`` as ours if it is one we translate, else itself."""
    return ours(error) or error


@contextmanager
def translating() -> Iterator[None]:
    """Runs the block; a driver error we translate leaves it as ours (the driver's as cause).
    Also a decorator of functions (not of coroutines)."""
    try:
        yield
    except Exception as error:
        found = ours(error)
        if found is None:
            raise
        raise found from error
