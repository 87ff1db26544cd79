"""Given events / when command / then events: the shape of every domain unit test.

    state = given(lead, captured, assigned)
    assert when(lead, state, QualifyLead()) == [LeadQualified()]
    invalid(lead, state, DisqualifyLead(" "), "reason")
    broken_rule(lead, state, ScheduleFollowUp("fu-1", yesterday, today), "due")
"""

from functools import reduce
from types import ModuleType
from typing import Any, TypeVar

import pytest

from domain.errors import RuleViolationError, ValidationError
from domain.events import Command, Event

E = TypeVar("E", bound=Exception)


def given(module: ModuleType, *events: Event) -> Any:
    """The aggregate's state after folding ``events`` with ``module.evolve``, from nothing."""
    return reduce(module.evolve, events, None)


def when(module: ModuleType, state: Any, command: Command) -> list[Event]:
    """The events ``module.decide`` produces for ``command`` against ``state``."""
    return module.decide(state, command)


def rejected(module: ModuleType, state: Any, command: Command, error: type[E]) -> E:
    """Asserts ``decide`` raises exactly ``error`` (not merely a subclass) and returns it."""
    with pytest.raises(Exception) as caught:
        module.decide(state, command)
    assert type(caught.value) is error, f"raised {type(caught.value).__name__}: {caught.value}"
    return caught.value  # type: ignore[return-value]


def invalid(module: ModuleType, state: Any, command: Command, field: str) -> None:
    """Asserts ``decide`` refuses ``command`` with a ValidationError naming ``field``."""
    error = rejected(module, state, command, ValidationError)
    assert (error.code, error.field) == ("invalid_input", field)


def broken_rule(module: ModuleType, state: Any, command: Command, field: str) -> None:
    """Asserts ``decide`` refuses a well-formed ``command`` by a business rule (a conflict, not
    invalid input: no schema can state it) naming ``field``."""
    error = rejected(module, state, command, RuleViolationError)
    assert (error.code, error.field) == ("rule_violation", field)
