"""Hand-over policy for a departing rep, as sales teams practise it.

- lower tier (>= 75 %, still open): the manager takes over and introduces the successor in person;
- middle tier (50 %): the departing rep phones the customer, introduces the successor and fixes
  the next meeting;
- upper tier (< 50 %) and leads: the successor calls the customer, after the others are handed over.
Accounts follow their opportunities: an account takes the lowest tier of its open opportunities.
Each hand-over item moves pending -> introduced -> completed.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from domain.errors import InvalidTransitionError, ValidationError
from domain.stages import tier_of
from domain.values import Tier, require_date

UPPER_TIER_DELAY = timedelta(days=7)  # after the effective date, and after the first tiers are done
FIRST_TIERS = (Tier.LOWER, Tier.MIDDLE)  # handed over before the successor calls the upper tier


class HandOverStatus(StrEnum):
    PLANNED = "planned"  # in a departure plan not yet executed (no event: the plan lists it)
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


@dataclass(frozen=True)
class OpenItem:
    """An open lead, account or opportunity of the departing rep."""

    kind: str  # lead | account | opportunity
    item_id: str
    account_id: str | None = None  # an opportunity's
    probability: int = 0  # an opportunity's


@dataclass(frozen=True)
class PlannedItem:
    item: OpenItem
    successor_id: str
    plan: HandOverPlan


def plan_departure(items: Sequence[OpenItem], departure: Departure,
                   assignments: Mapping[str, str]) -> list[PlannedItem]:
    """Every open item's hand-over: opportunities (tier by probability), then accounts, then
    leads (upper tier). An item goes to the successor ``assignments`` names for it, else to
    ``departure.successor_id``. A deal not named goes with its account if the account is
    named (a split by account); an account not named follows its most advanced open
    opportunity, and takes that opportunity's tier and successor."""
    planned: list[PlannedItem] = []
    deals: dict[str, list[tuple[Tier, str]]] = {}  # account -> its deals' tiers and successors
    for item in (i for i in items if i.kind == "opportunity"):
        tier = tier_of(item.probability)
        chosen = assignments.get(item.item_id) or assignments.get(item.account_id or "",
                                                                  departure.successor_id)
        planned.append(_planned(item, tier, chosen, departure))
        deals.setdefault(item.account_id or "", []).append((tier, chosen))
    for item in (i for i in items if i.kind == "account"):
        its_deals = deals.get(item.item_id, [])
        tier = account_tier([t for t, _ in its_deals])
        follows = next((s for t, s in its_deals if t is tier), departure.successor_id)
        planned.append(_planned(item, tier, assignments.get(item.item_id, follows), departure))
    for item in (i for i in items if i.kind == "lead"):
        chosen = assignments.get(item.item_id, departure.successor_id)
        planned.append(_planned(item, Tier.UPPER, chosen, departure))
    return planned


def _planned(item: OpenItem, tier: Tier, successor_id: str, departure: Departure) -> PlannedItem:
    own = Departure(departure.departing_rep_id, successor_id, departure.manager_id,
                    departure.effective_date)
    return PlannedItem(item, successor_id, plan_handover(tier, own))


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


def advance(current: str | None, requested: str,
            next_meeting_at: datetime | None = None) -> HandOverStatus:
    """Validates a hand-over step and the next meeting agreed with the customer, which is
    recorded with the introduction (a middle-tier call ends with one)."""
    status = next_status(current, requested)
    if next_meeting_at is None:
        return status
    if status is not HandOverStatus.INTRODUCED:
        raise ValidationError("next_meeting_at", "is agreed when the successor is introduced "
                                                 "(status introduced)")
    if next_meeting_at.tzinfo is None:
        raise ValidationError("next_meeting_at", "needs a time zone")
    require_date("next_meeting_at", next_meeting_at)
    return status
