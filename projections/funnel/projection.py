"""Funnel position: where every deal stands, and how deals flow between stages.

Tables
- ``funnel_opportunities``: one row per opportunity — stage, probability, amount, weighted
  amount (amount x probability), currency, expected close, owner and account, products, when
  it opened, when it entered its current stage (days in stage and "stuck" are computed at
  query time against a clock), and once closed: won or lost, lost reason, cycle days;
  ``last_contact_at``, the last interaction logged on the deal (version 4: deals nobody
  contacted for N days).
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

from domain.account import AccountOpened
from domain.opportunity import (
    OpportunityAmountChanged,
    OpportunityCloseDateChanged,
    OpportunityHandedOver,
    OpportunityInteractionLogged,
    OpportunityLost,
    OpportunityOpened,
    OpportunityOwnerChanged,
    OpportunityStageChanged,
)
from domain.rep import RepHired, RepMoved
from domain.stages import CLOSED_STAGES, OPEN_STAGES, Stage
from projections.base import Column, EventRecord, Projection, Rows, Table, on

OPPORTUNITIES = Table("funnel_opportunities", (
    Column("opportunity_id"), Column("account_id"), Column("owner_id"), Column("name"),
    Column("stage"), Column("probability", "int"), Column("amount", "numeric"),
    Column("weighted_amount", "numeric"), Column("currency"), Column("expected_close", "date"),
    Column("products", "json"), Column("opened_at", "timestamp"),
    Column("stage_entered_at", "timestamp"), Column("closed_at", "timestamp"),
    Column("won", "bool"), Column("lost_reason"), Column("cycle_days", "int"),
    Column("furthest", "int"), Column("region"), Column("last_contact_at", "timestamp"),
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
    version = 4
    cost = 2
    tables = (OPPORTUNITIES, STAGE_REACHED, TOTALS, REPS, ACCOUNTS)

    @on(RepHired)
    def _rep_hired(self, e: EventRecord, rep: RepHired, rows: Rows) -> None:
        rows.put(REPS.name, {"rep_id": e.stream_id, "name": rep.name, "team": rep.team,
                             "region": rep.region, "manager_id": rep.manager_id})

    @on(RepMoved)
    def _rep_moved(self, e: EventRecord, moved: RepMoved, rows: Rows) -> None:
        rep = rows.get(REPS.name, (e.stream_id,))
        if rep is not None:
            rep.update(team=moved.team, region=moved.region, manager_id=moved.manager_id)
            rows.put(REPS.name, rep)

    @on(AccountOpened)
    def _account_opened(self, e: EventRecord, account: AccountOpened, rows: Rows) -> None:
        rows.put(ACCOUNTS.name, {"account_id": e.stream_id, "name": account.name,
                                 "region": account.region})

    @on(OpportunityOpened)
    def _opened(self, e: EventRecord, opened: OpportunityOpened, rows: Rows) -> None:
        deal = {
            "opportunity_id": e.stream_id, "account_id": opened.account_id,
            "owner_id": opened.owner_id, "name": opened.name, "stage": opened.stage,
            "probability": opened.probability, "amount": opened.amount,
            "weighted_amount": weighted(opened.amount, opened.probability),
            "currency": opened.currency, "expected_close": opened.expected_close,
            "products": list(opened.products), "opened_at": e.occurred_at,
            "stage_entered_at": e.occurred_at, "closed_at": None, "won": None,
            "lost_reason": None, "cycle_days": None, "furthest": -1,
            "region": self._region(rows, opened.account_id), "last_contact_at": None,
        }
        self._count(rows, deal, +1)
        rows.put(OPPORTUNITIES.name, deal)
        self._reach(rows, deal, opened.stage)

    @on(OpportunityStageChanged)
    def _stage_changed(self, e: EventRecord, changed: OpportunityStageChanged,
                       rows: Rows) -> None:
        deal = self._deal(rows, e)
        stage, probability = changed.to_stage, changed.probability
        self._count(rows, deal, -1)
        deal.update(stage=stage, probability=probability, stage_entered_at=e.occurred_at,
                    weighted_amount=weighted(deal["amount"], probability))
        self._count(rows, deal, +1)
        self._reach(rows, deal, stage)
        if Stage(stage) in CLOSED_STAGES:
            deal.update(closed_at=e.occurred_at, won=stage == Stage.CLOSED_WON,
                        cycle_days=(e.occurred_at - deal["opened_at"]).days)
        rows.put(OPPORTUNITIES.name, deal)

    @on(OpportunityAmountChanged)
    def _amount_changed(self, e: EventRecord, changed: OpportunityAmountChanged,
                        rows: Rows) -> None:
        deal = self._deal(rows, e)
        self._count(rows, deal, -1)
        deal.update(amount=changed.amount,
                    weighted_amount=weighted(changed.amount, deal["probability"]))
        self._count(rows, deal, +1)
        rows.put(OPPORTUNITIES.name, deal)

    @on(OpportunityCloseDateChanged)
    def _close_date_changed(self, e: EventRecord, changed: OpportunityCloseDateChanged,
                            rows: Rows) -> None:
        deal = self._deal(rows, e)
        deal["expected_close"] = changed.expected_close
        rows.put(OPPORTUNITIES.name, deal)

    @on(OpportunityOwnerChanged)
    def _owner_changed(self, e: EventRecord, changed: OpportunityOwnerChanged,
                       rows: Rows) -> None:
        self._change_owner(rows, self._deal(rows, e), changed.owner_id)

    @on(OpportunityHandedOver)
    def _handed_over(self, e: EventRecord, handed: OpportunityHandedOver, rows: Rows) -> None:
        self._change_owner(rows, self._deal(rows, e), handed.to_rep_id)

    @on(OpportunityInteractionLogged)
    def _contacted(self, e: EventRecord, _: OpportunityInteractionLogged, rows: Rows) -> None:
        deal = self._deal(rows, e)
        deal["last_contact_at"] = e.occurred_at
        rows.put(OPPORTUNITIES.name, deal)

    @on(OpportunityLost)
    def _lost(self, e: EventRecord, lost: OpportunityLost, rows: Rows) -> None:
        deal = self._deal(rows, e)
        deal["lost_reason"] = lost.reason
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
