"""Hand-over read model: exact items after real departures, on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from domain import rep
from infra.bootstrap import read_models as open_read_models
from infra.readside.readstore import SqlReader
from infra.service.reps import REP
from infra.settings import Settings
from projections.base import EventRecord, Key, Row, Table
from projections.handovers.projection import OWNERSHIP, REPS, HandOverProjection
from projections.handovers.queries import HandOverQueries, ItemFilter
from tests.conftest import at

LOWER = "manager_introduces_successor_in_person"
MIDDLE = "departing_rep_calls_and_fixes_next_meeting"
UPPER = "successor_calls_customer"


@pytest.fixture
def models(database_url, sales):
    m = open_read_models(Settings(database_url=database_url), [HandOverProjection()])
    yield m
    m.close()


def _queries(models):
    models.catch_up()
    return HandOverQueries(SqlReader(models.db, models.conn))


def _hire(sales, name, role="rep", manager_id=None):
    return str(sales.reps.hire(at(1), name=name, email=f"{name.lower()}@example.com", role=role,
                               team="north", region="north", manager_id=manager_id).stream_id)


def _deal(sales, owner, account, stage):
    deal = str(sales.opportunities.open(at(2), account_id=account, owner_id=owner,
                                        name=f"{stage} deal", amount=Decimal(10000),
                                        expected_close=date(2027, 1, 31)).stream_id)
    sales.opportunities.change_stage(at(3), deal, stage=stage)
    return deal


def _world(sales):
    """Mia manages Ann (who will leave) and Bob (her successor); Ann owns one of everything."""
    mia = _hire(sales, "Mia", role="manager")
    ann, bob = _hire(sales, "Ann", manager_id=mia), _hire(sales, "Bob", manager_id=mia)
    acme = str(sales.accounts.open(at(2), name="Acme", region="north", owner_id=ann).stream_id)
    deals = {stage: _deal(sales, ann, acme, stage)
             for stage in ("qualification", "proposal", "negotiation")}
    lead = str(sales.leads.capture(at(2), person="Lia Lee", company="Leeco", email="lia@leeco.com",
                                   channel="web_form").stream_id)
    sales.leads.assign(at(3), lead, rep_id=ann)
    names = {mia: "Mia", ann: "Ann", bob: "Bob", acme: "Acme", lead: "Lia Lee (Leeco)",
             **{deal: f"{stage} deal" for stage, deal in deals.items()}}
    return {"mia": mia, "ann": ann, "bob": bob, "acme": acme, "lead": lead, **deals,
            "names": names}


def _item(kind, item_id, tier, action, actor, successor, due, status="pending", names=None):
    names = names or {}
    return {"kind": kind, "id": item_id, "name": names.get(item_id), "tier": tier,
            "action": action, "actor_id": actor, "actor_name": names.get(actor),
            "successor_id": successor, "successor_name": names.get(successor), "status": status,
            "due": due, "next_meeting_at": None, "waiting": tier == "upper" and due is None}


def _expected(w, successor, actor_middle, actor_upper, effective, status=None, upper_due=None):
    """The items of Ann's departure; the upper tier waits (no due day) until the lower and
    middle items are completed, unless ``upper_due`` says when it became due."""
    status = status or {}
    items = [
        ("account", w["acme"], "lower", LOWER, w["mia"], effective),
        ("opportunity", w["negotiation"], "lower", LOWER, w["mia"], effective),
        ("opportunity", w["proposal"], "middle", MIDDLE, actor_middle, effective),
        ("lead", w["lead"], "upper", UPPER, actor_upper, upper_due),
        ("opportunity", w["qualification"], "upper", UPPER, actor_upper, upper_due),
    ]
    found = [_item(k, i, t, a, actor, successor, due, status.get(i, "pending"), w["names"])
             for k, i, t, a, actor, due in items]
    # lower, middle, upper; then kind, then id
    return sorted(found, key=lambda r: ({"lower": 0, "middle": 1, "upper": 2}[r["tier"]],
                                        r["kind"], r["id"]))


def test_a_departure_lists_every_item_with_tier_action_actor_and_due(sales, models):
    w = _world(sales)
    sales.departure.depart(at(10), w["ann"], successor_id=w["bob"])
    q = _queries(models)

    assert q.departure(w["ann"]) == {"rep_id": w["ann"], "name": "Ann", "manager_id": w["mia"],
                                     "manager_name": "Mia", "successor_id": w["bob"],
                                     "successor_name": "Bob",
                                     "effective_date": date(2026, 11, 10), "stage": "departed",
                                     "noticed_at": None, "approved_at": None, "plan": {}}
    assert q.items_for(w["ann"]) == _expected(w, w["bob"], w["ann"], w["bob"],
                                              date(2026, 11, 10))
    assert [(i["kind"], i["tier"]) for i in q.items_for(w["ann"])] == [
        ("account", "lower"), ("opportunity", "lower"), ("opportunity", "middle"),
        ("lead", "upper"), ("opportunity", "upper")]
    assert q.summary(w["ann"]) == {"planned": 0, "pending": 5, "introduced": 0,
                                   "completed": 0}
    assert q.unassigned_for(w["ann"]) == []
    assert q.departed_with_leftovers() == []
    assert q.departure(w["bob"]) is None
    assert q.items_for(w["bob"]) == []


def test_items_narrowed_by_tier_status_overdue_and_person_and_paged(sales, models):
    """Lower and middle items are due on the effective day (10 Nov), upper ones a week after
    those are done (until then they wait, due on no day); Mia acts on the lower tier, Ann on
    the middle, Bob (the successor) on the upper."""
    w = _world(sales)
    sales.departure.depart(at(10), w["ann"], successor_id=w["bob"])
    sales.opportunities.advance_handover(at(11), w["negotiation"], status="introduced")
    sales.opportunities.advance_handover(at(12), w["negotiation"], status="completed")
    q = _queries(models)
    every = q.items_for(w["ann"])

    def ids(f: ItemFilter) -> list[str]:
        found = [i["id"] for i in q.items_for(w["ann"], f)]
        assert q.count(w["ann"], f) == len(found)
        return found

    assert ids(ItemFilter(tier="lower")) == [w["acme"], w["negotiation"]]
    assert ids(ItemFilter(status="completed")) == [w["negotiation"]]
    assert ids(ItemFilter(tier="lower", status="pending")) == [w["acme"]]
    # due before the day asked and not completed
    assert ids(ItemFilter(overdue_on=date(2026, 11, 10))) == []
    assert ids(ItemFilter(overdue_on=date(2026, 11, 11))) == [w["acme"], w["proposal"]]
    assert ids(ItemFilter(overdue_on=date(2026, 11, 18))) == [
        w["acme"], w["proposal"]]  # the upper tier waits for them: not overdue
    # a person named at departure: the items they act on or take over
    assert ids(ItemFilter(visible_to=w["mia"])) == [w["acme"], w["negotiation"]]
    assert ids(ItemFilter(visible_to=w["ann"])) == [w["proposal"]]
    assert ids(ItemFilter(visible_to=w["bob"])) == [i["id"] for i in every]
    assert q.summary(w["ann"], visible_to=w["mia"]) == {"planned": 0, "pending": 1,
                                                       "introduced": 0, "completed": 1}
    # pages of two, in the same order as the whole list, nothing lost or repeated
    pages = [q.items_for(w["ann"], ItemFilter(), 2, offset) for offset in (0, 2, 4, 6)]
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    assert [i for p in pages for i in p] == every and len(every) == q.count(w["ann"]) == 5


def test_advancing_a_hand_over_changes_only_that_item(sales, models):
    w = _world(sales)
    sales.departure.depart(at(10), w["ann"], successor_id=w["bob"])
    sales.opportunities.advance_handover(at(11), w["negotiation"], status="introduced")
    sales.leads.advance_handover(at(12), w["lead"], status="introduced")
    sales.leads.advance_handover(at(13), w["lead"], status="completed")
    q = _queries(models)

    assert q.items_for(w["ann"]) == _expected(
        w, w["bob"], w["ann"], w["bob"], date(2026, 11, 10),
        status={w["negotiation"]: "introduced", w["lead"]: "completed"})
    assert q.summary(w["ann"]) == {"planned": 0, "pending": 3, "introduced": 1,
                                   "completed": 1}
    assert q.summary() == q.summary(w["ann"])


def test_the_upper_tier_is_due_a_week_after_the_lower_and_middle_items_are_done(sales, models):
    w = _world(sales)
    sales.departure.depart(at(10), w["ann"], successor_id=w["bob"])
    meeting = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
    sales.opportunities.advance_handover(at(11), w["proposal"], status="introduced",
                                         next_meeting_at=meeting)  # Ann fixed the meeting
    steps = [(sales.accounts, w["acme"], "introduced"), (sales.accounts, w["acme"], "completed"),
             (sales.opportunities, w["negotiation"], "introduced"),
             (sales.opportunities, w["negotiation"], "completed"),
             (sales.opportunities, w["proposal"], "completed")]
    for n, (service, item, step) in enumerate(steps):
        assert all(i["due"] is None and i["waiting"] for i in _queries(models).items_for(
            w["ann"], ItemFilter(tier="upper"))), n  # still waiting
        service.advance_handover(at(12 + n // 2), item, status=step)
    q = _queries(models)

    done_on = date(2026, 11, 14)  # the last of them completed
    assert q.items_for(w["ann"]) == [
        {**i, "next_meeting_at": meeting if i["id"] == w["proposal"] else None}
        for i in _expected(w, w["bob"], w["ann"], w["bob"], date(2026, 11, 10),
                           status={w["acme"]: "completed", w["negotiation"]: "completed",
                                   w["proposal"]: "completed"},
                           upper_due=done_on + timedelta(days=7))]
    assert [i["id"] for i in q.items_for(w["ann"], ItemFilter(overdue_on=date(2026, 11, 22)))
            ] == [w["lead"], w["qualification"]]


def test_a_second_departure_hands_the_items_on_and_advancing_follows_the_latest(sales, models):
    w = _world(sales)
    cy = _hire(sales, "Cy", manager_id=w["mia"])
    w["names"][cy] = "Cy"
    sales.departure.depart(at(10), w["ann"], successor_id=w["bob"])
    sales.departure.depart(at(12), w["bob"], successor_id=cy)
    sales.opportunities.advance_handover(at(13), w["proposal"], status="introduced")
    q = _queries(models)

    assert q.items_for(w["ann"]) == _expected(w, w["bob"], w["ann"], w["bob"],
                                              date(2026, 11, 10))
    assert q.items_for(w["bob"]) == _expected(w, cy, w["bob"], cy, date(2026, 11, 12),
                                              status={w["proposal"]: "introduced"})
    assert q.summary() == {"planned": 0, "pending": 9, "introduced": 1, "completed": 0}
    assert q.departed_with_leftovers() == []


def test_an_interrupted_departure_shows_what_was_left_unassigned(sales, models):
    w = _world(sales)
    sales.opportunities.change_stage(at(4), w["qualification"], stage="closed_lost", reason="price")
    # Step 1 of the departure flow only, as if the process died before the hand-overs.
    sales.bus.handle(REP, UUID(w["ann"]), rep.DepartRep(sales.reps.ref(w["bob"]),
                                                         date(2026, 11, 10)), at(10))
    q = _queries(models)

    left = sorted([{"kind": "account", "id": w["acme"], "name": "Acme"},
                   {"kind": "lead", "id": w["lead"], "name": "Lia Lee (Leeco)"},
                   {"kind": "opportunity", "id": w["proposal"], "name": "proposal deal"},
                   {"kind": "opportunity", "id": w["negotiation"], "name": "negotiation deal"}],
                  key=lambda i: (i["kind"], i["id"]))
    assert q.unassigned_for(w["ann"]) == left  # the lost deal is closed: not left over
    assert q.unassigned_for(w["bob"]) == []  # Bob is still here
    assert q.departed_with_leftovers() == [{"rep_id": w["ann"], "successor_id": w["bob"],
                                            "items": left}]
    assert q.items_for(w["ann"]) == []

    sales.departure.hand_over(at(11), w["ann"])  # re-running the flow sweeps them up
    q = _queries(models)

    assert q.unassigned_for(w["ann"]) == []
    assert q.departed_with_leftovers() == []
    assert [(i["kind"], i["id"], i["tier"], i["due"]) for i in q.items_for(w["ann"])] == [
        ("account", w["acme"], "lower", date(2026, 11, 10)),
        ("opportunity", w["negotiation"], "lower", date(2026, 11, 10)),
        ("opportunity", w["proposal"], "middle", date(2026, 11, 10)),
        ("lead", w["lead"], "upper", None),  # waits for the lower and middle items
    ]


class MemoryRows:
    """An in-memory ``Rows`` for driving the projection with hand-built events."""

    def __init__(self, tables: tuple[Table, ...]) -> None:
        self.tables = {t.name: t for t in tables}
        self.data: dict[str, dict[Key, Row]] = {t.name: {} for t in tables}

    def get(self, table: str, key: Key) -> Row | None:
        row = self.data[table].get(key)
        return dict(row) if row is not None else None

    def put(self, table: str, row: Row) -> None:
        self.data[table][self.tables[table].key_of(row)] = dict(row)

    def delete(self, table: str, key: Key) -> None:
        self.data[table].pop(key, None)


def _event(position: int, stream: str, kind: str, **data: Any) -> EventRecord:
    meta = {"occurred_at": f"2026-11-{position:02d}T09:00:00+00:00", "actor": "tester"}
    return EventRecord(position, stream, 1, kind, data, meta)


def test_unit_an_item_the_flow_never_reached_stays_with_the_departed_rep():
    projection, rows = HandOverProjection(), MemoryRows(HandOverProjection.tables)
    hired = {"email": "x@example.com", "team": "t", "region": "r", "manager_id": None}
    for event in (
        _event(1, "ann", "RepHired", rep_id="ann", name="Ann", role="rep", **hired),
        _event(2, "bob", "RepHired", rep_id="bob", name="Bob", role="rep", **hired),
        _event(3, "acc", "AccountOpened", account_id="acc", name="Acme", industry=None,
               size=None, region="r", owner_id="ann"),
        _event(4, "opp", "OpportunityOpened", opportunity_id="opp", account_id="acc",
               owner_id="ann", name="d", amount="10", currency="EUR",
               expected_close="2027-01-31", products=[], stage="prospecting", probability=10,
               source_lead_id=None),
        _event(5, "opp", "OpportunityStageChanged", from_stage="prospecting",
               to_stage="closed_won", probability=100),
        _event(6, "ann", "RepDeparted", effective_date="2026-11-06", successor_id="bob"),
    ):
        projection.apply(event, rows)

    assert rows.get(OWNERSHIP.name, ("acc",)) == {
        "item_id": "acc", "kind": "account", "owner_id": "ann", "still_open": True,
        "last_departing_rep_id": None, "name": "Acme", "probability": 0, "account_id": None}
    assert rows.get(OWNERSHIP.name, ("opp",))["still_open"] is False  # type: ignore[index]
    ann = rows.get(REPS.name, ("ann",))
    assert ann is not None
    assert (ann["departed"], ann["effective_date"], ann["successor_id"]) == (
        True, date(2026, 11, 6), "bob")
