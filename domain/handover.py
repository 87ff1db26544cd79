"""Hand-over policy for a departing rep, as sales teams practise it.

- lower tier (>= 75 %, still open): the manager takes over and introduces the successor in person;
- middle tier (50 %): the departing rep phones the customer, introduces the successor and fixes
  the next meeting;
- upper tier (< 50 %) and leads: the successor calls the customer, after the others are handed over.
Accounts follow their opportunities: an account takes the lowest tier of its open opportunities.
Each hand-over item moves pending -> introduced -> completed.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from domain.errors import InvalidTransitionError
from domain.values import Tier

UPPER_TIER_DELAY = timedelta(days=7)


class HandOverStatus(StrEnum):
    PENDING = "pending"
    INTRODUCED = "introduced"
    COMPLETED = "completed"


_NEXT_STATUS = {
    HandOverStatus.PENDING: HandOverStatus.INTRODUCED,
    HandOverStatus.INTRODUCED: HandOverStatus.COMPLETED,
}

WORK_ORDER = (Tier.LOWER, Tier.MIDDLE, Tier.UPPER)  # how a hand-over is worked and listed

ACTIONS = {
    Tier.LOWER: "manager_introduces_successor_in_person",
    Tier.MIDDLE: "departing_rep_calls_and_fixes_next_meeting",
    Tier.UPPER: "successor_calls_customer",
}


@dataclass(frozen=True)
class HandOverPlan:
    tier: Tier
    action: str
    actor_id: str
    due: date


@dataclass(frozen=True)
class Departure:
    departing_rep_id: str
    successor_id: str
    manager_id: str | None
    effective_date: date


def plan_handover(tier: Tier, departure: Departure) -> HandOverPlan:
    """Who must act, what they must do, and by when, for one item of the given tier."""
    actor = {
        Tier.LOWER: departure.manager_id or departure.successor_id,
        Tier.MIDDLE: departure.departing_rep_id,
        Tier.UPPER: departure.successor_id,
    }[tier]
    due = departure.effective_date
    if tier is Tier.UPPER:
        due = departure.effective_date + UPPER_TIER_DELAY
    return HandOverPlan(tier, ACTIONS[tier], actor, due)


def account_tier(open_opportunity_tiers: list[Tier]) -> Tier:
    """An account follows its most advanced open opportunity; with none it is upper tier."""
    for tier in (Tier.LOWER, Tier.MIDDLE):
        if tier in open_opportunity_tiers:
            return tier
    return Tier.UPPER


def following(current: str) -> HandOverStatus | None:
    """The step after ``current``; None once completed."""
    return _NEXT_STATUS.get(HandOverStatus(current))


def next_status(current: str | None, requested: str) -> HandOverStatus:
    """Validates a hand-over step; raises if it skips or repeats one."""
    if current is None:
        raise InvalidTransitionError("no hand-over is in progress")
    expected = _NEXT_STATUS.get(HandOverStatus(current))
    if expected is None or expected != requested:
        raise InvalidTransitionError(f"hand-over is {current}; cannot become {requested}")
    return expected
