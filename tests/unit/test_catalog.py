"""The catalog finds every read model by itself: adding one touches no list."""

import pkgutil
from types import ModuleType

import projections
from projections.base import Projection
from projections.catalog import ALL, BY_NAME, _read_models_of
from projections.funnel import FunnelProjection

HELPERS = {"base", "catalog", "answers", "money", "paging"}  # modules of projections that are no model


def test_every_module_or_package_of_projections_but_the_helpers_is_one_read_model():
    modules = {m.name for m in pkgutil.iter_modules(projections.__path__)} - HELPERS
    assert sorted(type(p).__module__.split(".")[1] for p in ALL) == sorted(modules)
    assert len(ALL) == len(modules) == 12 and isinstance(BY_NAME["funnel"], FunnelProjection)


def test_a_module_counts_the_projections_it_defines_not_those_it_imports():
    module = ModuleType("projections.leads_to_call")

    class LeadsToCall(Projection):
        name = "leads_to_call"

    LeadsToCall.__module__ = module.__name__
    module.LeadsToCall, module.FunnelProjection, module.Projection = (
        LeadsToCall, FunnelProjection, Projection)
    assert [type(p) for p in _read_models_of(module)] == [LeadsToCall]
