"""Fixtures of the command-side contract tests."""

import pytest

from infra.bootstrap import bootstrap
from infra.settings import Settings


@pytest.fixture
def other(database_url, sales):
    """A second command side on the same database, with a cache of its own."""
    second = bootstrap(Settings(database_url=database_url, pool_size=2))
    yield second
    second.close()
