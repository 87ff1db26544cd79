"""Lead distribution rules: round robin within the territory, or least loaded."""

from collections.abc import Mapping, Sequence
from enum import StrEnum

from domain.errors import DomainError


class DistributionRule(StrEnum):
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"
    MANUAL = "manual"


def round_robin(candidates: Sequence[str], assigned_so_far: int) -> str:
    """The next rep in a stable order, after ``assigned_so_far`` earlier assignments."""
    if not candidates:
        raise DomainError("no active rep in the territory to assign to")
    ordered = sorted(candidates)
    return ordered[assigned_so_far % len(ordered)]


def least_loaded(open_leads_by_rep: Mapping[str, int]) -> str:
    """The rep with the fewest open leads; ties go to the smallest rep id (deterministic)."""
    if not open_leads_by_rep:
        raise DomainError("no active rep in the territory to assign to")
    return min(sorted(open_leads_by_rep), key=lambda rep: open_leads_by_rep[rep])
