"""Group commit on both backends: shared transactions, and only a race's loser fails."""

import asyncio
import gc
from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

import psycopg
import pytest

from domain import rep
from infra.errors import ConflictError, DatabaseUnavailableError
from infra.eventstore.group_commit import GroupCommitter, _Pending
from infra.eventstore.recorders import PLAN_SETTINGS, Group, _group_arrays
from tests.contract.test_event_store import _hired, _record


def test_a_batch_with_one_loser_stores_the_others_and_fails_only_the_loser(sales):
    taken, a, b = uuid4(), uuid4(), uuid4()
    sales.store.append([_record(taken, 1, _hired(str(taken)))])
    batch = [_Pending([_record(a, 1, _hired(str(a)))], ()),
             _Pending([_record(taken, 1, _hired(str(taken)))], ()),
             _Pending([_record(b, 1, _hired(str(b)))], ())]

    GroupCommitter(sales.store)._commit(batch)

    assert [p.done for p in batch] == [True, True, True]
    assert isinstance(batch[1].error, ConflictError)
    assert batch[0].error is None and batch[2].error is None
    assert batch[0].position < batch[2].position
    assert [len(sales.store.read_stream(s)) for s in (a, taken, b)] == [1, 1, 1]


def test_each_kind_of_conflict_fails_its_group_alone_and_the_rest_keep_batch_order(sales):
    """A version taken, a stream read that changed since, a key claimed before: each loses
    alone (on PostgreSQL found by one query under the table lock, with no block per group)."""
    taken, read, a, b, c = (uuid4() for _ in range(5))
    sales.store.append([_record(taken, 1, _hired(str(taken)))], [("email:x@example.com", "x")])
    sales.store.append([_record(read, 1, _hired(str(read)))])
    sales.store.append([_record(read, 2, _hired(str(read)))])  # moved on since version 1
    batch = [_Pending([_record(a, 1, _hired(str(a)))], ()),
             _Pending([_record(taken, 1, _hired(str(taken)))], ()),
             _Pending([_record(b, 1, _hired(str(b)))], (), unchanged=[(read, 1)]),
             _Pending([_record(c, 1, _hired(str(c))), _record(c, 2, _hired(str(c)))], ()),
             _Pending([_record(uuid4(), 1, _hired("y"))], [("email:x@example.com", "y")])]

    GroupCommitter(sales.store)._commit(batch)

    assert [type(p.error).__name__ for p in batch] == [
        "NoneType", "ConflictError", "ConflictError", "NoneType", "ConflictError"]
    assert batch[0].position < batch[3].position
    assert [len(sales.store.read_stream(s)) for s in (a, taken, b, c)] == [1, 1, 0, 2]


def test_on_postgresql_one_call_finds_each_kind_of_conflict_by_itself(pg_sales):
    """The fast append function alone (no fallback): losers answered NULL, the rest stored."""
    store = pg_sales.store
    taken, read, a, b = (uuid4() for _ in range(4))
    store.append([_record(taken, 1, _hired(str(taken)))], [("email:x@example.com", "x")])
    store.append([_record(read, 1, _hired(str(read)))])
    store.append([_record(read, 2, _hired(str(read)))])
    groups = [Group(store.encode([_record(a, 1, _hired(str(a)))])),
              Group(store.encode([_record(taken, 1, _hired(str(taken)))])),
              Group(store.encode([_record(b, 1, _hired(str(b)))]), (), [(read, 1)]),
              Group(store.encode([_record(uuid4(), 1, _hired("y"))]),
                    [("email:x@example.com", "y")])]

    with psycopg.connect(pg_sales.settings.database_url, autocommit=True) as conn:
        rows = conn.execute(store.recorder.append_together_statement,  # keys as stored: hashed
                            _group_arrays(store.duplicate_keys.groups(groups))).fetchall()

    answers = {group: position for group, position in rows}
    assert [answers[g] is None for g in (1, 2, 3, 4)] == [False, True, True, True]
    assert answers[1] == store.max_position()


