"""The demo's machinery: a simulated clock, the story's shared state, and an agenda of lives
whose steps run earliest first."""

import heapq
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from domain.errors import DomainError
from infra.bootstrap import Sales
from infra.service.commands import CommandContext


@dataclass
class Clock:
    now: datetime

    def tick(self, rng: random.Random, max_minutes: int = 180) -> datetime:
        self.now += timedelta(minutes=rng.randint(1, max_minutes))
        return self.now


@dataclass
class Story:
    sales: Sales
    seed: int
    rng: random.Random
    clock: Clock
    teams: dict[str, list[str]] = field(default_factory=dict)
    managers: dict[str, str] = field(default_factory=dict)
    people: list[tuple[str, str, str, str]] = field(default_factory=list)
    opportunities: list[tuple[str, str]] = field(default_factory=list)  # (id, account id)
    won: list[tuple[str, str]] = field(default_factory=list)
    currencies: dict[str, str] = field(default_factory=dict)  # region -> its deals' currency
    campaigns: list[tuple[str, str, date, date]] = field(default_factory=list)  # id, channel, …

    def ctx(self, actor: str | None = None, key: str | None = None) -> CommandContext:
        return CommandContext(actor=actor or "demo", now=self.clock.tick(self.rng),
                              idempotency_key=f"demo-{self.seed}-{key}" if key else None)

    def attempt(self, step: Callable[[], object]) -> object | None:
        """Demo steps may hit real rules (for instance, stock ran out): that is part of the story."""
        try:
            return step()
        except DomainError:
            return None


Life = Iterator[timedelta]  # a life's steps; each yields the pause before its next step


@dataclass
class Agenda:
    """The lives being lived, each waiting for the time of its next step."""

    end: datetime
    waiting: list[tuple[datetime, int, Life]] = field(default_factory=list)
    added: int = 0

    def add(self, at: datetime, life: Life) -> None:
        heapq.heappush(self.waiting, (at, self.added, life))
        self.added += 1

    def run(self, clock: "Clock") -> None:
        """Runs the steps earliest first until every life is over or would go past ``end``."""
        while self.waiting:
            at, number, life = heapq.heappop(self.waiting)
            clock.now = max(clock.now, at)
            pause = next(life, None)
            if pause is not None and clock.now + pause < self.end:
                heapq.heappush(self.waiting, (clock.now + pause, number, life))


def days(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(days=rng.randint(low, high), minutes=rng.randint(0, 600))


def hours(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(hours=rng.randint(low, high), minutes=rng.randint(0, 59))
