"""Forecasts: the open pipeline by expected close, the won revenue by month, and quotas.

The forecast itself (weighting, the monthly series, the projection and its backtest) is
computed at query time by ``projections.forecast.queries`` from the monthly totals kept here
(a few rows per rep, product and month, so a query does not read every deal); the per-deal
tables keep each deal as it stands, the share to move when it changes.

Tables
- ``forecasts_pipeline``: one row per opportunity ever opened — ``owner_id`` (current owner,
  after owner changes and hand-overs), ``account_id`` and its ``region`` ("" when the account
  is unknown; an account's region never changes), ``products`` (list of SKUs), ``amount``
  (current) and ``currency``, ``probability`` (percent, of the current stage),
  ``expected_close`` (current date), ``open`` (false once closed won or lost). Weighted
  pipeline = amount x probability / 100 over the rows with ``open`` true, per currency.
- ``forecasts_won``: one row per won opportunity — ``owner_id`` (owner when won; a closed
  deal changes hands no more), ``account_id``, ``region``, ``products``, ``amount`` (as recorded by
  OpportunityWon) and ``currency``, ``won_at`` (when it was won, UTC): the source of the
  monthly revenue series.
- ``forecasts_pipeline_months``: the open deals of ``forecasts_pipeline`` totalled per
  owner, region, ``product``, month of expected close (its first day) and currency:
  ``deals``, ``amount`` and ``weighted_x100`` (sum of amount x probability). ``product`` ""
  totals every deal; a SKU totals the deals that hold it (a deal counts once there and once
  under each of its SKUs). Every change of a deal moves its share from the totals it was in
  to those it is in now; a total of no deal is deleted.
- ``forecasts_won_months``: ``forecasts_won`` totalled the same way per month of the win
  (UTC): ``deals`` and ``won``.
- ``forecasts_reps``: rep -> current ``team`` and ``region`` (team filters use the current team).
- ``forecasts_accounts``: account -> ``region`` (read when a deal opens: its region is its
  account's).
- ``forecasts_quotas``: one row per rep and quota period (``2026-03``, ``2026-Q1``, ``FY2026``)
  with the latest ``amount`` set for it.
"""

from datetime import UTC, date
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
    Column("opportunity_id"), Column("owner_id"), Column("account_id"), Column("region"),
    Column("products", "json"),
    Column("amount", "numeric"), Column("probability", "int"), Column("expected_close", "date"),
    Column("open", "bool"), Column("currency"),
), key=("opportunity_id",), indexes=(("owner_id",), ("expected_close",)))
WON = Table("forecasts_won", (
    Column("opportunity_id"), Column("owner_id"), Column("account_id"), Column("region"),
    Column("amount", "numeric"), Column("won_at", "timestamp"), Column("products", "json"),
    Column("currency"),
), key=("opportunity_id",), indexes=(("owner_id",), ("won_at",)))
MONTH_KEY = ("owner_id", "region", "product", "month", "currency")
MONTH_COLUMNS = (Column("owner_id"), Column("region"), Column("product"), Column("month", "date"),
                 Column("currency"), Column("deals", "int"))
PIPELINE_MONTHS = Table("forecasts_pipeline_months", (
    *MONTH_COLUMNS, Column("amount", "numeric"), Column("weighted_x100", "numeric"),
), key=MONTH_KEY)
WON_MONTHS = Table("forecasts_won_months", (*MONTH_COLUMNS, Column("won", "numeric")),
                   key=MONTH_KEY)
REPS = Table("forecasts_reps", (Column("rep_id"), Column("team"), Column("region")),
             key=("rep_id",))
ACCOUNTS = Table("forecasts_accounts", (Column("account_id"), Column("region")),
                 key=("account_id",))
QUOTAS = Table("forecasts_quotas", (Column("rep_id"), Column("period"), Column("amount", "numeric")),
               key=("rep_id", "period"))


class ForecastProjection(Projection):
    name = "forecasts"
    version = 3  # 2: the deals' currency; 3: monthly totals
    tables = (PIPELINE, WON, PIPELINE_MONTHS, WON_MONTHS, REPS, ACCOUNTS, QUOTAS)

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
        account = rows.get(ACCOUNTS.name, (opened.account_id,))
        deal = {
            "opportunity_id": e.stream_id, "owner_id": opened.owner_id,
            "account_id": opened.account_id, "region": account["region"] if account else "",
            "products": list(opened.products),
            "amount": opened.amount, "probability": opened.probability,
            "expected_close": opened.expected_close, "open": is_open(Stage(opened.stage)),
            "currency": opened.currency,
        }
        rows.put(PIPELINE.name, deal)
        _count_open(rows, deal, +1)

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
        row = {"opportunity_id": e.stream_id, "owner_id": deal["owner_id"],
               "account_id": deal["account_id"], "region": deal["region"], "amount": won.amount,
               "won_at": e.occurred_at, "products": deal["products"], "currency": won.currency}
        rows.put(WON.name, row)
        _count_won(rows, row)

    @staticmethod
    def _change(rows: Rows, e: EventRecord, **changes: Any) -> dict[str, Any]:
        deal = rows.get(PIPELINE.name, (e.stream_id,))
        if deal is None:
            raise LookupError(f"opportunity {e.stream_id} was never opened")
        _count_open(rows, deal, -1)
        deal = {**deal, **changes}
        rows.put(PIPELINE.name, deal)
        _count_open(rows, deal, +1)
        return deal


def _month(day: date) -> date:
    return day.replace(day=1)


def _totals_of(deal: dict[str, Any], month: date) -> list[tuple[Any, ...]]:
    """The keys of the totals a deal counts in: every deal's ("" product), and each SKU's."""
    return [(deal["owner_id"], deal["region"], product, month, deal["currency"])
            for product in ["", *sorted(set(deal["products"]))]]


def _add(rows: Rows, table: Table, key: tuple[Any, ...], amounts: dict[str, Any],
         sign: int) -> None:
    """Add one deal and its ``amounts`` to the total at ``key`` (``sign`` +1), or take them
    out (-1); a total of no deal is deleted."""
    total = rows.get(table.name, key) or {**dict(zip(MONTH_KEY, key, strict=True)), "deals": 0,
                                          **dict.fromkeys(amounts, 0)}
    total = {**total, "deals": total["deals"] + sign,
             **{name: total[name] + sign * value for name, value in amounts.items()}}
    if total["deals"] == 0:
        rows.delete(table.name, key)
    else:
        rows.put(table.name, total)


def _count_open(rows: Rows, deal: dict[str, Any], sign: int) -> None:
    """Add an open deal to its month's totals (``sign`` +1), or take it out (-1)."""
    if not deal["open"]:
        return
    amounts = {"amount": deal["amount"], "weighted_x100": deal["amount"] * deal["probability"]}
    for key in _totals_of(deal, _month(deal["expected_close"])):
        _add(rows, PIPELINE_MONTHS, key, amounts, sign)


def _count_won(rows: Rows, won: dict[str, Any]) -> None:
    for key in _totals_of(won, _month(won["won_at"].astimezone(UTC).date())):
        _add(rows, WON_MONTHS, key, {"won": won["amount"]}, +1)
