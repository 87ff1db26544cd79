"""The funnel and the forecast as of an instant, from the intervals model's totals: what the
funnel and forecasts models answered *then* is what the intervals answer *later* for that
instant; and, with changes recorded out of order (a clock behind), what every deal's intervals
add up to at the instant. On SQLite and PostgreSQL."""

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from infra.bootstrap import read_models as open_read_models
from infra.readside.readstore import SqlReader
from infra.service.commands import CommandContext
from infra.settings import Settings
from projections.deal_intervals.as_of import AsOf, Seen
from projections.deal_intervals.projection import DealIntervalsProjection
from projections.deal_intervals.queries import DealIntervalQueries
from projections.deal_intervals.totals import KINDS, shares_of
from projections.forecast.as_of import frames_as_of
from projections.forecast.projection import PIPELINE_MONTHS, QUOTAS, WON_MONTHS, ForecastProjection
from projections.forecast.queries import SUMS, ForecastQueries
from projections.forecast.queries import Filters as ForecastFilters
from projections.funnel.projection import FunnelProjection
from projections.funnel.queries import Filters, FunnelQueries, summary_as_of

D = Decimal


@pytest.fixture
def models(database_url, sales):
    m = open_read_models(Settings(database_url=database_url),
                         [DealIntervalsProjection(), FunnelProjection(), ForecastProjection()])
    yield m
    m.close()


def on(day: int, hour: int, minute: int = 0) -> CommandContext:
    return CommandContext(actor="t", now=datetime(2026, 10, 1, tzinfo=UTC)
                          + timedelta(days=day - 1, hours=hour, minutes=minute))


class World:
    """Two teams, three reps, two accounts in two regions, and a seeded random history."""

    def __init__(self, sales, seed: int) -> None:
        self.sales, self.rng = sales, random.Random(seed)
        reps = sales.reps
        self.ann, self.cy, self.bob = (str(reps.hire(
            on(1, 0), name=n, email=f"{n.lower()}@example.com", role="rep", team=t,
            region=t).stream_id) for n, t in (("Ann", "north"), ("Cy", "north"), ("Bob", "south")))
        self.accounts = [str(sales.accounts.open(on(1, 0), name=n, region=r, owner_id=self.ann)
                             .stream_id) for n, r in (("Acme", "north"), ("Beta", "south"))]
        self.open: list[str] = []

    def step(self, ctx: CommandContext) -> None:
        rng, deals = self.rng, self.sales.opportunities
        kind = rng.choice(["open", "open", "stage", "amount", "date", "owner", "close", "quota"])
        if kind == "quota":
            self.sales.reps.set_quota(ctx, rng.choice([self.ann, self.bob]), amount=D(
                rng.randrange(1, 9) * 1000), period=rng.choice(["2026-10", "2026-Q4"]))
        elif kind == "open" or not self.open:
            self.open.append(str(deals.open(
                ctx, account_id=rng.choice(self.accounts), owner_id=self._rep(), name="deal",
                amount=D(rng.randrange(100, 9000)), currency=rng.choice(["EUR", "EUR", "USD"]),
                expected_close=date(2026, rng.randrange(10, 13), 5),
                products=rng.sample(["A", "B"], rng.randrange(0, 3))).stream_id))
        else:
            self._change(kind, ctx, rng.choice(self.open))

    def _rep(self) -> str:
        return self.rng.choice([self.ann, self.cy, self.bob])

    def _change(self, kind: str, ctx: CommandContext, deal: str) -> None:
        rng, deals = self.rng, self.sales.opportunities
        if kind == "stage":
            deals.change_stage(ctx, deal, stage=rng.choice(["qualification", "proposal",
                                                            "negotiation"]))
        elif kind == "amount":
            deals.change_amount(ctx, deal, amount=D(rng.randrange(100, 99999)) / 100)
        elif kind == "date":
            deals.change_close_date(ctx, deal, expected_close=date(2027, rng.randrange(1, 4), 3))
        elif kind == "owner":
            deals.change_owner(ctx, deal, owner_id=self._rep())
        else:
            self.open.remove(deal)
            won = rng.random() < 0.5
            deals.change_stage(ctx, deal, stage="closed_won" if won else "closed_lost",
                               **({} if won else {"reason": "price"}))


def _read(models) -> SqlReader:
    models.catch_up()
    return SqlReader(models.db, models.conn)


def _answers_now(read, team: str | None) -> dict:
    """What the funnel and forecasts models answer now (the forecast's monthly totals, of
    every deal and of product A's)."""
    forecast = ForecastQueries(read)
    return {"funnel": FunnelQueries(read).summary(Filters(team=team)),
            **_forecast_totals(forecast, team, None), **_forecast_totals(forecast, team, "A"),
            "quotas": _rows(forecast._frame(QUOTAS))}


def _answers_as_of(read, instant: datetime, team: str | None) -> dict:
    at = AsOf(read, instant)
    seen = Seen(owners=None if team is None else at.team(team))
    frames = frames_as_of(at, seen, None)
    return {"funnel": summary_as_of(at, seen),
            **_forecast_totals(ForecastQueries(read, frames), team, None),
            **_forecast_totals(ForecastQueries(read, frames_as_of(at, seen, "A")), team, "A"),
            "quotas": _rows(frames[QUOTAS.name])}


