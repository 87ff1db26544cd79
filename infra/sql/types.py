"""What we use of a DB-API connection and cursor, as protocols that ``sqlite3`` and
``psycopg`` both satisfy, so that mypy checks every statement's call instead of ``Any``.

Rows stay loosely typed (``Any``): their shape is the statement's, which no type can say.
What only one driver has (psycopg's ``COPY``, ``LISTEN``, binary results, transaction
blocks) is used inside that driver's dialect (``infra.sql.dialects``) alone.
"""

from collections.abc import Iterable
from typing import Any, Protocol


class Closable(Protocol):
    def close(self) -> None: ...


class Cursor(Protocol):
    """A DB-API cursor: statements, their rows and how many rows they changed."""

    @property
    def rowcount(self) -> int: ...

    @property
    def description(self) -> Any: ...  # column descriptions: the first item is the name

    def execute(self, statement: str, params: Any = ..., /) -> "Cursor": ...

    def executemany(self, statement: str, rows: Iterable[Any], /) -> object: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def close(self) -> None: ...


class Connection(Protocol):
    """A DB-API connection in autocommit mode (transactions come from the dialect)."""

    def execute(self, statement: str, params: Any = ..., /) -> Cursor: ...

    def cursor(self) -> Cursor: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def close(self) -> None: ...
