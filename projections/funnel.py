"""Funnel position: where every deal stands, and how deals flow between stages.

Tables
- ``funnel_opportunities``: one row per opportunity — stage, probability, amount, weighted
  amount (amount x probability), currency, expected close, owner and account, products, when
  it opened, when it entered its current stage (days in stage and "stuck" are computed at
  query time against a clock), and once closed: won or lost, lost reason, cycle days.
- ``funnel_stage_reached``: per stage of the path prospecting -> ... -> closed_won, how many
  deals reached it or went past it (a deal that skips a stage still passed it), so
  stage-to-stage conversion reached(next) / reached(stage) is never above 1.
- ``funnel_totals``: per stage, owner, region (the account's, '' when unknown) and currency:
  number of deals, amount and weighted amount — kept up to date with every change, so the
  summary a manager asks for reads a few hundred rows, not every deal. Amounts of different
  currencies are never added (version 3 added the currency to the key).
- ``funnel_reps``: rep -> name, team, region (queries join on the owner's current team).
- ``funnel_accounts``: account -> name, region (a deal's region is its account's).
"""

from decimal import Decimal

from domain.stages import CLOSED_STAGES, OPEN_STAGES, Stage
from projections.base import Column, EventRecord, Projection, Rows, Table, day, money

OPPORTUNITIES = Table("funnel_opportunities", (
    Column("opportunity_id"), Column("account_id"), Column("owner_id"), Column("name"),
    Column("stage"), Column("probability", "int"), Column("amount", "numeric"),
    Column("weighted_amount", "numeric"), Column("currency"), Column("expected_close", "date"),
    Column("products", "json"), Column("opened_at", "timestamp"),
    Column("stage_entered_at", "timestamp"), Column("closed_at", "timestamp"),
    Column("won", "bool"), Column("lost_reason"), Column("cycle_days", "int"),
    Column("furthest", "int"), Column("region"),
), key=("opportunity_id",), indexes=(("owner_id",), ("stage",), ("account_id",)))

TOTALS = Table("funnel_totals", (
    Column("stage"), Column("owner_id"), Column("region"), Column("currency"),
    Column("deals", "int"), Column("amount", "numeric"), Column("weighted_amount", "numeric"),
), key=("stage", "owner_id", "region", "currency"))

STAGE_REACHED = Table("funnel_stage_reached", (Column("stage"), Column("reached", "int")),
                      key=("stage",))
PATH = [s.value for s in OPEN_STAGES] + [Stage.CLOSED_WON.value]
REPS = Table("funnel_reps", (Column("rep_id"), Column("name"), Column("team"), Column("region"),
                             Column("manager_id")), key=("rep_id",))
ACCOUNTS = Table("funnel_accounts", (Column("account_id"), Column("name"), Column("region")),
                 key=("account_id",))


def weighted(amount: Decimal, probability: int) -> Decimal:
    return (amount * probability / 100).quantize(Decimal("0.01"))


