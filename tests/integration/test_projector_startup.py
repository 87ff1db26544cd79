"""A projector started before the store has its tables (a fresh PostgreSQL database under
``sfa serve --workers 2``, finding 11 of issue 16) keeps trying with back-off and builds
every model once the tables exist, instead of leaving them ``building`` for good."""

import threading
import time

from infra.bootstrap import bootstrap
from infra.bootstrap import read_models as open_read_models
from infra.readside.follower import follow_until_stopped
from infra.settings import Settings
from projections.catalog import BY_NAME
from tests.conftest import ctx


def _active(settings: Settings) -> dict[str, int]:
    models = open_read_models(settings)  # (its status() needs the events table: read the registry)
    try:
        return {g.name: g.position for g in models.active_generations()}
    finally:
        models.close()


def test_models_are_built_once_the_store_exists_though_the_projector_came_first(postgres_url):
    settings = Settings(database_url=postgres_url)
    stop = threading.Event()
    projector = threading.Thread(target=follow_until_stopped, args=(lambda: open_read_models(settings), stop))
    projector.start()
    try:
        time.sleep(2.0)  # the projector meets no events table: its first builds fail
        assert _active(settings) == {}
        sales = bootstrap(settings)  # the command side creates the tables
        hired = sales.reps.hire(ctx(), name="Mia", email="mia@example.com", role="manager",
                                team="north", region="north").position
        sales.close()
        deadline, active = time.monotonic() + 30, {}
        while time.monotonic() < deadline and not (
                set(active) == set(BY_NAME) and min(active.values()) >= hired):
            time.sleep(0.2)
            active = _active(settings)
        models = open_read_models(settings)
        liveness = models.liveness()
        models.close()
    finally:
        stop.set()
        projector.join(30)
    assert set(active) == set(BY_NAME) and min(active.values()) == hired
    assert liveness.alive and liveness.state == "following"
    assert not projector.is_alive()
