"""A transparent points model for leads: fit, interest and buying intent.

Every point awarded is listed as a ``ScoreFactor`` so that a rep (or an auditor) can
see why a lead scored what it did. The model is data, so it can be tuned per company.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class ScoreFactor:
    name: str
    points: int
    reason: str


@dataclass(frozen=True)
class LeadProfile:
    industry: str | None
    company_size: int | None
    region: str | None
    channel: str
    interests: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScoringModel:
    target_industries: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType(
            {"manufacturing": 15, "software": 15, "retail": 10, "healthcare": 10, "logistics": 8}
        )
    )
    size_bands: tuple[tuple[int, int], ...] = ((1000, 20), (200, 15), (50, 10), (10, 5))
    target_regions: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType({"north": 5, "south": 5, "east": 5, "west": 5})
    )
    channel_points: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType(
            {"referral": 15, "inbound_call": 12, "event": 10, "partner": 10, "web_form": 8,
             "social": 4, "purchased_list": 0}
        )
    )
    points_per_interest: int = 3
    max_interest_points: int = 15
    engagement_points: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType(
            {"site_visit": 1, "download": 3, "seminar": 8, "reply": 5, "demo_request": 15}
        )
    )
    max_engagement_points: int = 30


DEFAULT_MODEL = ScoringModel()


def _fit_factors(profile: LeadProfile, model: ScoringModel) -> list[ScoreFactor]:
    factors = []
    industry = (profile.industry or "").casefold()
    if industry in model.target_industries:
        factors.append(ScoreFactor("industry", model.target_industries[industry], industry))
    for minimum, points in model.size_bands:
        if (profile.company_size or 0) >= minimum:
            factors.append(ScoreFactor("company_size", points, f">= {minimum} employees"))
            break
    region = (profile.region or "").casefold()
    if region in model.target_regions:
        factors.append(ScoreFactor("region", model.target_regions[region], region))
    return factors


def _interest_factors(profile: LeadProfile, model: ScoringModel) -> list[ScoreFactor]:
    factors = [ScoreFactor("channel", model.channel_points.get(profile.channel, 0), profile.channel)]
    if profile.interests:
        points = min(len(profile.interests) * model.points_per_interest, model.max_interest_points)
        factors.append(ScoreFactor("interests", points, ", ".join(profile.interests)))
    return factors


def _intent_factors(engagement: Mapping[str, int], model: ScoringModel) -> list[ScoreFactor]:
    total = sum(model.engagement_points.get(kind, 0) * n for kind, n in sorted(engagement.items()))
    if not total:
        return []
    detail = ", ".join(f"{n}x {kind}" for kind, n in sorted(engagement.items()))
    return [ScoreFactor("intent", min(total, model.max_engagement_points), detail)]


def score_lead(
    profile: LeadProfile, engagement: Mapping[str, int], model: ScoringModel = DEFAULT_MODEL
) -> tuple[int, tuple[ScoreFactor, ...]]:
    """Score 0..100 and the factors that made it (only factors with points are listed)."""
    factors = _fit_factors(profile, model) + _interest_factors(profile, model)
    factors += _intent_factors(engagement, model)
    factors = [f for f in factors if f.points]
    return min(sum(f.points for f in factors), 100), tuple(factors)
