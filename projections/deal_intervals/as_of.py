"""The funnel's and the forecast's totals as they stood at an instant, from the intervals.

A total at instant ``t`` is the total at the start of t's day (``totals``: the month's copy and
the changes of its days before) plus the moves of the deals that changed on that day up to
``t`` (their intervals before and at ``t``). Reads: the month's copy of the totals asked, a
month of daily changes at most, and the intervals of one day's changed deals — not every
deal.

What is kept: the deals whose owner *at t* passes the filters (a rep, or the members of a
team at t), as they stood, and of those only the ones the caller may see *now* (``Seen``).
The deals of the first kind the caller may not see now (handed to someone else since, or
their owner left the caller's team) are found among the deals whose owner changed after t
and the deals of owners who left, and taken out.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from projections.base import Reader, Row
from projections.deal_intervals.projection import DEALS, QUOTAS, REPS
from projections.deal_intervals.totals import (
    DAYS,
    KEY,
    MARKS,
    MARKS_KEY,
    MEASURES,
    MONTHS,
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


@dataclass
class _Deal:
    """One deal's intervals as read: its facts at the start of the day and at the instant,
    and its owner now."""

    products: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def at(self, t: datetime, *, before: bool = False) -> dict[str, Any] | None:
        """The facts that held at ``t`` (``before``: just before ``t``)."""
        for row in self.rows:
            begun = row["valid_from"] < t if before else row["valid_from"] <= t
            ended = row["valid_to"] is not None and (
                row["valid_to"] < t if before else row["valid_to"] <= t)
            if begun and not ended:
                return row
        return None

    @property
    def now(self) -> dict[str, Any]:
        return self.rows[-1]


class AsOf:
    """Answers about the instant ``at`` (UTC)."""

    def __init__(self, read: Reader, at: datetime) -> None:
        self.read, self.at = read, at.astimezone(UTC)
        self.day: date = self.at.date()
        self.midnight = datetime.combine(self.day, time(), UTC)
        self._today: list[_Deal] | None = None
        self._hidden: dict[Seen, list[_Deal]] = {}
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
        found = self._marked(kind, seen, product, by)
        positions = [KEY.index(column) for column in by]
        moves = [(deal, deal.at(self.midnight, before=True), -1) for deal in self._changed_today()]
        moves += [(deal, deal.at(self.at), +1) for deal in self._changed_today()]
        if seen.visible_now is not None:
            moves += [(deal, deal.at(self.at), -1) for deal in self._hidden_now(seen)]
        for deal, facts, sign in moves:
            self._move(found, kind, seen, product, deal, facts, sign, positions)
        return {key: values for key, values in found.items() if values[0]}

    def _marked(self, kind: str, seen: Seen, product: str | None,
                by: tuple[str, ...]) -> dict[Key, list[Any]]:
        """The totals at the start of the day: the month's copy plus the changes of the
        month's days before it (the totals now when no change came since), added up by the
        database."""
        marks = self.read.rows(f"SELECT first, last FROM {MARKS.name} WHERE name = ?",
                               MARKS_KEY)
        month = month_of(self.day)
        if not marks or month < self.read.value("date", marks[0]["first"]):
            return {}
        where, params = self._where(kind, seen, product)
        if where is None:
            return {}
        keys, grouped, day = ", ".join(KEY), ", ".join(by), self.read.stored("date", month)
        if month > self.read.value("date", marks[0]["last"]):
            parts, values = f"SELECT * FROM {TOTALS.name} WHERE {where}", params
        else:
            parts = (f"SELECT {keys}, deals, amount, weighted FROM {MONTHS.name} WHERE mark = ? "
                     f"AND {where} UNION ALL SELECT {keys}, deals, amount, weighted FROM "
                     f"{DAYS.name} WHERE day >= ? AND day < ? AND {where}")
            values = [day, *params, day, self.read.stored("date", self.day), *params]
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

    def _move(self, found: dict[Key, list[Any]], kind: str, seen: Seen, product: str | None,
              deal: _Deal, facts: Mapping[str, Any] | None, sign: int,
              positions: list[int]) -> None:
        if facts is None or not seen.keeps(facts):
            return
        for share in shares_of(facts, deal.products):
            if share.key[0] != kind or product not in (None, share.key[5]):
                continue
            key = tuple(share.key[i] for i in positions)
            total = found.setdefault(key, [0, Decimal(0), Decimal(0)])
            total[0] += sign
            total[1] += sign * share.amount
            total[2] += sign * share.weighted

    def _changed_today(self) -> Iterable[_Deal]:
        """The deals with an interval begun on the day up to the instant: their intervals
        that held at the day's start or at the instant (once per answer)."""
        if self._today is None:
            start, at = (self.read.stored("timestamp", t) for t in (self.midnight, self.at))
            self._today = list(self._by_id(
                f"SELECT opportunity_id FROM {DEALS.name} WHERE valid_from >= ? AND "
                "valid_from <= ?", [start, at],
                "i.valid_from <= ? AND (i.valid_to IS NULL OR i.valid_to >= ?)", [at, start],
            ).values())
        return self._today

    def _hidden_now(self, seen: Seen) -> Iterable[_Deal]:
        """The deals ``seen`` keeps at the instant whose owner now the caller may not see:
        among the deals moved away from one of the owners kept after the instant (the
        first such move is from the owner then), and the deals then of the owners kept who
        are not visible now."""
        if seen not in self._hidden:
            self._hidden[seen] = list(self._find_hidden(seen))
        return self._hidden[seen]

    def _find_hidden(self, seen: Seen) -> Iterable[_Deal]:
        assert seen.visible_now is not None
        stamp = self.read.stored("timestamp", self.at)
        owners = (seen.owners if seen.owners is not None
                  else frozenset(r["rep_id"] for r in self._reps()))
        if not owners:
            return
        moved_from, moved_params = self.read.one_of("moved_from", sorted(owners))
        moved = sorted({r["opportunity_id"] for r in self.read.rows(
            f"SELECT opportunity_id FROM {DEALS.name} WHERE {moved_from} AND valid_from > ?",
            [*moved_params, stamp])})
        ids: set[str] = set()
        if moved:  # moved away after the instant, and owned by one of the owners at it
            named, named_params = self.read.one_of("opportunity_id", moved)
            owned, owned_params = self.read.one_of("owner_id", sorted(owners))
            ids = {r["opportunity_id"] for r in self.read.rows(
                f"SELECT opportunity_id FROM {DEALS.name} WHERE {named} AND valid_from <= ? "
                f"AND (valid_to IS NULL OR valid_to > ?) AND {owned}",
                [*named_params, stamp, stamp, *owned_params])}
        gone = sorted(owners - seen.visible_now)
        if gone:
            clause, values = self.read.one_of("owner_id", gone)
            ids |= {r["opportunity_id"] for r in self.read.rows(
                f"SELECT opportunity_id FROM {DEALS.name} WHERE {clause} AND valid_from <= ? "
                "AND (valid_to IS NULL OR valid_to > ?)", [*values, stamp, stamp])}
        if not ids:
            return
        named, named_params = self.read.one_of("opportunity_id", sorted(ids))
        for deal in self._by_id(
                f"SELECT opportunity_id FROM intervals_deal_heads WHERE {named}", named_params,
                "(i.valid_to IS NULL OR (i.valid_from <= ? AND i.valid_to > ?))",
                [stamp, stamp]).values():
            at = deal.at(self.at)
            if at is not None and seen.keeps(at) and deal.now["owner_id"] not in seen.visible_now:
                yield deal

    def _by_id(self, subquery: str, params: Sequence[Any], which: str,
               which_params: Sequence[Any]) -> dict[str, _Deal]:
        """The intervals (``which`` of them) of the deals ``subquery`` names, oldest first,
        with their products."""
        columns = ", ".join(f"i.{c.name}" for c in FACTS)
        found: dict[str, _Deal] = {}
        for row in self.read.rows(
                f"SELECT {columns}, h.products FROM {DEALS.name} i JOIN intervals_deal_heads h "
                f"ON h.opportunity_id = i.opportunity_id WHERE i.opportunity_id IN ({subquery}) "
                f"AND {which} ORDER BY i.opportunity_id, i.seq", [*params, *which_params]):
            deal = found.get(row["opportunity_id"])
            if deal is None:
                deal = found[row["opportunity_id"]] = _Deal(
                    list(self.read.value("json", row["products"]) or []))
            deal.rows.append({c.name: self.read.value(c.type, row[c.name]) for c in FACTS})
        return found