def _forecast_totals(forecast: ForecastQueries, team: str | None, product: str | None) -> dict:
    """The monthly totals per currency the forecast reads (summed by the database now, by
    the intervals' totals as of an instant), of the team's deals (its members then)."""
    f = ForecastFilters(team=team, product=product)
    return {(t.name, product): _rows(forecast._by_month(t, f).select(
        "month", "currency", *SUMS[t.name])) for t in (PIPELINE_MONTHS, WON_MONTHS)}


def _rows(frame) -> list:
    return sorted((tuple(r.values()) for r in frame.to_dicts()), key=str)


def test_as_of_each_instant_equals_what_the_models_answered_then(sales, models):
    """A seeded random history on 12 days over four months (opens in two currencies with
    0-2 SKUs, stage, amount, date and owner changes, wins, losses, quotas, a rep moving
    team): after some steps the models' answers now are recorded with the instant; at the
    end the intervals answer each instant the same, company-wide and per team (the team as
    it was then)."""
    w = World(sales, seed=20)
    recorded = []
    for day in range(2, 112, 9):
        for n in range(12):
            w.step(on(day, 1 + n, minute=w.rng.randrange(60)))
            if n in (3, 11):
                read, instant = _read(models), on(day, 1 + n, 59).now
                recorded.append((instant, {team: _answers_now(read, team)
                                           for team in (None, "north", "south")}))
        if day == 47:
            sales.reps.move(on(day, 20), w.cy, team="south", region="south")
    read = _read(models)
    assert len(recorded) == 26 and len(w.open) > 5
    assert any(f["count"] for f in recorded[-1][1][None]["funnel"] if f["stage"] == "closed_won")
    for instant, answers in recorded:
        for team, then in answers.items():
            assert _answers_as_of(read, instant, team) == then, (instant, team)


EVERY_DEAL = Seen()


def _by_hand(read, instant: datetime, kind: str, seen: Seen = EVERY_DEAL) -> dict:
    """Every deal's facts at the instant, from its intervals, added up into the totals (of
    the deals ``seen`` keeps: owner then among its owners, owner now among the visible)."""
    intervals = DealIntervalQueries(read)
    found: dict = {}
    for head in read.rows("SELECT opportunity_id, products FROM intervals_deal_heads"):
        products = read.value("json", head["products"]) or []
        rows = intervals.intervals(head["opportunity_id"])
        owner_now = max(rows, key=lambda r: r["seq"])["owner_id"]
        if seen.visible_now is not None and owner_now not in seen.visible_now:
            continue
        for row in rows:
            if row["valid_from"] <= instant and (row["valid_to"] is None
                                                 or instant < row["valid_to"]) and seen.keeps(row):
                for share in shares_of(row, products):
                    if share.key[0] == kind:
                        total = found.setdefault(share.key, [0, D(0), D(0)])
                        total[0] += 1
                        total[1] += share.amount
                        total[2] += share.weighted
    return {k: v for k, v in found.items() if v[0]}


def test_changes_recorded_out_of_order_are_answered_at_their_own_instants(sales, models):
    """Deals changed with clocks behind the last change (by hours, days and months) still
    add up, at every instant, to what their intervals say: the copies of the months after
    each late change include it."""
    w = World(sales, seed=21)
    for day in range(2, 75, 8):
        for n in range(8):
            w.step(on(day, 2 + n * 2))
    for days_back in (0, 1, 9, 40):
        deal = str(sales.opportunities.open(
            on(74 - days_back, 1), account_id=w.accounts[0], owner_id=w.ann, name="late",
            amount=D(1000 + days_back), expected_close=date(2026, 11, 5)).stream_id)
        sales.opportunities.change_stage(on(74 - days_back, 3), deal, stage="closed_won")
    read = _read(models)
    instants = [on(day, hour).now for day in range(1, 80, 3) for hour in (0, 1, 2, 13)]
    for instant in instants:
        for kind in KINDS:
            assert AsOf(read, instant).totals(kind, Seen()) == _by_hand(read, instant, kind), (
                instant, kind)


def test_a_callers_view_as_of_keeps_the_deals_of_owners_then_whom_they_may_see_now(sales, models):
    """As of an instant, a manager's team totals hold the deals whose owner then was in the
    team then and whose owner now they may see: deals handed since out of their sight are
    taken out, deals handed since from a rep who has left the team to one still in it are
    kept (checked against every deal's intervals, at instants before and after Cy moves
    from north to south, for each team and a few views now)."""
    w = World(sales, seed=22)
    for day in range(2, 60, 4):
        for n in range(10):
            w.step(on(day, 1 + n))
        if day == 30:
            sales.reps.move(on(day, 20), w.cy, team="south", region="south")
    read = _read(models)
    views = ({w.ann}, {w.bob, w.cy}, {w.ann, w.bob})
    signs: list[int] = []
    for instant in (on(day, 12).now for day in (3, 15, 29, 31, 45, 59)):
        at = AsOf(read, instant)
        for team in ("north", "south"):
            for visible in views:
                seen = Seen(owners=at.team(team), visible_now=frozenset(visible))
                for kind in KINDS:
                    expected = _by_hand(read, instant, kind, seen)
                    assert at.totals(kind, seen) == expected, (instant, team, visible, kind)
                signs += [sign for _, sign in at._crossed(seen)]
    assert signs.count(1) > 5 and signs.count(-1) > 5  # deals handed across the views both ways
