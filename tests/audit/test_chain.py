"""Tamper evidence: the sealed chain verifies when intact and names the first broken position
after a direct change to the events table, on SQLite and PostgreSQL."""

import pytest

from infra.audit.seal import Sealer
from infra.audit.verify import Verifier
from infra.settings import Settings
from infra.sql.database import Database
from tests.audit import tamper
from tests.audit.world import build


@pytest.fixture
def db(database_url, sales):
    build(sales)
    database = Database(Settings(database_url=database_url))
    conn = database.connect()
    Sealer(database, page=7).seal(conn)  # small pages: page edges are crossed
    conn.close()
    return database


WORKERS = [1]


@pytest.fixture(autouse=True, params=[1, 3], ids=["serial", "3-processes"])
def workers(request):
    """Each test also runs with the store shared out over three processes."""
    WORKERS[0] = request.param
    yield request.param
    WORKERS[0] = 1


def verify(db, start=1, checkpoints=None):
    conn = db.connect()
    try:
        return Verifier(db, page=5, workers=WORKERS[0], parallel_from=0).verify(
            conn, start, checkpoints)
    finally:
        conn.close()


def head(sales):
    return sales.store.max_position()


def test_an_intact_store_verifies_every_event(db, sales):
    verdict = verify(db)
    assert verdict.intact
    assert verdict.checked == head(sales) == verdict.head
    assert verdict.unsealed == 0


def test_events_after_the_sealed_head_are_unsealed_not_tampered(db, sales):
    sales.reps.hire(sales_ctx(), name="Cy", email="cy@example.com", role="rep", team="north",
                    region="north")
    verdict = verify(db)
    assert verdict.intact and verdict.unsealed == 1 and verdict.checked == head(sales) - 1


def sales_ctx():
    from tests.conftest import at
    return at(20)


def test_altered_bytes_are_named(db):
    tamper.alter(db, 9)
    verdict = verify(db)
    assert (verdict.broken.position, verdict.broken.kind) == (9, "altered")
    assert verdict.checked == 8


def test_a_removed_event_is_named(db):
    tamper.delete(db, 11)
    verdict = verify(db)
    assert (verdict.broken.position, verdict.broken.kind) == (11, "removed")


def test_removing_the_last_sealed_event_is_named(db, sales):
    last = head(sales)
    tamper.delete(db, last)
    verdict = verify(db)
    assert (verdict.broken.position, verdict.broken.kind) == (last, "removed")


def test_removing_the_first_event_is_named(db):
    tamper.delete(db, 1)
    assert (verify(db).broken.position, verify(db).broken.kind) == (1, "removed")


def test_two_swapped_events_break_at_the_first(db):
    tamper.swap(db, 6, 10)
    verdict = verify(db)
    assert (verdict.broken.position, verdict.broken.kind) == (6, "altered")


def test_an_inserted_event_is_named(database_url, sales):
    """A gap inside the sealed range (a position that was never an event) is filled with a
    forged event."""
    build(sales)
    database = Database(Settings(database_url=database_url))
    gap = head(sales) - 3
    tamper.delete(database, gap)  # before sealing: a hole the chain never had
    conn = database.connect()
    Sealer(database, page=7).seal(conn)
    conn.close()
    assert verify(database).intact
    tamper.insert_copy(database, source=2, at_position=gap, version=99)
    verdict = verify(database)
    assert (verdict.broken.position, verdict.broken.kind) == (gap, "inserted")


def test_verify_from_a_position_checks_only_the_rest(db, sales):
    tamper.alter(db, 3)
    verdict = verify(db, start=5)
    assert verdict.intact and verdict.checked == head(sales) - 4


def test_a_rewritten_chain_is_caught_by_a_published_checkpoint(db, sales):
    conn = db.connect()
    (published,) = conn.execute(db.sql("SELECT hash FROM sfa_audit_chain WHERE position = ?"),
                                [12]).fetchone()
    conn.execute("DELETE FROM sfa_audit_chain")
    conn.close()
    tamper.alter(db, 9)
    conn = db.connect()
    Sealer(db).seal(conn)  # the attacker reseals everything from the altered event on
    conn.close()
    assert verify(db).intact
    verdict = verify(db, checkpoints={12: bytes(published)})
    assert (verdict.broken.position, verdict.broken.kind) == (12, "checkpoint")


def test_removing_the_last_sealed_event_is_named_while_newer_ones_wait_unsealed(db, sales):
    last = head(sales)
    for n in range(last):  # as many unsealed as sealed: a process's range lies past the head
        sales.reps.hire(sales_ctx(), name=f"New {n}", email=f"new{n}@example.com", role="rep",
                        team="north", region="north")
    tamper.delete(db, last)
    verdict = verify(db)
    assert (verdict.broken.position, verdict.broken.kind) == (last, "removed")
