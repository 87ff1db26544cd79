"""Policies: the company's rules that are set, not decided per deal — here the hand-over credit
policy, in one stream.

When a deal is won after a hand-over, the departing rep is credited ``upper``, ``middle`` or
``lower`` (a fraction, by the deal's tier at the hand-over) of it, and the successor the rest.
A policy applies to deals won from ``effective_from`` on, until one effective later; a policy
recorded late with an earlier ``effective_from`` re-credits the deals won since then (the
statements as known before it keep the old credit: ``GET /v1/commissions`` with ``as_of``).
"""

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from domain.errors import ValidationError
from domain.events import Command, Event
from domain.values import require_date

STREAM = "Policies"
TIERS = ("upper", "middle", "lower")


@dataclass(frozen=True)
class PoliciesEvent(Event):
    stream_type = STREAM


@dataclass(frozen=True)
class HandOverCreditPolicySet(PoliciesEvent):
    upper: Decimal
    middle: Decimal
    lower: Decimal
    effective_from: date


@dataclass(frozen=True)
class Policies:
    handover_credit: tuple[HandOverCreditPolicySet, ...] = ()


@dataclass(frozen=True)
class SetHandOverCreditPolicy(Command):
    upper: Decimal
    middle: Decimal
    lower: Decimal
    effective_from: date


def _set_credit(c: SetHandOverCreditPolicy) -> list[Event]:
    for tier in TIERS:
        share = getattr(c, tier)
        if not Decimal(0) <= share <= Decimal(1):
            raise ValidationError(tier, "is the departing rep's share: from 0 to 1")
    require_date("effective_from", c.effective_from)
    return [HandOverCreditPolicySet(c.upper, c.middle, c.lower, c.effective_from)]


def decide(state: Policies | None, command: Command) -> list[Event]:
    if not isinstance(command, SetHandOverCreditPolicy):
        raise TypeError(f"not a policy command: {command!r}")
    return _set_credit(command)


def evolve(state: Policies | None, event: Event) -> Policies:
    policies = state or Policies()
    if isinstance(event, HandOverCreditPolicySet):
        return replace(policies, handover_credit=(*policies.handover_credit, event))
    return policies
