"""The funnel's and the forecast's totals as they stood at an instant, from the intervals.

A total at instant ``t`` is the month's copy of the totals, plus the changes of the month's
days before t's day, plus the changes of t's day up to ``t`` (``totals``), all added up by
the database: a few thousand rows, however many deals there are.

What is kept: the deals whose owner *at t* passes the filters (a rep, or the members of a
team at t), as they stood, and of those only the ones the caller may see *now* (``Seen``).
Those are the totals of the owners then whom the caller may see now, less the deals handed
from them since to someone the caller may not see, plus the deals handed since from an owner
then the caller may not see to one they may: both kinds changed owner after t, so only the
owner changes since t are read (``intervals_owner_moves``), and the facts at t of the deals
that crossed that line, never every deal of an owner who left the team.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, NamedTuple

from projections.base import Reader, Row
from projections.deal_intervals.projection import DEALS, OWNER_MOVES, QUOTAS, REPS
from projections.deal_intervals.totals import (
    DAYS,
    KEY,
    MARKS,
    MARKS_KEY,
    MEASURES,
    MONTHS,
    MOVES,
    TOTALS,
    month_of,
    shares_of,
)

Key = tuple[str, ...]
SHARES_FROM = ("opportunity_id", "seq", "valid_from", "valid_to", "stage", "probability",
               "amount", "currency", "owner_id", "expected_close", "open", "region", "won_amount",
               "won_currency", "won_at")
FACTS = tuple(c for c in DEALS.columns if c.name in SHARES_FROM)  # what shares_of reads


@dataclass(frozen=True)
class Seen:
    """Which deals an answer as of an instant keeps: those whose owner then was one of
    ``owners`` (None: anyone), in ``region`` (None: any), and, of those, the ones whose owner
    now is one of ``visible_now`` (None: the caller may see every deal)."""

    owners: frozenset[str] | None = None
    region: str | None = None
    visible_now: frozenset[str] | None = None

    def keeps(self, deal: Mapping[str, Any]) -> bool:
        return ((self.owners is None or deal["owner_id"] in self.owners)
                and self.region in (None, deal["region"]))

    def visible_then(self) -> "Seen":
        """The deals of the owners then whom the caller may see now, whoever owns them now."""
        if self.visible_now is None:
            return self
        owners = self.visible_now if self.owners is None else self.owners & self.visible_now
        return Seen(owners, self.region)


class _Facts(NamedTuple):
    """A deal's facts at the instant (a row of ``intervals_deals``) and its products."""

    facts: dict[str, Any]
    products: list[str]


