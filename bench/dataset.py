"""A large, consistent event history for benchmarks, written straight into the events table.

Events are real domain event objects in orders the domain allows (a lead is captured,
scored, assigned, worked, qualified, converted; the opportunity moves through stages and is
won or lost; won deals become orders that reserve and ship stock), encoded by the store's
own codec, and bulk-loaded (COPY on PostgreSQL) — so every read model can project them, at
a fraction of the time the command path would take for a million events.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from domain import account, lead, opportunity, order, rep, stock_item
from domain.events import Event
from domain.pricing import PricedLine
from domain.scoring import ScoreFactor
from infra.eventstore.codec import Metadata, encode
from infra.eventstore.ids import NAMESPACE, stock_item_id
from infra.sql.database import Database

STAGES = ("qualification", "proposal", "negotiation")
PROBABILITY = {"prospecting": 10, "qualification": 25, "proposal": 50, "negotiation": 75,
               "closed_won": 100, "closed_lost": 0}


@dataclass
class Writer:
    """Collects (stream id, version, topic, state) rows with per-stream versions."""

    rng: random.Random
    now: datetime
    rows: list[tuple[UUID, int, str, bytes]] = field(default_factory=list)
    versions: dict[UUID, int] = field(default_factory=dict)
    most_seconds: int = 40  # between two events: 1 to this many, at random

    def emit(self, stream_id: UUID, event: Event, actor: str = "bench") -> None:
        version = self.versions.get(stream_id, 0) + 1
        self.versions[stream_id] = version
        self.now += timedelta(seconds=self.rng.randint(1, self.most_seconds))
        event_id = str(uuid5(stream_id, str(version)))
        meta = Metadata(event_id, self.now.isoformat(), actor, event_id, event_id)
        self.rows.append((stream_id, version, event.type_name(), encode(event, meta)))


def _id(kind: str, n: int) -> UUID:
    return uuid5(NAMESPACE, f"bench:{kind}:{n}")


def _setup(w: Writer, reps: int, skus: int) -> tuple[list[str], list[str]]:
    rep_ids = []
    for r in range(reps):
        rid = _id("rep", r)
        w.emit(rid, rep.RepHired(str(rid), f"Rep {r}", f"rep{r}@bench.example", "rep",
                                 f"team-{r % 5}", f"region-{r % 5}", None))
        w.emit(rid, rep.RepQuotaSet("2026-Q4", Decimal(100000)))
        rep_ids.append(str(rid))
    sku_names = [f"B-{s:04d}" for s in range(skus)]
    for sku in sku_names:
        sid = stock_item_id(sku)
        w.emit(sid, stock_item.StockItemRegistered(sku, f"Item {sku}", "", Decimal("50.00"), 10))
        w.emit(sid, stock_item.StockReceived(10_000_000))
    return rep_ids, sku_names


def _lead(w: Writer, n: int, owner: str) -> UUID:
    lid = _id("lead", n)
    email = f"person{n}@company{n}.example"
    w.emit(lid, lead.LeadCaptured(str(lid), "web_form", f"Person {n}", f"Company {n}", email,
                                  None, "software", 120, "north", ("Gateway",),
                                  (f"email:{email}",), None))
    w.emit(lid, lead.LeadScored(41, (ScoreFactor("industry", 15, "software"),
                                     ScoreFactor("channel", 8, "web_form"))))
    w.emit(lid, lead.LeadAssigned(owner, "round_robin", None))
    w.emit(lid, lead.LeadInteractionLogged(f"i-{n}", "call", "first call", "interested"))
    w.emit(lid, lead.LeadFollowUpScheduled(f"f-{n}", date(2026, 12, 1), "send offer"))
    w.emit(lid, lead.LeadFollowUpCompleted(f"f-{n}", "sent"))
    w.emit(lid, lead.LeadQualified())
    return lid


def _deal(w: Writer, n: int, lid: UUID, owner: str) -> tuple[UUID, UUID, bool]:
    aid, oid = _id("account", n), _id("opportunity", n)
    amount = Decimal(w.rng.choice([5, 10, 20, 40])) * 1000
    w.emit(lid, lead.LeadConverted(str(aid), str(_id("contact", n)), str(oid), False,
                                   f"Deal {n}", amount, date(2027, 1, 31)))
    w.emit(aid, account.AccountOpened(str(aid), f"Company {n}", "software", 120, "north", owner))
    w.emit(aid, account.ContactAdded(str(_id("contact", n)), f"Person {n}", f"p{n}@c.example",
                                     None, None, (), (), str(lid)))
    w.emit(oid, opportunity.OpportunityOpened(str(oid), str(aid), owner, f"Deal {n}", amount,
                                              "EUR", date(2027, 1, 31), ("Gateway",),
                                              "prospecting", 10, str(lid)))
    w.emit(oid, opportunity.OpportunityEvaluated(6, 7, 5, 4, "medium", 59))
    stage = "prospecting"
    for to in STAGES[: w.rng.randint(1, 3)]:
        w.emit(oid, opportunity.OpportunityStageChanged(stage, to, PROBABILITY[to]))
        stage = to
    outcome = w.rng.random()
    if outcome < 0.3:
        w.emit(oid, opportunity.OpportunityStageChanged(stage, "closed_won", 100))
        w.emit(oid, opportunity.OpportunityWon(amount, "EUR"))
        return aid, oid, True
    if outcome < 0.55:
        w.emit(oid, opportunity.OpportunityStageChanged(stage, "closed_lost", 0))
        w.emit(oid, opportunity.OpportunityLost("price", None))
    return aid, oid, False


def _order(w: Writer, n: int, aid: UUID, oid: UUID, skus: list[str]) -> None:
    order_id = _id("order", n)
    sku = w.rng.choice(skus)
    sid = stock_item_id(sku)
    line = PricedLine(sku, 4, Decimal("50.00"), Decimal("46.00"), "base_price+grade_discount:A(-8%)",
                      Decimal("184.00"))
    w.emit(order_id, order.OrderPlaced(str(order_id), str(aid), str(oid), (line,),
                                       Decimal("184.00"), "EUR", False))
    w.emit(sid, stock_item.StockReserved(str(order_id), 4))
    w.emit(order_id, order.OrderReserved())
    w.emit(order_id, order.OrderConfirmed())
    w.emit(order_id, order.OrderShipped("s1", (order.ShipmentLine(sku, 4),), True))
    w.emit(sid, stock_item.StockShipped(str(order_id), "s1", 4))
    w.emit(order_id, order.OrderInvoiced(f"INV-{n}", Decimal("184.00")))
    w.emit(order_id, order.OrderPaid(Decimal("184.00"), f"P-{n}"))


def generate(total: int, seed: int = 1, chunk: int = 20_000) -> Iterator[list[tuple[Any, ...]]]:
    """Yields chunks of rows until about ``total`` events were generated."""
    w = Writer(random.Random(seed), datetime(2026, 1, 1, tzinfo=UTC))
    rep_ids, skus = _setup(w, reps=50, skus=100)
    emitted, n = 0, 0
    while emitted + len(w.rows) < total:
        owner = rep_ids[n % len(rep_ids)]
        lid = _lead(w, n, owner)
        if w.rng.random() < 0.6:
            aid, oid, won = _deal(w, n, lid, owner)
            if won:
                _order(w, n, aid, oid, skus)
        n += 1
        if len(w.rows) >= chunk:
            emitted += len(w.rows)
            yield w.rows
            w.rows = []
    if w.rows:
        yield w.rows


def load(db: Database, total: int, seed: int = 1) -> int:
    """Appends the generated history to the (empty) events table; returns the event count."""
    conn = db.connect()
    count = 0
    try:
        for rows in generate(total, seed):
            count += len(rows)
            _insert(db, conn, rows)
    finally:
        conn.close()
    return count


def _insert(db: Database, conn: Any, rows: list[tuple[Any, ...]]) -> None:
    if db.backend == "postgresql":
        with conn.transaction(), conn.cursor() as cursor, cursor.copy(
                f"COPY {db.events_table} (originator_id, originator_version, topic, state) "
                "FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    with db.transaction(conn) as cursor:
        cursor.executemany(f"INSERT INTO {db.events_table} VALUES (?, ?, ?, ?)",
                           [(r[0].hex, r[1], r[2], r[3]) for r in rows])
