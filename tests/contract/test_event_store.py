"""The event store's contract, run against SQLite and a real PostgreSQL server."""

from uuid import uuid4

import pytest

from domain import rep
from domain.catalog import AGGREGATES
from infra.bootstrap import event_store
from infra.errors import ConflictError
from infra.eventstore.codec import Metadata
from infra.eventstore.recorders import Group
from infra.eventstore.store import RecordedEvent
from tests.conftest import FIXED_NOW, ctx

REP = AGGREGATES["Rep"]


def _hired(rep_id: str) -> rep.RepHired:
    return rep.RepHired(rep_id, "Ann Example", "ann@example.com", "rep", "north", "north", None)


def _record(stream_id, version, event, actor="tester") -> RecordedEvent:
    meta = Metadata(str(uuid4()), FIXED_NOW.isoformat(), actor, "corr-1", "cause-1")
    return RecordedEvent(stream_id, version, event, meta)


def test_appended_events_read_back_equal_with_metadata(sales):
    stream_id = uuid4()
    records = [_record(stream_id, 1, _hired(str(stream_id))),
               _record(stream_id, 2, rep.RepMoved("south", "south", None))]
    sales.store.append(records)

    read = sales.store.read_stream(stream_id)

    assert [r.event for r in read] == [r.event for r in records]
    assert [r.meta for r in read] == [r.meta for r in records]
    assert [r.originator_version for r in read] == [1, 2]


def test_positions_follow_the_global_order_across_streams(sales):
    first, second = uuid4(), uuid4()
    p1 = sales.store.append([_record(first, 1, _hired(str(first)))])
    p2 = sales.store.append([_record(second, 1, _hired(str(second)))])
    p3 = sales.store.append([_record(first, 2, rep.RepMoved("x", "y", None))])

    assert p1 < p2 < p3
    notes = sales.store.notifications(after=0)
    assert [(n.originator_id, n.originator_version) for n in notes] == [
        (first, 1), (second, 1), (first, 2)]
    assert sales.store.max_position() == p3
    assert [sales.store.position_of(first, 1), sales.store.position_of(second, 1),
             sales.store.position_of(first, 2)] == [p1, p2, p3]
    assert sales.store.position_of(first, 3) is None and sales.store.position_of(uuid4(), 1) is None


def test_a_second_writer_of_the_same_version_conflicts_and_writes_nothing(sales):
    stream_id = uuid4()
    sales.store.append([_record(stream_id, 1, _hired(str(stream_id)))])
    before = sales.store.max_position()

    with pytest.raises(ConflictError):
        sales.store.append([_record(stream_id, 2, rep.RepMoved("a", "a", None)),
                            _record(stream_id, 1, _hired(str(stream_id)))])

    assert sales.store.max_position() == before
    assert len(sales.store.read_stream(stream_id)) == 1


def test_notifications_filter_by_event_type(sales):
    stream_id = uuid4()
    sales.store.append([_record(stream_id, 1, _hired(str(stream_id))),
                        _record(stream_id, 2, rep.RepMoved("a", "a", None)),
                        _record(stream_id, 3, rep.RepMoved("b", "b", None))])

    moved = sales.store.notifications(after=0, topics=["RepMoved"])

    assert [n.originator_version for n in moved] == [2, 3]
    assert sales.store.counts_by_type() == {"RepHired": 1, "RepMoved": 2}


def test_claimed_duplicate_keys_are_unique_and_atomic_with_the_events(sales):
    a, b = uuid4(), uuid4()
    sales.store.append([_record(a, 1, _hired(str(a)))], claimed_keys=[("email:x@y.z", str(a))])

    with pytest.raises(ConflictError):
        sales.store.append([_record(b, 1, _hired(str(b)))], claimed_keys=[("email:x@y.z", str(b))])

    assert sales.store.read_stream(b) == []
    assert sales.store.find_claims(["email:x@y.z", "phone:1"]) == {"email:x@y.z": str(a)}


def test_store_reopens_with_the_same_history(database_url):
    from infra.settings import Settings

    first = event_store(Settings(database_url=database_url))
    stream_id = uuid4()
    first.append([_record(stream_id, 1, _hired(str(stream_id)))])
    first.close()

    again = event_store(Settings(database_url=database_url))
    assert [r.event for r in again.read_stream(stream_id)] == [_hired(str(stream_id))]
    again.close()


def test_commands_record_actor_correlation_and_causation(sales):
    context = ctx(actor="rep:ann", correlation_id="req-7", causation_id="cmd-7")
    result = sales.reps.hire(context, name="Ann", email="ann@example.com", role="manager",
                             team="north", region="north")

    meta = sales.store.read_stream(result.stream_id)[0].meta
    assert (meta.actor, meta.correlation_id, meta.causation_id) == ("rep:ann", "req-7", "cmd-7")
    assert meta.occurred_at == FIXED_NOW.isoformat()
    assert meta.event_id == result.event_ids[0]