class FunnelProjection(Projection):
    name = "funnel"
    version = 3
    cost = 2
    tables = (OPPORTUNITIES, STAGE_REACHED, TOTALS, REPS, ACCOUNTS)
    topics = ("OpportunityOpened", "OpportunityStageChanged", "OpportunityAmountChanged",
              "OpportunityCloseDateChanged", "OpportunityOwnerChanged", "OpportunityHandedOver",
              "OpportunityLost", "RepHired", "RepMoved", "AccountOpened")

    def apply(self, event: EventRecord, rows: Rows) -> None:
        handler = getattr(self, f"_on_{event.type}")
        handler(event, rows)

    def _on_RepHired(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        d = e.data
        rows.put(REPS.name, {"rep_id": e.stream_id, "name": d["name"], "team": d["team"],
                             "region": d["region"], "manager_id": d["manager_id"]})

    def _on_RepMoved(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        rep = rows.get(REPS.name, (e.stream_id,))
        if rep is not None:
            rep.update(team=e.data["team"], region=e.data["region"],
                       manager_id=e.data["manager_id"])
            rows.put(REPS.name, rep)

    def _on_AccountOpened(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        rows.put(ACCOUNTS.name, {"account_id": e.stream_id, "name": e.data["name"],
                                 "region": e.data["region"]})

    def _on_OpportunityOpened(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        d = e.data
        amount = money(d["amount"])
        deal = {
            "opportunity_id": e.stream_id, "account_id": d["account_id"],
            "owner_id": d["owner_id"], "name": d["name"], "stage": d["stage"],
            "probability": d["probability"], "amount": amount,
            "weighted_amount": weighted(amount, d["probability"]),
            "currency": d.get("currency", "EUR"), "expected_close": day(d["expected_close"]),
            "products": list(d["products"]), "opened_at": e.occurred_at,
            "stage_entered_at": e.occurred_at, "closed_at": None, "won": None,
            "lost_reason": None, "cycle_days": None, "furthest": -1,
            "region": self._region(rows, d["account_id"]),
        }
        self._count(rows, deal, +1)
        rows.put(OPPORTUNITIES.name, deal)
        self._reach(rows, deal, d["stage"])

    def _on_OpportunityStageChanged(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        deal = self._deal(rows, e)
        stage, probability = e.data["to_stage"], e.data["probability"]
        self._count(rows, deal, -1)
        deal.update(stage=stage, probability=probability, stage_entered_at=e.occurred_at,
                    weighted_amount=weighted(deal["amount"], probability))
        self._count(rows, deal, +1)
        self._reach(rows, deal, stage)
        if Stage(stage) in CLOSED_STAGES:
            deal.update(closed_at=e.occurred_at, won=stage == Stage.CLOSED_WON,
                        cycle_days=(e.occurred_at - deal["opened_at"]).days)
        rows.put(OPPORTUNITIES.name, deal)

    def _on_OpportunityAmountChanged(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        deal = self._deal(rows, e)
        amount = money(e.data["amount"])
        self._count(rows, deal, -1)
        deal.update(amount=amount, weighted_amount=weighted(amount, deal["probability"]))
        self._count(rows, deal, +1)
        rows.put(OPPORTUNITIES.name, deal)

    def _on_OpportunityCloseDateChanged(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        deal = self._deal(rows, e)
        deal["expected_close"] = day(e.data["expected_close"])
        rows.put(OPPORTUNITIES.name, deal)

    def _on_OpportunityOwnerChanged(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        self._change_owner(rows, self._deal(rows, e), e.data["owner_id"])

    def _on_OpportunityHandedOver(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        self._change_owner(rows, self._deal(rows, e), e.data["to_rep_id"])

    def _on_OpportunityLost(self, e: EventRecord, rows: Rows) -> None:  # noqa: N802
        deal = self._deal(rows, e)
        deal["lost_reason"] = e.data["reason"]
        rows.put(OPPORTUNITIES.name, deal)

    def _change_owner(self, rows: Rows, deal: dict, owner_id: str) -> None:  # type: ignore[type-arg]
        self._count(rows, deal, -1)
        deal["owner_id"] = owner_id
        self._count(rows, deal, +1)
        rows.put(OPPORTUNITIES.name, deal)

    @staticmethod
    def _region(rows: Rows, account_id: str) -> str:
        account = rows.get(ACCOUNTS.name, (account_id,))
        return str(account["region"]) if account else ""

    @staticmethod
    def _count(rows: Rows, deal: dict, sign: int) -> None:  # type: ignore[type-arg]
        """Adds (+1) or takes back (-1) the deal's share of its stage/owner/region/currency
        total."""
        key = (deal["stage"], deal["owner_id"], deal["region"], deal["currency"])
        total = rows.get(TOTALS.name, key) or {
            "stage": key[0], "owner_id": key[1], "region": key[2], "currency": key[3],
            "deals": 0, "amount": Decimal(0), "weighted_amount": Decimal(0)}
        total["deals"] += sign
        total["amount"] += sign * deal["amount"]
        total["weighted_amount"] += sign * deal["weighted_amount"]
        if total["deals"] == 0:
            rows.delete(TOTALS.name, key)
        else:
            rows.put(TOTALS.name, total)

    @staticmethod
    def _deal(rows: Rows, e: EventRecord) -> dict:  # type: ignore[type-arg]
        deal = rows.get(OPPORTUNITIES.name, (e.stream_id,))
        if deal is None:
            raise LookupError(f"opportunity {e.stream_id} was never opened")
        return deal

    @staticmethod
    def _reach(rows: Rows, deal: dict, stage: str) -> None:  # type: ignore[type-arg]
        """Counts every path stage from the deal's furthest so far up to ``stage``."""
        if stage not in PATH or PATH.index(stage) <= deal["furthest"]:
            return
        for passed in PATH[deal["furthest"] + 1: PATH.index(stage) + 1]:
            entry = rows.get(STAGE_REACHED.name, (passed,)) or {"stage": passed, "reached": 0}
            entry["reached"] += 1
            rows.put(STAGE_REACHED.name, entry)
        deal["furthest"] = PATH.index(stage)
        rows.put(OPPORTUNITIES.name, deal)
