"""Service-layer tests: the command side on the in-memory event store, no server."""

from collections.abc import Iterator

import pytest

from tests.service.world import Service


@pytest.fixture
def svc() -> Iterator[Service]:
    service = Service()
    yield service
    service.close()