def test_on_postgresql_the_append_functions_plan_their_statements_once(pg_sales):
    """Planned again for every call's arrays, a command stored alone spent about a quarter
    of its time planning (BENCHMARKS.md, stop 14); the plan made once still finds conflicts
    after many calls (the test above runs the function fresh)."""
    store = pg_sales.store
    with psycopg.connect(pg_sales.settings.database_url, autocommit=True) as conn:
        settings = dict(conn.execute(
            "SELECT proname, proconfig FROM pg_proc WHERE proname LIKE 'sfa_events_append%'"
        ).fetchall())
        taken = uuid4()
        store.append([_record(taken, 1, _hired(str(taken)))])
        for _ in range(8):  # past the five custom plans PostgreSQL tries first
            fresh = uuid4()
            rows = conn.execute(store.recorder.append_together_statement, _group_arrays(
                [Group(store.encode([_record(fresh, 1, _hired(str(fresh)))])),
                 Group(store.encode([_record(taken, 1, _hired(str(taken)))]))])).fetchall()
            assert sorted((group, position is None) for group, position in rows) == [
                (1, False), (2, True)]
    expected = [f"{name}={value}" for name, value in PLAN_SETTINGS.items()]
    assert settings == {name: expected
                        for name in ("sfa_events_append", "sfa_events_append_together")}


def test_a_group_whose_claims_collide_among_themselves_fails_alone(pg_sales):
    """The one case the single query cannot see: the call fails as a whole and the batch is
    stored again group by group, each in a block of its own."""
    twice, other = uuid4(), uuid4()
    groups = [Group(pg_sales.store.encode([_record(twice, 1, _hired(str(twice)))]),
                    [("email:twice@example.com", str(twice))] * 2),
              Group(pg_sales.store.encode([_record(other, 1, _hired(str(other)))]))]

    stored = pg_sales.store.recorder.insert_event_groups(groups)

    assert stored[0] is None and len(stored[1]) == 1
    assert [len(pg_sales.store.read_stream(s)) for s in (twice, other)] == [0, 1]
    assert pg_sales.store.recorder.find_claims(["email:twice@example.com"]) == {}


def test_a_shared_transaction_answers_each_append_its_own_position(sales):
    streams = [uuid4() for _ in range(3)]
    batch = [_Pending([_record(s, 1, _hired(str(s)))], ()) for s in streams]

    GroupCommitter(sales.store)._commit(batch)

    stored = {n.originator_id: n.id for n in sales.store.notifications(0)}
    assert [p.position for p in batch] == [stored[s] for s in streams]


def test_many_threads_append_everything_exactly_once(sales):
    committer = GroupCommitter(sales.store)
    streams = [uuid4() for _ in range(40)]

    with ThreadPoolExecutor(8) as pool:
        positions = list(pool.map(
            lambda s: committer.append([_record(s, 1, _hired(str(s)))]), streams))

    assert len(set(positions)) == 40
    stored = {n.originator_id: n.id for n in sales.store.notifications(0, limit=100)}
    assert [stored[s] for s in streams] == positions


def test_an_error_reaches_the_appending_thread(sales):
    stream = uuid4()
    committer = GroupCommitter(sales.store)
    committer.append([_record(stream, 1, _hired(str(stream)))])
    with pytest.raises(ConflictError):
        committer.append([_record(stream, 1, _hired(str(stream)))])


def test_two_appends_of_one_batch_at_the_same_version_fail_the_later_without_a_trip(sales):
    stream, other = uuid4(), uuid4()
    batch = [_Pending([_record(stream, 1, _hired(str(stream)))], ()),
             _Pending([_record(other, 1, _hired(str(other)))], ()),
             _Pending([_record(stream, 1, _hired(str(stream)))], ())]
    before = sales.store.max_position()

    GroupCommitter(sales.store)._commit(batch)

    assert batch[0].error is None and batch[1].error is None
    assert isinstance(batch[2].error, ConflictError)
    assert sales.store.max_position() == before + 2
    assert [len(sales.store.read_stream(s)) for s in (stream, other)] == [1, 1]


