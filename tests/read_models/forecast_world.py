"""A small scripted sales history for the forecast's method choice and quotas, shared by the
read-model tests and the HTTP tests (figures below are the ones the tests compute by hand).

Won, by month of 2026 (each deal won on the 10th, opened on the 1st):
- Ann (north, Mia's), EUR: Jan 2000, Feb 1000, Mar 3000, Apr 2000, May 1000, Jun 3000, and
  500 on Jul 3 — no trend, a level of 2000: the naive baseline backtests better.
- Bob (south), USD, only with ``usd=True``: Jan 100, Feb 200, ..., Jun 600 — a straight line:
  the trend backtests better (MAE 0).
Quotas (none for a year but Mia's): Ann 2026-Q1 5000, Q2 5000, Q3 6000, Q4 6000; Mia FY2026
4000; Bob 2026-01, 02, 03 1000 each and 2026-Q2 2000.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from infra.bootstrap import Sales
from infra.service.commands import CommandContext

ANN_EUR = (2000, 1000, 3000, 2000, 1000, 3000)
BOB_USD = (100, 200, 300, 400, 500, 600)
QUOTAS = {"ann": (("2026-Q1", 5000), ("2026-Q2", 5000), ("2026-Q3", 6000), ("2026-Q4", 6000)),
          "mia": (("FY2026", 4000),),
          "bob": (("2026-01", 1000), ("2026-02", 1000), ("2026-03", 1000), ("2026-Q2", 2000))}


@dataclass
class World:
    mia: str
    ann: str
    bob: str


def on(month: int, day: int) -> CommandContext:
    return CommandContext(actor="t", now=datetime(2026, month, day, 9, tzinfo=UTC))


def _hire(sales: Sales, name: str, role: str, team: str, manager_id: str | None = None) -> str:
    return str(sales.reps.hire(on(1, 1), name=name, email=f"{name.lower()}@example.com",
                               role=role, team=team, region=team,
                               manager_id=manager_id).stream_id)


def win(sales: Sales, owner: str, account: str, amount: int, month: int, day: int = 10,
        currency: str = "EUR") -> None:
    deal = str(sales.opportunities.open(
        on(month, 1), account_id=account, owner_id=owner, name=f"deal {amount}",
        amount=Decimal(amount), expected_close=date(2026, month, 28), currency=currency).stream_id)
    sales.opportunities.change_stage(on(month, day), deal, stage="closed_won")


def build(sales: Sales, usd: bool = False) -> World:
    mia = _hire(sales, "Mia", "manager", "north")
    w = World(mia, _hire(sales, "Ann", "rep", "north", mia), _hire(sales, "Bob", "rep", "south"))
    acme = str(sales.accounts.open(on(1, 1), name="Acme", region="north",
                                   owner_id=w.ann).stream_id)
    beta = str(sales.accounts.open(on(1, 1), name="Beta", region="south",
                                   owner_id=w.bob).stream_id)
    for month, amount in enumerate(ANN_EUR, start=1):
        win(sales, w.ann, acme, amount, month)
    win(sales, w.ann, acme, 500, 7, day=3)
    for month, amount in enumerate(BOB_USD if usd else (), start=1):
        win(sales, w.bob, beta, amount, month, currency="USD")
    for name, quotas in QUOTAS.items():
        for period, amount in quotas:
            sales.reps.set_quota(on(1, 1), getattr(w, name), period=period,
                                 amount=Decimal(amount))
    return w
