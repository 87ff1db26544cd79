"""Every read model, by name, found by itself: each module or package of ``projections`` that
exports a ``Projection`` subclass (a package from its ``__init__``) is a read model, built
from the first event once it is added. Adding one touches no list here."""

import importlib
import pkgutil
from types import ModuleType

import projections
from projections.base import Projection


def _read_models_of(module: ModuleType) -> list[Projection]:
    """The projections a module of ``projections`` defines or, for a package, exports."""
    return [value() for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, Projection)
            and value is not Projection and value.__module__.startswith(module.__name__)]


def discover() -> tuple[Projection, ...]:
    """Every read model under ``projections``, in the order of their modules' names."""
    found: list[Projection] = []
    for module in pkgutil.iter_modules(projections.__path__):
        if module.name not in ("base", "catalog"):
            found += _read_models_of(importlib.import_module(f"{projections.__name__}.{module.name}"))
    return tuple(found)


ALL: tuple[Projection, ...] = discover()
BY_NAME: dict[str, Projection] = {p.name: p for p in ALL}
assert len(BY_NAME) == len(ALL), "two read models share a name"
