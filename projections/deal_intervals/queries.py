"""Deal interval queries: a deal's intervals and stages, time per stage, slippage and hand-over
outcomes, each from the facts as they stood when they happened."""

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domain.handover import WORK_ORDER
from domain.stages import Stage, is_open
from projections.base import Reader
from projections.deal_intervals.projection import DEALS


class DealIntervalQueries:
    def __init__(self, read: Reader) -> None:
        self.read = read

    def intervals(self, opportunity_id: str) -> list[dict[str, Any]]:
        """Every interval of the deal, oldest first (none for a deal never opened)."""
        found = self.read.rows(f"SELECT {', '.join(DEALS.column_names)} FROM {DEALS.name} "
                               "WHERE opportunity_id = ? ORDER BY seq", (opportunity_id,))
        return [{c.name: self.read.value(c.type, row[c.name]) for c in DEALS.columns}
                for row in found]

    def stages(self, opportunity_id: str, now: datetime) -> list[dict[str, Any]]:
        """The stages the deal went through, in order: when it entered each, when it left
        (null while it is there), and the whole days it spent there (until ``now`` while
        it is still in an open stage; null in a closed one, which it never leaves)."""
        found = self.read.rows("SELECT stage, entered_at, left_at FROM intervals_stays "
                               "WHERE opportunity_id = ? ORDER BY seq", (opportunity_id,))
        stages = []
        for row in found:
            since = self.read.value("timestamp", row["entered_at"])
            left = self.read.value("timestamp", row["left_at"])
            until = left if left is not None else (now if is_open(Stage(row["stage"])) else None)
            stages.append({"stage": row["stage"], "entered_at": since, "left_at": left,
                           "days": None if until is None else (until - since).days})
        return stages

    def stage_times(self, start: datetime, end: datetime, rep_id: str | None = None,
                    team: str | None = None) -> list[dict[str, Any]]:
        """Every stay in a stage that ended in [start, end): its stage, owner and the
        owner's team when it entered the stage, and its length in days (fractional)."""
        teams = _Teams(self.read)
        found = []
        for row in self.read.rows(
                "SELECT stage, entered_at, left_at, owner_id FROM intervals_stays "
                "WHERE left_at >= ? AND left_at < ?",
                (self.read.stored("timestamp", start), self.read.stored("timestamp", end))):
            entered = self.read.value("timestamp", row["entered_at"])
            stay = {"stage": row["stage"], "owner_id": row["owner_id"],
                    "owner_name": teams.name(row["owner_id"]),
                    "team": teams.team_at(row["owner_id"], entered),
                    "days": (self.read.value("timestamp", row["left_at"]) - entered)
                    / timedelta(days=1)}
            if rep_id in (None, stay["owner_id"]) and team in (None, stay["team"]):
                found.append(stay)
        return found


