"""Crash safety: a projector killed with SIGKILL at random points during catch-up, then
restarted, ends with tables identical to a clean rebuild's — on SQLite and PostgreSQL."""

import random

from infra.bootstrap import read_models as open_read_models
from infra.demo import load_demo
from infra.settings import Settings
from tests.integration.rebuilds import Starter, kill_and_compare

ROUNDS, KILLS_PER_ROUND = 2, 5  # 10 random kill points in all, per backend


def test_sigkill_during_catch_up_never_double_counts_or_loses_an_event(database_url, sales):
    load_demo(sales, seed=11, scale="small")
    models = open_read_models(Settings(database_url=database_url))
    rng = random.Random(2026)
    try:
        killed_mid_way = sum(kill_and_compare(models, rng, sales.store.max_position(),
                                              Starter(database_url), KILLS_PER_ROUND)
                             for _ in range(ROUNDS))
    finally:
        models.close()
    assert killed_mid_way == ROUNDS * KILLS_PER_ROUND
