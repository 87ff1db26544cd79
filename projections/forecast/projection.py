"""Forecasts: the open pipeline by expected close, the won revenue by month, and quotas.

The forecast itself (weighting, the monthly series, the projection and its backtest) is
computed at query time by ``projections.forecast.queries``; these tables only keep the facts.

Tables
- ``forecasts_pipeline``: one row per opportunity ever opened — ``owner_id`` (current owner,
  after owner changes and hand-overs), ``account_id``, ``products`` (list of SKUs), ``amount``
  (current) and ``currency``, ``probability`` (percent, of the current stage),
  ``expected_close`` (current date), ``open`` (false once closed won or lost). Weighted
  pipeline = amount x probability / 100 over the rows with ``open`` true, per currency.
- ``forecasts_won``: one row per won opportunity — ``owner_id`` (owner when won; a closed
  deal changes hands no more), ``account_id``, ``products``, ``amount`` (as recorded by
  OpportunityWon) and ``currency``, ``won_at`` (when it was won, UTC): the source of the
  monthly revenue series.
- ``forecasts_reps``: rep -> current ``team`` and ``region`` (team filters use the current team).
- ``forecasts_accounts``: account -> ``region`` (a deal's region is its account's).
- ``forecasts_quotas``: one row per rep and quota period (``2026-03``, ``2026-Q1``, ``FY2026``)
  with the latest ``amount`` set for it.
"""

from typing import Any

from domain.account import AccountOpened
from domain.opportunity import (
    OpportunityAmountChanged,
    OpportunityCloseDateChanged,
    OpportunityHandedOver,
    OpportunityLost,
    OpportunityOpened,
    OpportunityOwnerChanged,
    OpportunityStageChanged,
    OpportunityWon,
)
from domain.rep import RepHired, RepMoved, RepQuotaSet
from domain.stages import Stage, is_open
from projections.base import Column, EventRecord, Projection, Rows, Table, on

PIPELINE = Table("forecasts_pipeline", (
    Column("opportunity_id"), Column("owner_id"), Column("account_id"), Column("products", "json"),
    Column("amount", "numeric"), Column("probability", "int"), Column("expected_close", "date"),
    Column("open", "bool"), Column("currency"),
), key=("opportunity_id",), indexes=(("owner_id",), ("expected_close",)))
WON = Table("forecasts_won", (
    Column("opportunity_id"), Column("owner_id"), Column("account_id"), Column("amount", "numeric"),
    Column("won_at", "timestamp"), Column("products", "json"), Column("currency"),
), key=("opportunity_id",), indexes=(("owner_id",), ("won_at",)))
REPS = Table("forecasts_reps", (Column("rep_id"), Column("team"), Column("region")),
             key=("rep_id",))
ACCOUNTS = Table("forecasts_accounts", (Column("account_id"), Column("region")),
                 key=("account_id",))
QUOTAS = Table("forecasts_quotas", (Column("rep_id"), Column("period"), Column("amount", "numeric")),
               key=("rep_id", "period"))


class ForecastProjection(Projection):
    name = "forecasts"
    version = 2  # 2: the deals' currency
    tables = (PIPELINE, WON, REPS, ACCOUNTS, QUOTAS)

    @on(RepHired, RepMoved)
    def _rep(self, e: EventRecord, rep: RepHired | RepMoved, rows: Rows) -> None:
        rows.put(REPS.name, {"rep_id": e.stream_id, "team": rep.team, "region": rep.region})

    @on(RepQuotaSet)
    def _quota_set(self, e: EventRecord, quota: RepQuotaSet, rows: Rows) -> None:
        rows.put(QUOTAS.name, {"rep_id": e.stream_id, "period": quota.period,
                               "amount": quota.amount})

    @on(AccountOpened)
    def _account_opened(self, e: EventRecord, account: AccountOpened, rows: Rows) -> None:
        rows.put(ACCOUNTS.name, {"account_id": e.stream_id, "region": account.region})

    @on(OpportunityOpened)
    def _opened(self, e: EventRecord, opened: OpportunityOpened, rows: Rows) -> None:
        rows.put(PIPELINE.name, {
            "opportunity_id": e.stream_id, "owner_id": opened.owner_id,
            "account_id": opened.account_id, "products": list(opened.products),
            "amount": opened.amount, "probability": opened.probability,
            "expected_close": opened.expected_close, "open": is_open(Stage(opened.stage)),
            "currency": opened.currency,
        })

    @on(OpportunityStageChanged)
    def _stage_changed(self, e: EventRecord, changed: OpportunityStageChanged,
                       rows: Rows) -> None:
        self._change(rows, e, probability=changed.probability,
                     open=is_open(Stage(changed.to_stage)))

    @on(OpportunityAmountChanged)
    def _amount_changed(self, e: EventRecord, changed: OpportunityAmountChanged,
                        rows: Rows) -> None:
        self._change(rows, e, amount=changed.amount)

    @on(OpportunityCloseDateChanged)
    def _close_date_changed(self, e: EventRecord, changed: OpportunityCloseDateChanged,
                            rows: Rows) -> None:
        self._change(rows, e, expected_close=changed.expected_close)

    @on(OpportunityOwnerChanged)
    def _owner_changed(self, e: EventRecord, changed: OpportunityOwnerChanged,
                       rows: Rows) -> None:
        self._change(rows, e, owner_id=changed.owner_id)

    @on(OpportunityHandedOver)
    def _handed_over(self, e: EventRecord, handed: OpportunityHandedOver, rows: Rows) -> None:
        self._change(rows, e, owner_id=handed.to_rep_id)

    @on(OpportunityLost)
    def _lost(self, e: EventRecord, _: OpportunityLost, rows: Rows) -> None:
        self._change(rows, e, open=False)

    @on(OpportunityWon)
    def _won(self, e: EventRecord, won: OpportunityWon, rows: Rows) -> None:
        deal = self._change(rows, e, open=False)
        rows.put(WON.name, {
            "opportunity_id": e.stream_id, "owner_id": deal["owner_id"],
            "account_id": deal["account_id"], "amount": won.amount,
            "won_at": e.occurred_at, "products": deal["products"], "currency": won.currency,
        })

    @staticmethod
    def _change(rows: Rows, e: EventRecord, **changes: Any) -> dict[str, Any]:
        deal = rows.get(PIPELINE.name, (e.stream_id,))
        if deal is None:
            raise LookupError(f"opportunity {e.stream_id} was never opened")
        deal.update(changes)
        rows.put(PIPELINE.name, deal)
        return deal