def averages(stays: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per stage, in the funnel's order: how many stays ended, their average days."""
    by_stage: dict[str, list[float]] = {}
    for stay in stays:
        by_stage.setdefault(stay["stage"], []).append(stay["days"])
    order = [s.value for s in Stage]
    return [{"stage": stage, "stays": len(days), "average_days": _tenths(sum(days) / len(days))}
            for stage, days in sorted(by_stage.items(), key=lambda kv: order.index(kv[0]))]


def _tenths(days: float) -> float:
    """Days to a tenth, halves up (7.25 -> 7.3), as a person rounds."""
    return float(Decimal(repr(days)).quantize(Decimal("0.1"), ROUND_HALF_UP))


PUSHED, CUT = "close_date_pushed", "amount_cut"
_DEAL_TYPES = {c.name: c.type for c in DEALS.columns}
_CHANGES = ("SELECT c.opportunity_id, c.seq, c.valid_from, c.position, c.actor, c.change, "
            "c.owner_id, c.currency, c.expected_close, c.amount, h.name, "
            "p.expected_close AS expected_close_before, p.amount AS amount_before "
            "FROM intervals_deals c "
            "JOIN intervals_deals p ON p.opportunity_id = c.opportunity_id AND p.seq = c.seq - 1 "
            "JOIN intervals_deal_heads h ON h.opportunity_id = c.opportunity_id "
            "WHERE c.change IN ('OpportunityCloseDateChanged', 'OpportunityAmountChanged') "
            "AND c.valid_from >= ? AND c.valid_from < ? ORDER BY c.valid_from, c.position")


class SlippageQueries:
    """Close dates pushed later and amounts cut, each change with who made it and when, and
    the owner and the owner's team at that instant (not today's)."""

    def __init__(self, read: Reader) -> None:
        self.read = read

    def slips(self, start: datetime, end: datetime, rep_id: str | None = None,
              team: str | None = None) -> list[dict[str, Any]]:
        """Every slip recorded in [start, end), oldest first, of the deals ``rep_id`` owned
        (or a rep of ``team`` owned) when it was recorded."""
        teams = _Teams(self.read)
        found = []
        for row in self.read.rows(_CHANGES, (self.read.stored("timestamp", start),
                                             self.read.stored("timestamp", end))):
            slip = self._slip({k: self._value(k, v) for k, v in row.items()}, teams)
            if slip is not None and rep_id in (None, slip["owner_id"]) \
                    and team in (None, slip["team"]):
                found.append(slip)
        return found

    def _value(self, column: str, stored: Any) -> Any:
        """A selected column as its Python value, by its type in ``intervals_deals`` (the
        previous interval's columns are named ``…_before``)."""
        return self.read.value(_DEAL_TYPES.get(column.removesuffix("_before"), "text"), stored)

    @staticmethod
    def _slip(row: dict[str, Any], teams: "_Teams") -> dict[str, Any] | None:
        pushed = row["change"] == "OpportunityCloseDateChanged" \
            and row["expected_close"] > row["expected_close_before"]
        cut = row["change"] == "OpportunityAmountChanged" and row["amount"] < row["amount_before"]
        if not (pushed or cut):
            return None
        at = row["valid_from"]
        return {
            "opportunity_id": row["opportunity_id"], "name": row["name"],
            "owner_id": row["owner_id"], "owner_name": teams.name(row["owner_id"]),
            "team": teams.team_at(row["owner_id"], at), "at": at, "actor": row["actor"],
            "kind": PUSHED if pushed else CUT, "currency": row["currency"],
            "expected_close_before": row["expected_close_before"] if pushed else None,
            "expected_close_after": row["expected_close"] if pushed else None,
            "days_pushed": (row["expected_close"] - row["expected_close_before"]).days
            if pushed else None,
            "amount_before": row["amount_before"] if cut else None,
            "amount_after": row["amount"] if cut else None,
        }


class _Teams:
    """Each rep's team over time and name, read once per answer (a few rows per rep)."""

    def __init__(self, read: Reader) -> None:
        self.spans: dict[str, list[tuple[datetime, datetime | None, str]]] = {}
        for r in read.rows("SELECT rep_id, valid_from, valid_to, team FROM intervals_reps"):
            self.spans.setdefault(r["rep_id"], []).append(
                (read.value("timestamp", r["valid_from"]), read.value("timestamp", r["valid_to"]),
                 r["team"]))
        self.names = rep_names(read)

    def team_at(self, rep_id: str, at: datetime) -> str | None:
        return next((team for since, until, team in self.spans.get(rep_id, [])
                     if since <= at and (until is None or at < until)), None)

    def name(self, rep_id: str) -> str | None:
        return self.names.get(rep_id)


def rep_names(read: Reader) -> dict[str, str]:
    """Every rep's name, by id."""
    return {r["rep_id"]: r["name"]
            for r in read.rows("SELECT rep_id, name FROM intervals_rep_heads")}


def totals_by(slips: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Per ``key`` (``owner_id`` or ``team``): deals that slipped, close dates pushed and
    the days, amounts cut and how much per currency; by key."""
    found: dict[Any, dict[str, Any]] = {}
    for slip in slips:
        entry = found.setdefault(slip[key], {"deals": set(), "close_dates_pushed": 0,
                                             "days_pushed": 0, "amounts_cut": 0, "cut": {}})
        entry["deals"].add(slip["opportunity_id"])
        if slip["kind"] == PUSHED:
            entry["close_dates_pushed"] += 1
            entry["days_pushed"] += slip["days_pushed"]
        else:
            entry["amounts_cut"] += 1
            cut = slip["amount_before"] - slip["amount_after"]
            entry["cut"][slip["currency"]] = entry["cut"].get(slip["currency"], 0) + cut
    return [{key: k, "deals": len(v["deals"]), "close_dates_pushed": v["close_dates_pushed"],
             "days_pushed": v["days_pushed"], "amounts_cut": v["amounts_cut"],
             "amount_cut": [{"currency": c, "amount": a} for c, a in sorted(v["cut"].items())]}
            for k, v in sorted(found.items(), key=lambda kv: str(kv[0]))]


TIERS = tuple(tier.value for tier in WORK_ORDER)
_HANDED = ("SELECT o.opportunity_id, o.at, o.tier, o.from_rep_id, d.stage "
           "FROM intervals_handovers o JOIN intervals_deal_heads h "
           "ON h.opportunity_id = o.opportunity_id JOIN intervals_deals d "
           "ON d.opportunity_id = h.opportunity_id AND d.seq = h.seq "
           "WHERE o.at >= ? AND o.at < ?")
_NEVER = ("SELECT f.opportunity_id, f.valid_from AS at, f.owner_id, d.stage "
          "FROM intervals_deals f JOIN intervals_deal_heads h ON h.opportunity_id = f.opportunity_id "
          "JOIN intervals_deals d ON d.opportunity_id = h.opportunity_id AND d.seq = h.seq "
          "WHERE f.seq = 1 AND f.valid_from >= ? AND f.valid_from < ? AND NOT EXISTS "
          "(SELECT 1 FROM intervals_handovers o WHERE o.opportunity_id = f.opportunity_id)")


def outcome(stages: list[str]) -> dict[str, Any]:
    """Items, and how many are won, lost and still open now; the win rate of the closed."""
    won, lost = stages.count("closed_won"), stages.count("closed_lost")
    return {"items": len(stages), "won": won, "lost": lost, "open": len(stages) - won - lost,
            "win_rate": None if won + lost == 0 else round(won / (won + lost), 4)}


class HandOverOutcomeQueries:
    """How deals handed over in a period ended (or stand now), per tier, beside the deals
    opened in the period and never handed over."""

    def __init__(self, read: Reader) -> None:
        self.read = read

    def outcomes(self, start: datetime, end: datetime,
                 team: str | None = None) -> dict[str, Any]:
        """``team``: the departing rep's team at the hand-over; the owner's team at the
        opening for the deals never handed over."""
        teams, bounds = _Teams(self.read), (self.read.stored("timestamp", start),
                                            self.read.stored("timestamp", end))

        def kept(rep_id: str, stored_at: Any) -> bool:
            return team is None or teams.team_at(rep_id, self.read.value(
                "timestamp", stored_at)) == team

        handed = [r for r in self.read.rows(_HANDED, bounds) if kept(r["from_rep_id"], r["at"])]
        never = [r["stage"] for r in self.read.rows(_NEVER, bounds) if kept(r["owner_id"], r["at"])]
        return {"tiers": [{"tier": tier, **outcome([r["stage"] for r in handed
                                                    if r["tier"] == tier])} for tier in TIERS],
                "handed_over": outcome([r["stage"] for r in handed]),
                "never_handed_over": outcome(never)}
