"""Opportunity evaluation: budget, need/urgency, authority and competition, each 0..10.

Competition counts against the deal (10 = a strong incumbent). The weighted score gives
a priority and an estimated win probability that reps compare with the stage default.
"""

from dataclasses import dataclass

from domain.errors import ValidationError

WEIGHTS = {"budget": 0.3, "need": 0.3, "authority": 0.2, "competition": 0.2}


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
    weighted = sum(WEIGHTS[name] * value for name, value in favourable.items())  # 0..10
    win_probability = round(5 + weighted * 9)  # 5 %..95 %: never certain either way
    priority = "high" if weighted >= 7 else "medium" if weighted >= 4 else "low"
    return Evaluation(budget, need, authority, competition, priority, win_probability)