def test_an_old_event_shape_is_read_back_as_the_new_one(sales):
    """OpportunityOpened v1 had no currency: stored v1 bytes load as v2 with EUR."""
    import json

    from eventsourcing.persistence import StoredEvent

    from domain.opportunity import OpportunityOpened

    stream_id = uuid4()
    v1 = {"opportunity_id": str(stream_id), "account_id": "acc", "owner_id": "rep",
          "name": "Old deal", "amount": "1200.00", "expected_close": "2026-03-31",
          "products": ["Gateway"], "stage": "prospecting", "probability": 10,
          "source_lead_id": None}
    meta = {"event_id": "e", "occurred_at": FIXED_NOW.isoformat(), "actor": None,
            "correlation_id": "c", "causation_id": "c"}
    state = json.dumps({"schema_version": 1, "data": v1, "meta": meta}).encode()
    sales.store.recorder.insert_events([StoredEvent(stream_id, 1, "OpportunityOpened", state)])

    (read,) = sales.store.read_stream(stream_id)

    assert isinstance(read.event, OpportunityOpened)
    assert read.event.currency == "EUR" and read.event.name == "Old deal"
    deal = sales.opportunities.get(str(stream_id))
    assert (deal.currency, str(deal.amount), deal.stage) == ("EUR", "1200.00", "prospecting")



def test_processes_starting_together_on_a_new_database_all_create_the_schema(postgres_url):
    """``sfa serve --workers 2`` starts its workers at once on a database that may be new;
    each creates the store's tables, functions and types, and none may fail on the other's."""
    import multiprocessing

    spawn = multiprocessing.get_context("spawn")
    together, outcomes = spawn.Barrier(4), spawn.Queue()
    starters = [spawn.Process(target=_start_store, args=(postgres_url, together, outcomes))
                for _ in range(4)]
    for starter in starters:
        starter.start()
    results = sorted(outcomes.get(timeout=120) for _ in starters)
    for starter in starters:
        starter.join(30)
    assert results == ["ok"] * 4


def _start_store(url: str, together: object, outcomes: object) -> None:
    from infra.bootstrap import bootstrap
    from infra.settings import Settings

    together.wait(60)  # type: ignore[attr-defined]
    try:
        bootstrap(Settings(database_url=url)).close()
    except Exception as error:  # noqa: BLE001 — reported to the test as a value
        outcomes.put(f"{type(error).__name__}: {error}")  # type: ignore[attr-defined]
        return
    outcomes.put("ok")  # type: ignore[attr-defined]


def test_groups_stored_together_fail_alone_and_whole(sales):
    """One call, several commands: a group that conflicts with what is stored — a version
    taken by its second event, or a key claimed already — stores nothing of itself, and the
    other groups are stored all the same, in order."""
    taken, a, b, c = uuid4(), uuid4(), uuid4(), uuid4()
    sales.store.append([_record(taken, 1, _hired(str(taken)))], [("email:x@example.com", "t")])
    encode = sales.store.encode
    groups = [
        Group(encode([_record(a, 1, _hired(str(a))), _record(a, 2, rep.RepMoved("s", "s", None))])),
        Group(encode([_record(b, 1, _hired(str(b))), _record(taken, 1, _hired(str(taken)))])),
        Group(encode([_record(c, 1, _hired(str(c)))]), [("email:x@example.com", str(c))]),
        Group(encode([_record(c, 1, _hired(str(c)))]), [("email:c@example.com", str(c))]),
    ]

    positions = sales.store.insert_groups(groups)

    assert positions[1] is None and positions[2] is None
    assert positions[0] is not None and positions[3] is not None and positions[0] < positions[3]
    assert [len(sales.store.read_stream(s)) for s in (a, b, taken, c)] == [2, 0, 1, 1]
    assert sales.store.find_claims(["email:x@example.com", "email:c@example.com"]) == {
        "email:x@example.com": "t", "email:c@example.com": str(c)}


def test_a_group_whose_read_stream_changed_since_is_refused_alone(sales):
    """A command decided on a state it only read (an order on its account) conflicts if that
    stream has an event after the version it read; a group that read the current version,
    or a stream that does not exist yet, is stored."""
    account, fresh, a, b, c = uuid4(), uuid4(), uuid4(), uuid4(), uuid4()
    sales.store.append([_record(account, 1, _hired(str(account))),
                        _record(account, 2, rep.RepMoved("s", "s", None))])
    encode = sales.store.encode

    sales.store.append([_record(c, 1, _hired(str(c)))])

    positions = sales.store.insert_groups([
        Group(encode([_record(a, 1, _hired(str(a)))]), (), [(account, 1)]),
        Group(encode([_record(b, 1, _hired(str(b)))]), (), [(account, 2), (fresh, 0)]),
        Group(encode([_record(uuid4(), 1, _hired("x"))]), (), [(c, 0)]),
    ])

    assert positions[0] is None and positions[1] is not None
    assert positions[2] is None  # c was created after the version it read (0)
    assert [len(sales.store.read_stream(s)) for s in (a, b)] == [0, 1]