def test_two_appends_of_one_batch_claiming_one_key_fail_the_later(sales):
    a, b = uuid4(), uuid4()
    batch = [_Pending([_record(a, 1, _hired(str(a)))], [("email:x@y.z", str(a))]),
             _Pending([_record(b, 1, _hired(str(b)))], [("email:x@y.z", str(b))])]

    GroupCommitter(sales.store)._commit(batch)

    assert batch[0].error is None and isinstance(batch[1].error, ConflictError)
    assert sales.store.find_claims(["email:x@y.z"]) == {"email:x@y.z": str(a)}


def test_an_append_that_read_a_stream_an_earlier_one_of_its_batch_writes_fails_at_once(sales):
    a, b = uuid4(), uuid4()
    sales.store.append([_record(a, 1, _hired(str(a)))])
    batch = [_Pending([_record(a, 2, rep.RepMoved("s", "s", None))], ()),
             _Pending([_record(b, 1, _hired(str(b)))], (), unchanged=[(a, 1)])]

    GroupCommitter(sales.store)._commit(batch)

    assert batch[0].error is None and isinstance(batch[1].error, ConflictError)
    assert sales.store.read_stream(b) == []


def test_a_failed_write_answers_every_appending_thread(sales, monkeypatch):
    def store_down(groups):
        raise OSError("connection lost")

    monkeypatch.setattr(sales.store, "insert_groups", store_down)
    streams = [uuid4() for _ in range(6)]
    committer = GroupCommitter(sales.store)

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(lambda s: _outcome(
            lambda: committer.append([_record(s, 1, _hired(str(s)))])), streams))

    assert [type(o).__name__ for o in outcomes] == ["OSError"] * 6


def _outcome(fn):
    try:
        return fn()
    except Exception as error:  # noqa: BLE001
        return error


# the event loop's appends (append_async) -------------------------------------------------------

def _appends_at_once(committer, streams):
    async def all_at_once():
        return await asyncio.gather(
            *(committer.append_async([_record(s, 1, _hired(str(s)))]) for s in streams),
            return_exceptions=True)

    return asyncio.run(all_at_once())


def _count_transactions(sales, monkeypatch) -> list[int]:
    """The size of each batch stored, by the loop's own path (PostgreSQL) or a thread's."""
    transactions: list[int] = []
    if sales.store.writes_in_event_loop:
        real_async = sales.store.insert_groups_async

        async def counted(conn, groups):
            transactions.append(len(groups))
            return await real_async(conn, groups)

        monkeypatch.setattr(sales.store, "insert_groups_async", counted)
    else:
        real = sales.store.insert_groups
        monkeypatch.setattr(sales.store, "insert_groups",
                            lambda groups: transactions.append(len(groups)) or real(groups))
    return transactions


def _store_down(sales, monkeypatch) -> None:
    def store_down(*args):
        raise OSError("connection lost")

    async def store_down_async(*args):
        raise OSError("connection lost")

    monkeypatch.setattr(sales.store, "insert_groups", store_down)
    monkeypatch.setattr(sales.store, "insert_groups_async", store_down_async)


def test_appends_of_one_event_loop_share_transactions(sales, monkeypatch):
    transactions = _count_transactions(sales, monkeypatch)
    streams = [uuid4() for _ in range(20)]

    positions = _appends_at_once(GroupCommitter(sales.store), streams)

    stored = {n.originator_id: n.id for n in sales.store.notifications(0)}
    assert positions == [stored[s] for s in streams]  # each its own position, all stored
    assert sum(transactions) == 20 and len(transactions) < 20


def test_appends_a_few_loop_iterations_apart_still_share_one_transaction(sales, monkeypatch):
    """The loop's writer lets a few iterations pass before it takes a batch: requests
    decided meanwhile join it, instead of each paying for a transaction of its own."""
    transactions = _count_transactions(sales, monkeypatch)
    committer = GroupCommitter(sales.store)
    streams = [uuid4() for _ in range(5)]  # the last one 4 iterations after the first

    async def append_after(iterations, stream):
        for _ in range(iterations):
            await asyncio.sleep(0)
        return await committer.append_async([_record(stream, 1, _hired(str(stream)))])

    async def staggered():
        return await asyncio.gather(*(append_after(n, s) for n, s in enumerate(streams)))

    positions = asyncio.run(staggered())

    assert transactions == [len(streams)]
    stored = {n.originator_id: n.id for n in sales.store.notifications(0)}
    assert positions == [stored[s] for s in streams]