class AsOf:
    """Answers about the instant ``at`` (UTC)."""

    def __init__(self, read: Reader, at: datetime) -> None:
        self.read, self.at = read, at.astimezone(UTC)
        self.day: date = self.at.date()
        self.midnight = datetime.combine(self.day, time(), UTC)
        self._crossing: dict[Seen, list[tuple[_Facts, int]]] = {}
        self._totals: dict[tuple[Any, ...], dict[Key, list[Any]]] = {}

    def team(self, team: str) -> frozenset[str]:
        """The reps in ``team`` at the instant."""
        return frozenset(r["rep_id"] for r in self._reps() if r["team"] == team)

    def reps(self) -> list[dict[str, Any]]:
        """Every rep hired by the instant, with their team and region then."""
        return [{"rep_id": r["rep_id"], "team": r["team"], "region": r["region"]}
                for r in self._reps()]

    def quotas(self) -> list[dict[str, Any]]:
        """Each rep's quota per period as last set by the instant."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for row in self.read.rows(
                f"SELECT rep_id, period, amount FROM {QUOTAS.name} WHERE set_at <= ? "
                "ORDER BY position", (self.read.stored("timestamp", self.at),)):
            found[(row["rep_id"], row["period"])] = {
                "rep_id": row["rep_id"], "period": row["period"],
                "amount": self.read.value("numeric", row["amount"])}
        return list(found.values())

    def _reps(self) -> list[Row]:
        stamp = self.read.stored("timestamp", self.at)
        return self.read.rows(
            f"SELECT rep_id, team, region FROM {REPS.name} WHERE valid_from <= ? "
            "AND (valid_to IS NULL OR valid_to > ?)", (stamp, stamp))

    def totals(self, kind: str, seen: Seen, product: str | None = None,
               by: tuple[str, ...] = KEY) -> dict[Key, list[Any]]:
        """The totals of ``kind`` (``totals.KINDS``) at the instant, of the deals ``seen``
        keeps (and of ``product``'s totals only, when named): key (the ``by`` columns of
        ``totals.KEY``; the others added up) -> deals, amount, weighted. Totals of no deal
        are left out. Read once per question and answer (do not change what it gives)."""
        asked = (kind, seen, product, by)
        if asked not in self._totals:
            self._totals[asked] = self._total(kind, seen, product, by)
        return self._totals[asked]

    def _total(self, kind: str, seen: Seen, product: str | None,
               by: tuple[str, ...]) -> dict[Key, list[Any]]:
        found = self._marked(kind, seen.visible_then(), product, by)
        if seen.visible_now is not None:
            positions = [KEY.index(column) for column in by]
            for deal, sign in self._crossed(seen):
                self._move(found, kind, product, deal, sign, positions)
        return {key: values for key, values in found.items() if values[0]}

    def _marked(self, kind: str, seen: Seen, product: str | None,
                by: tuple[str, ...]) -> dict[Key, list[Any]]:
        """The totals at the instant of the owners and region ``seen`` keeps: the month's
        copy, the changes of the month's days before the instant's and those of its day up
        to the instant (the totals now when no change came since the month began), added up
        by the database."""
        marks = self.read.rows(f"SELECT first, last FROM {MARKS.name} WHERE name = ?",
                               MARKS_KEY)
        month = month_of(self.day)
        if not marks or month < self.read.value("date", marks[0]["first"]):
            return {}
        where, params = self._where(kind, seen, product)
        if where is None:
            return {}
        keys, grouped = ", ".join(KEY), ", ".join(by)
        if month > self.read.value("date", marks[0]["last"]):
            parts, values = f"SELECT * FROM {TOTALS.name} WHERE {where}", params
        else:
            first_day, day = (self.read.stored("date", d) for d in (month, self.day))
            midnight, at = (self.read.stored("timestamp", t) for t in (self.midnight, self.at))
            measures = f"{keys}, deals, amount, weighted"
            parts = (f"SELECT {measures} FROM {MONTHS.name} WHERE mark = ? AND {where} "
                     f"UNION ALL SELECT {measures} FROM {DAYS.name} WHERE day >= ? AND day < ? "
                     f"AND {where} UNION ALL SELECT {measures} FROM {MOVES.name} WHERE "
                     f"at >= ? AND at <= ? AND {where}")
            values = [first_day, *params, first_day, day, *params, midnight, at, *params]
        sums = ", ".join(f"{self.read.exact_sum(m)} AS {m}" for m in MEASURES)
        found: dict[Key, list[Any]] = {}
        for row in self.read.rows(f"SELECT {grouped}, {sums} FROM ({parts}) AS part "
                                  f"GROUP BY {grouped}", values):
            found[tuple(row[k] for k in by)] = [
                int(row["deals"]), self.read.value("numeric", row["amount"]),
                self.read.value("numeric", row["weighted"])]
        return found

    def _where(self, kind: str, seen: Seen, product: str | None) -> tuple[str | None, list[Any]]:
        clauses, params = ["kind = ?"], [kind]
        if seen.owners is not None:
            if not seen.owners:
                return None, []
            clause, values = self.read.one_of("owner_id", sorted(seen.owners))
            clauses.append(clause)
            params += values
        for column, value in (("region", seen.region), ("product", product)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        return " AND ".join(clauses), params

    @staticmethod
    def _move(found: dict[Key, list[Any]], kind: str, product: str | None, deal: _Facts,
              sign: int, positions: list[int]) -> None:
        for share in shares_of(deal.facts, deal.products):
            if share.key[0] != kind or product not in (None, share.key[5]):
                continue
            key = tuple(share.key[i] for i in positions)
            total = found.setdefault(key, [0, Decimal(0), Decimal(0)])
            total[0] += sign
            total[1] += sign * share.amount
            total[2] += sign * share.weighted

    def _crossed(self, seen: Seen) -> list[tuple[_Facts, int]]:
        """The deals ``seen`` keeps at the instant that crossed the line of what the caller
        may see now, each with its facts then and the sign it moves the totals by: -1 for
        an owner then the caller may see but not the owner now, +1 the other way round
        (once per answer)."""
        if seen not in self._crossing:
            self._crossing[seen] = list(self._find_crossed(seen))
        return self._crossing[seen]

    def _find_crossed(self, seen: Seen) -> Iterable[tuple[_Facts, int]]:
        """A deal whose owners then and now differ in what the caller may see changed owner
        after the instant: its first change since was from the owner then, its last to the
        owner now."""
        visible = seen.visible_now
        assert visible is not None
        stamp = self.read.stored("timestamp", self.at)
        first: dict[str, tuple[int, str]] = {}  # deal -> (seq, owner before): the owner then
        last: dict[str, tuple[int, str]] = {}  # deal -> (seq, owner after): the owner now
        for row in self.read.rows(f"SELECT opportunity_id, seq, from_owner, to_owner FROM "
                                  f"{OWNER_MOVES.name} WHERE at > ? AND opened_at <= ?",
                                  (stamp, stamp)):
            deal, seq = row["opportunity_id"], row["seq"]
            if deal not in first or seq < first[deal][0]:
                first[deal] = (seq, row["from_owner"])
            if deal not in last or seq > last[deal][0]:
                last[deal] = (seq, row["to_owner"])
        crossed = sorted(deal for deal, (_, then) in first.items()
                         if (seen.owners is None or then in seen.owners)
                         and (then in visible) != (last[deal][1] in visible))
        if not crossed:
            return
        for deal in self._facts_at(crossed):
            if seen.keeps(deal.facts):
                yield deal, (-1 if deal.facts["owner_id"] in visible else 1)

    def _facts_at(self, ids: list[str]) -> Iterable[_Facts]:
        """The facts at the instant of the deals ``ids`` that existed then."""
        stamp = self.read.stored("timestamp", self.at)
        named, params = self.read.one_of("i.opportunity_id", ids)
        columns = ", ".join(f"i.{c.name}" for c in FACTS)
        for row in self.read.rows(
                f"SELECT {columns}, h.products FROM {DEALS.name} i JOIN intervals_deal_heads h "
                f"ON h.opportunity_id = i.opportunity_id WHERE {named} AND i.valid_from <= ? "
                "AND (i.valid_to IS NULL OR i.valid_to > ?)", [*params, stamp, stamp]):
            yield _Facts({c.name: self.read.value(c.type, row[c.name]) for c in FACTS},
                         list(self.read.value("json", row["products"]) or []))
