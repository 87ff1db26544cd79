"""The Funnel page: deals by stage (chart and table, per currency), stage conversion, win rate
and average cycle — for the company, a team or a rep, as far as the caller's role sees.

Its figures are the answers of ``GET /v1/funnel`` and ``GET /v1/funnel/conversion`` (their
route functions, called with the caller and the filters), its pickers list the reps
``GET /v1/reps`` shows the caller: the same numbers and the same scope as the API, by
construction.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from fastapi.responses import HTMLResponse
from markupsafe import Markup

from api.console import charts
from api.console.formatting import label
from api.console.lookups import teams_of, visible_reps
from api.console.views import LOCAL_MINUTE, Page, View, chosen_instant, console_router, optional
from api.inputs import Label, RecordId
from api.reading import Scope, scope_for
from api.routers.funnel import conversion, funnel
from domain.stages import OPEN_STAGES
from projections.funnel.answers import Conversion, Funnel, StageMoney, StageSummary
from projections.work_lists.answers import RepItem

PAGE = Page(title="Funnel", path="/funnel", template="funnel.html", reads=("funnel", "lists"))
router = console_router()
FunnelView = Annotated[View, PAGE.viewer()]
TONES = {"closed_won": "good", "closed_lost": "muted"}


@dataclass
class Pipeline:
    """The open stages' sums, per currency (never across currencies)."""

    deals: int = 0
    amount: dict[str, Decimal] = field(default_factory=dict)
    weighted: dict[str, Decimal] = field(default_factory=dict)

    def add(self, money: StageMoney) -> None:
        self.amount[money.currency] = self.amount.get(money.currency, Decimal(0)) + money.amount
        self.weighted[money.currency] = (self.weighted.get(money.currency, Decimal(0))
                                         + money.weighted_amount)


@dataclass(frozen=True)
class StageRow:
    stage: StageSummary
    money: dict[str, StageMoney]  # by currency


@dataclass(frozen=True)
class StageTable:
    currencies: list[str]
    rows: list[StageRow]
    pipeline: Pipeline

    @classmethod
    def of(cls, answer: Funnel) -> "StageTable":
        currencies = sorted({m.currency for s in answer.stages for m in s.by_currency})
        pipeline = Pipeline()
        for stage in answer.stages:
            if stage.stage in OPEN_STAGES:
                pipeline.deals += stage.count
                for money in stage.by_currency:
                    pipeline.add(money)
        rows = [StageRow(s, {m.currency: m for m in s.by_currency}) for s in answer.stages]
        return cls(currencies, rows, pipeline)

    @property
    def empty(self) -> bool:
        return all(row.stage.count == 0 for row in self.rows)


def stage_chart(answer: Funnel) -> Markup:
    bars = [charts.Bar(label(s.stage), s.count, f"{s.count:,}", TONES.get(s.stage, ""))
            for s in answer.stages]
    total = sum(s.count for s in answer.stages)
    return charts.horizontal("Deals by stage", bars, f"{total:,} deals in six stages")


def closed_chart(closing: Conversion) -> Markup:
    bars = [charts.Bar("Won", closing.won, f"{closing.won:,}", "good"),
            charts.Bar("Lost", closing.lost, f"{closing.lost:,}", "muted")]
    return charts.horizontal("Won and lost", bars, f"{closing.won:,} deals won, {closing.lost:,} lost")


def heading(shown: Scope, people: list[RepItem]) -> str:
    """Whose figures the page shows, by name."""
    if shown.rep_id is not None:
        rep = next((rep for rep in people if rep.id == shown.rep_id), None)
        return "A rep you do not see" if rep is None else f"{rep.name} · {label(rep.team)}"
    return label(shown.team) if shown.team else "Whole company"


@router.get(PAGE.path)
def funnel_page(view: FunnelView, rep_id: str = "", team: str = "",
                as_of: str = "") -> HTMLResponse:
    """The funnel now, or as it stood at ``as_of`` (``GET /v1/funnel?as_of=``); win rates
    and conversion are always now's."""
    caller, services = view.caller, view.services
    asked = Scope(optional(RecordId, rep_id, "rep_id"), optional(Label, team, "team"))
    instant = chosen_instant(as_of)
    people = visible_reps(caller, services)
    stages = funnel(caller, services, None, rep_id=asked.rep_id, team=asked.team,
                    as_of=instant)
    closing = conversion(caller, services, None, rep_id=asked.rep_id, team=asked.team)
    shown = scope_for(caller, services.sales.directory, asked.rep_id, asked.team)
    return view.render(table=StageTable.of(stages), closing=closing, chart=stage_chart(stages),
                       closed_chart=closed_chart(closing), asked=asked,
                       people=people, teams=teams_of(people), heading=heading(shown, people),
                       as_of=(instant or datetime.now(UTC)).strftime(LOCAL_MINUTE),
                       past=instant is not None)
