"""Forecasts: the open pipeline by expected close, the won revenue by month, and quotas.

The forecast itself (weighting, the monthly series, the projection and its backtest) is
computed at query time by ``infra.readside.queries.forecasts``; these tables only keep the facts.

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

from domain.stages import Stage, is_open
from projections.base import Column, EventRecord, Projection, Rows, Table, day, money

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
    topics = ("OpportunityOpened", "OpportunityStageChanged", "OpportunityAmountChanged",
              "OpportunityCloseDateChanged", "OpportunityOwnerChanged", "OpportunityHandedOver",
              "OpportunityWon", "OpportunityLost", "RepHired", "RepMoved", "RepQuotaSet",
              "AccountOpened")

    def apply(self, event: EventRecord, rows: Rows) -> None:
        handler = getattr(self, f"_on_{event.type}")
        handler(event, rows)

    def _on_RepHired(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        rows.put(REPS.name, {"rep_id": e.stream_id, "team": e.data["team"],
                             "region": e.data["region"]})

    def _on_RepMoved(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        rows.put(REPS.name, {"rep_id": e.stream_id, "team": e.data["team"],
                             "region": e.data["region"]})

    def _on_RepQuotaSet(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        rows.put(QUOTAS.name, {"rep_id": e.stream_id, "period": e.data["period"],
                               "amount": money(e.data["amount"])})

    def _on_AccountOpened(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        rows.put(ACCOUNTS.name, {"account_id": e.stream_id, "region": e.data["region"]})

    def _on_OpportunityOpened(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        d = e.data
        rows.put(PIPELINE.name, {
            "opportunity_id": e.stream_id, "owner_id": d["owner_id"],
            "account_id": d["account_id"], "products": list(d["products"]),
            "amount": money(d["amount"]), "probability": d["probability"],
            "expected_close": day(d["expected_close"]), "open": is_open(Stage(d["stage"])),
            "currency": d.get("currency", "EUR"),  # v1 events were all in EUR
        })

    def _on_OpportunityStageChanged(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        self._change(rows, e, probability=e.data["probability"],
                     open=is_open(Stage(e.data["to_stage"])))

    def _on_OpportunityAmountChanged(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        self._change(rows, e, amount=money(e.data["amount"]))

    def _on_OpportunityCloseDateChanged(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        self._change(rows, e, expected_close=day(e.data["expected_close"]))

    def _on_OpportunityOwnerChanged(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        self._change(rows, e, owner_id=e.data["owner_id"])

    def _on_OpportunityHandedOver(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        self._change(rows, e, owner_id=e.data["to_rep_id"])

    def _on_OpportunityLost(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        self._change(rows, e, open=False)

    def _on_OpportunityWon(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        deal = self._change(rows, e, open=False)
        rows.put(WON.name, {
            "opportunity_id": e.stream_id, "owner_id": deal["owner_id"],
            "account_id": deal["account_id"], "amount": money(e.data["amount"]),
            "won_at": e.occurred_at, "products": deal["products"],
            "currency": e.data.get("currency", deal["currency"]),
        })

    @staticmethod
    def _change(rows: Rows, e: EventRecord, **changes: Any) -> dict[str, Any]:
        deal = rows.get(PIPELINE.name, (e.stream_id,))
        if deal is None:
            raise LookupError(f"opportunity {e.stream_id} was never opened")
        deal.update(changes)
        rows.put(PIPELINE.name, deal)
        return deal
