"""How every ``sfa`` command gets its settings and refuses what it cannot use, in one line.

Which commands may create a store: ``sfa demo``, ``sfa serve --demo`` and ``sfa serve
--create``. Every other command reads an existing one, so a SQLite path that names no file
(a typo in ``SFA_DATABASE_URL``) is refused instead of silently becoming a new, empty store.
(A PostgreSQL database must exist anyway: the server refuses to connect to one that does not.)
"""

import sys

import typer
from pydantic import ValidationError as SettingsError

from infra.settings import Settings
from infra.sql.dialects import dialect_for


def fail(reason: str) -> None:
    print(f"sfa: {reason}".splitlines()[0], file=sys.stderr)
    raise typer.Exit(code=1)


def settings_or_fail(create: bool = False) -> Settings:
    """The settings from the environment; with ``create`` False, only for a store that exists."""
    try:
        settings = Settings()
    except SettingsError as error:
        fail(f"invalid configuration: {error.errors()[0]['msg']}")
        raise  # unreachable: fail() exits
    if not create:
        problem = missing_store(settings)
        if problem:
            fail(problem)
    return settings


def missing_store(settings: Settings) -> str | None:
    """Why the configured store cannot be opened as an existing one (None: it can)."""
    return dialect_for(settings).missing_store()
