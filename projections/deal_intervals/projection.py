"""Deal intervals: each deal's facts (stage, probability, amount, currency, owner, expected
close, open) with the interval of time they held, so any instant can be answered exactly
from the events' own times — not by replaying the store per request.

Tables
- ``intervals_deals``: one row per deal and interval, numbered ``seq`` from 1 — the facts as
  they stood from ``valid_from`` (the instant of the event that set them, UTC) until
  ``valid_to`` (the instant of the next change; null while they still hold). ``position``
  and ``change`` are that event's place in the global order and its type; ``actor`` who
  recorded it. A deal holds the facts of the row with ``valid_from <= t < valid_to`` (or
  ``valid_to`` null) at instant ``t``; before its first ``valid_from`` it did not exist.
  An event that changes none of the facts (a win after its stage change, a quote, a
  hand-over step) opens no interval.
- ``intervals_deal_heads``: each deal's current ``seq`` (the row with ``valid_to`` null).
"""

from typing import Any

from domain.opportunity import (
    OpportunityAmountChanged,
    OpportunityCloseDateChanged,
    OpportunityHandedOver,
    OpportunityOpened,
    OpportunityOwnerChanged,
    OpportunityStageChanged,
)
from domain.stages import Stage, is_open
from projections.base import Column, EventRecord, Projection, Rows, Table, on

FACTS = ("stage", "probability", "amount", "currency", "owner_id", "account_id",
         "expected_close", "open")
DEALS = Table("intervals_deals", (
    Column("opportunity_id"), Column("seq", "int"), Column("valid_from", "timestamp"),
    Column("valid_to", "timestamp"), Column("position", "bigint"), Column("change"),
    Column("actor"), Column("stage"), Column("probability", "int"), Column("amount", "numeric"),
    Column("currency"), Column("owner_id"), Column("account_id"), Column("expected_close", "date"),
    Column("open", "bool"),
), key=("opportunity_id", "seq"), indexes=(("valid_from",), ("owner_id",)))
HEADS = Table("intervals_deal_heads", (Column("opportunity_id"), Column("seq", "int")),
              key=("opportunity_id",))


class DealIntervalsProjection(Projection):
    name = "intervals"
    version = 1
    tables = (DEALS, HEADS)

    @on(OpportunityOpened)
    def _opened(self, e: EventRecord, opened: OpportunityOpened, rows: Rows) -> None:
        facts = {"stage": opened.stage, "probability": opened.probability,
                 "amount": opened.amount, "currency": opened.currency,
                 "owner_id": opened.owner_id, "account_id": opened.account_id,
                 "expected_close": opened.expected_close,
                 "open": is_open(Stage(opened.stage))}
        _begin(rows, e, 1, facts)

    @on(OpportunityStageChanged)
    def _stage(self, e: EventRecord, changed: OpportunityStageChanged, rows: Rows) -> None:
        _change(rows, e, stage=changed.to_stage, probability=changed.probability,
                open=is_open(Stage(changed.to_stage)))

    @on(OpportunityAmountChanged)
    def _amount(self, e: EventRecord, changed: OpportunityAmountChanged, rows: Rows) -> None:
        _change(rows, e, amount=changed.amount)

    @on(OpportunityCloseDateChanged)
    def _close_date(self, e: EventRecord, changed: OpportunityCloseDateChanged,
                    rows: Rows) -> None:
        _change(rows, e, expected_close=changed.expected_close)

    @on(OpportunityOwnerChanged)
    def _owner(self, e: EventRecord, changed: OpportunityOwnerChanged, rows: Rows) -> None:
        _change(rows, e, owner_id=changed.owner_id)

    @on(OpportunityHandedOver)
    def _handed_over(self, e: EventRecord, handed: OpportunityHandedOver, rows: Rows) -> None:
        _change(rows, e, owner_id=handed.to_rep_id)


def _begin(rows: Rows, e: EventRecord, seq: int, facts: dict[str, Any]) -> None:
    rows.put(DEALS.name, {"opportunity_id": e.stream_id, "seq": seq, "valid_from": e.occurred_at,
                          "valid_to": None, "position": e.position, "change": e.type,
                          "actor": e.meta.get("actor"), **facts})
    rows.put(HEADS.name, {"opportunity_id": e.stream_id, "seq": seq})


def _change(rows: Rows, e: EventRecord, **changes: Any) -> None:
    """Ends the deal's current interval at the event's instant and begins the next with the
    facts changed; nothing when no fact changes."""
    head = rows.get(HEADS.name, (e.stream_id,))
    if head is None:
        raise LookupError(f"opportunity {e.stream_id} was never opened")
    current = rows.get(DEALS.name, (e.stream_id, head["seq"]))
    assert current is not None, f"the head interval of {e.stream_id} is missing"
    facts = {name: current[name] for name in FACTS}
    if all(facts[name] == value for name, value in changes.items()):
        return
    rows.put(DEALS.name, {**current, "valid_to": e.occurred_at})
    _begin(rows, e, head["seq"] + 1, {**facts, **changes})
