"""A rebuild asked for through the registry (the console's Rebuild button): recorded as a
``requested`` generation, asked again it is the same request, claimed by one builder only,
then built from the first event and swapped in while the old generation served."""

from infra.bootstrap import Sales
from infra.readside.read_models import ReadModels
from tests.api.query_world import build_world


def test_a_requested_rebuild_is_claimed_once_built_and_swapped_in(sales: Sales,
                                                                  read_models: ReadModels):
    build_world(sales)
    read_models.catch_up()
    serving = read_models.store.active(read_models.conn, "funnel")
    assert serving is not None

    asked = read_models.request_rebuild("funnel")
    again = read_models.request_rebuild("funnel")
    nothing_yet = read_models.store.active(read_models.conn, "funnel")
    swapped = read_models.build_requested()
    after = read_models.store.generations(read_models.conn, "funnel")

    assert (asked.status, asked.generation) == ("requested", serving.generation + 1)
    assert again.generation == asked.generation and again.status == "requested"
    assert nothing_yet == serving  # the old one serves meanwhile
    assert swapped == ["funnel"]
    assert [(g.generation, g.status, g.position) for g in after] == [
        (asked.generation, "active", serving.position)]
    assert read_models.build_requested() == []  # nothing left to claim


def test_a_request_is_claimed_by_one_builder_only(sales: Sales, read_models: ReadModels):
    build_world(sales)
    read_models.catch_up()
    asked = read_models.request_rebuild("inventory")

    first = read_models.store.claim(read_models.conn, "inventory", asked.generation)
    second = read_models.store.claim(read_models.conn, "inventory", asked.generation)

    assert (first, second) == (True, False)
    assert read_models.build_requested() == []  # being built by the first: not taken again
