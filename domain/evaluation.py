"""Opportunity evaluation: budget, need/urgency, authority and competition, each 0..10.

Competition counts against the deal (10 = a strong incumbent). The weighted score gives
a priority and an estimated win probability that reps compare with the stage default.
"""

from dataclasses import dataclass

from domain.errors import ValidationError

WEIGHTS = {"budget": 3, "need": 3, "authority": 2, "competition": 2}  # tenths; sum 10


@dataclass(frozen=True)
class Evaluation:
    budget: int
    need: int
    authority: int
    competition: int
    priority: str
    win_probability: int


def evaluate(budget: int, need: int, authority: int, competition: int) -> Evaluation:
    scores = {"budget": budget, "need": need, "authority": authority, "competition": competition}
    for name, value in scores.items():
        if not 0 <= value <= 10:
            raise ValidationError(name, "must be between 0 and 10")
    favourable = dict(scores, competition=10 - competition)
    # Integer arithmetic in tenths: thresholds hold exactly (no 3.999... from floats).
    tenths = sum(WEIGHTS[name] * value for name, value in favourable.items())  # 0..100
    win_probability = 5 + (tenths * 9 + 5) // 10  # 5 %..95 %, halves rounded up
    priority = "high" if tenths >= 70 else "medium" if tenths >= 40 else "low"
    return Evaluation(budget, need, authority, competition, priority, win_probability)
