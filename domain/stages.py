"""Opportunity stages, their default win probabilities and the funnel tiers."""

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from domain.values import Tier


class Stage(StrEnum):
    PROSPECTING = "prospecting"
    QUALIFICATION = "qualification"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    CLOSED_WON = "closed_won"
    CLOSED_LOST = "closed_lost"


OPEN_STAGES = (Stage.PROSPECTING, Stage.QUALIFICATION, Stage.PROPOSAL, Stage.NEGOTIATION)
CLOSED_STAGES = (Stage.CLOSED_WON, Stage.CLOSED_LOST)

DEFAULT_PROBABILITIES: Mapping[Stage, int] = MappingProxyType(
    {
        Stage.PROSPECTING: 10,
        Stage.QUALIFICATION: 25,
        Stage.PROPOSAL: 50,
        Stage.NEGOTIATION: 75,
        Stage.CLOSED_WON: 100,
        Stage.CLOSED_LOST: 0,
    }
)


def probability_of(stage: Stage, table: Mapping[Stage, int] = DEFAULT_PROBABILITIES) -> int:
    """Win probability in percent for ``stage`` under a (configurable) table."""
    return table[stage]


def tier_of(probability: int) -> Tier:
    """Upper below 50 %, middle at exactly 50 %, lower from 75 % (and anything above 50)."""
    if probability < 50:
        return Tier.UPPER
    if probability == 50:
        return Tier.MIDDLE
    return Tier.LOWER


def is_open(stage: Stage) -> bool:
    return stage not in CLOSED_STAGES
