"""Duplicate keys are stored as keyed hashes, still find the earlier record, go with
``forget``, and a store holding plain keys is hashed in place when opened."""

import threading

from domain.dedup import duplicate_keys
from infra.audit import erasure
from infra.bootstrap import bootstrap
from infra.eventstore.duplicate_keys import HASHED_PREFIX, SECRETS_TABLE, DuplicateKeys
from infra.eventstore.recorders import KEYS_TABLE
from infra.settings import Settings
from infra.sql.database import Database
from tests.conftest import at


def _rows(db: Database, statement: str, params: list[object] | None = None) -> list[tuple]:
    conn = db.connect()
    try:
        return [tuple(r) for r in conn.execute(db.sql(statement), params or []).fetchall()]
    finally:
        conn.close()


def _claims(db: Database) -> list[tuple[str, str]]:
    return sorted(_rows(db, f"SELECT key, record_id FROM {KEYS_TABLE}"))


def _capture(sales, email, person="Lea Park", phone=None):
    return str(sales.leads.capture(at(2), person=person, company="Acme", email=email,
                                   phone=phone, channel="web_form", region="north").stream_id)


def test_keys_are_stored_hashed_and_still_find_the_duplicate(database_url, sales):
    db = Database(Settings(database_url=database_url))
    first = _capture(sales, "lea@acme.com", phone="+44 20 7946 0000")
    again = _capture(sales, "LEA+fair@Acme.com", person="Someone Else")

    stored = _claims(db)
    assert len(stored) == 4 and all(key.startswith(HASHED_PREFIX) for key, _ in stored)
    assert sorted(record for _, record in stored) == sorted([first] * 3 + [again])  # its name
    text = " ".join(key for key, _ in stored)
    assert "lea" not in text and "7946" not in text and "acme" not in text
    assert sales.leads.get(again).duplicate_of == first
    by_phone = _capture(sales, "other@elsewhere.example", person="X Y", phone="0044 20 79460000")
    assert sales.leads.get(by_phone).duplicate_of == first


def test_forget_deletes_the_hashed_keys_of_the_person(database_url, sales):
    db = Database(Settings(database_url=database_url))
    lea = _capture(sales, "lea@acme.com", phone="+44 20 7946 0000")
    other = _capture(sales, "ola@beta.example", person="Ola Nord")

    erasure.forget(db, lea)

    assert {record for _, record in _claims(db)} == {other}
    assert sales.store.find_claims(["email:lea@acme.com", "phone:442079460000"]) == {}
    assert sales.leads.get(_capture(sales, "lea@acme.com")).duplicate_of is None


def _make_old_store(database_url: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Leads captured, then the claim table put back as f177836 wrote it: plain keys, no
    secret."""
    sales = bootstrap(Settings(database_url=database_url))
    people = [("Lea Park", "lea@acme.com", "+44 20 7946 0000"), ("Ola Nord", "ola@beta.example",
                                                                 None)]
    leads = [_capture(sales, email, person, phone) for person, email, phone in people]
    sales.close()
    plain = sorted((key, lead) for lead, (person, email, phone) in zip(leads, people, strict=True)
                   for key in duplicate_keys(person, "Acme", email, phone))
    db = Database(Settings(database_url=database_url))
    conn = db.connect()
    with db.transaction(conn) as cursor:
        cursor.execute(f"DROP TABLE {SECRETS_TABLE}")
        cursor.execute(f"DELETE FROM {KEYS_TABLE}")
        cursor.executemany(db.sql(f"INSERT INTO {KEYS_TABLE} VALUES (?, ?)"), plain)
    conn.close()
    return leads, plain


def test_an_older_store_is_hashed_in_place_when_opened_twice_at_once(database_url):
    leads, plain = _make_old_store(database_url)
    db = Database(Settings(database_url=database_url))
    assert _claims(db) == plain

    hashers: list[DuplicateKeys] = []
    openers = [threading.Thread(target=lambda: hashers.append(DuplicateKeys.open(db)))
               for _ in range(2)]
    for opener in openers:
        opener.start()
    for opener in openers:
        opener.join()

    assert hashers[0].hash("email:x") == hashers[1].hash("email:x")
    assert _claims(db) == sorted(hashers[0].claims(plain))
    assert len(_rows(db, f"SELECT name FROM {SECRETS_TABLE}")) == 1
    sales = bootstrap(Settings(database_url=database_url))  # opened again: nothing changes
    try:
        assert _claims(db) == sorted(hashers[0].claims(plain))
        assert sales.leads.get(_capture(sales, "LEA@acme.com", "L P")).duplicate_of == leads[0]
    finally:
        sales.close()