def test_a_loser_in_the_loop_fails_alone_and_an_error_reaches_every_coroutine(sales, monkeypatch):
    taken, a = uuid4(), uuid4()
    sales.store.append([_record(taken, 1, _hired(str(taken)))])
    outcomes = _appends_at_once(GroupCommitter(sales.store), [a, taken])
    assert isinstance(outcomes[0], int) and isinstance(outcomes[1], ConflictError)

    _store_down(sales, monkeypatch)
    outcomes = _appends_at_once(GroupCommitter(sales.store), [uuid4() for _ in range(5)])
    assert [type(o).__name__ for o in outcomes] == ["OSError"] * 5


def _cyclic_garbage_of(action) -> int:
    """How many objects ``action`` left that only the cyclic collector can free."""
    gc.collect()
    gc.disable()
    try:
        action()
        return gc.collect()
    finally:
        gc.enable()


async def _cyclic_garbage_of_async(action) -> int:
    gc.collect()
    gc.disable()
    try:
        await action()
        return gc.collect()
    finally:
        gc.enable()


def test_a_conflict_leaves_no_reference_cycle_for_the_collector(pg_sales):
    """A stored error's traceback held the appending frame, which held the error: each
    conflict left its states and events to the cyclic collector, whose pauses stalled the
    API's event loop under load. (PostgreSQL, where the API's load runs: on SQLite a
    conflict is an exception inside the library's transaction, which makes cycles of its
    own.)"""
    taken = uuid4()
    pg_sales.store.append([_record(taken, 1, _hired(str(taken)))])
    committer = GroupCommitter(pg_sales.store)

    async def conflicts_in_the_loop():
        async def ten_conflicts():
            outcomes = await asyncio.gather(*(committer.append_async(
                [_record(taken, 1, _hired(str(taken)))]) for _ in range(10)),
                return_exceptions=True)
            assert [type(o) for o in outcomes] == [ConflictError] * 10

        await ten_conflicts()  # the first makes the loop's queue and connection
        garbage = await _cyclic_garbage_of_async(ten_conflicts)
        await committer.aclose()
        return garbage

    def conflicts_in_threads():
        for _ in range(10):
            with pytest.raises(ConflictError):
                committer.append([_record(taken, 1, _hired(str(taken)))])

    assert asyncio.run(conflicts_in_the_loop()) == 0
    assert _cyclic_garbage_of(conflicts_in_threads) == 0


def test_two_event_loops_on_one_committer_each_get_their_answers(sales):
    committer = GroupCommitter(sales.store)
    streams = [[uuid4() for _ in range(8)] for _ in range(2)]

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda part: _appends_at_once(committer, part), streams))

    stored = {n.originator_id: n.id for n in sales.store.notifications(0)}
    assert answers == [[stored[s] for s in part] for part in streams]


def test_the_loop_stores_on_postgresql_without_a_thread_and_survives_a_lost_connection(pg_sales):
    committer = GroupCommitter(pg_sales.store)
    threads = []
    committer._commit = lambda batch: threads.append(batch)  # the thread path: must stay unused

    async def story():
        first = await asyncio.gather(*(committer.append_async([_record(s, 1, _hired(str(s)))])
                                       for s in (uuid4(), uuid4())))
        (queue,) = committer._loops.values()
        with psycopg.connect(pg_sales.settings.database_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (queue.connection.info.backend_pid,))
        lost = await asyncio.gather(committer.append_async([_record(uuid4(), 1, _hired("x"))]),
                                    return_exceptions=True)
        after = uuid4()
        again = await committer.append_async([_record(after, 1, _hired(str(after)))])
        await committer.aclose()
        return first, lost, after, again

    first, lost, after, again = asyncio.run(story())

    assert threads == []
    assert isinstance(lost[0], DatabaseUnavailableError)  # that request gets the error,
    assert isinstance(lost[0].__cause__, psycopg.OperationalError)  # ours (infra.sql.failures)
    stored = {n.originator_id: n.id for n in pg_sales.store.notifications(0)}
    assert sorted(first) == sorted(stored.values())[:2]
    assert stored[after] == again  # the next batch reconnected and was stored
