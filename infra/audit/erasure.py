"""``forget``: erases a data subject's personal data without touching a stored event.

The subject's key is destroyed (``subjects.KeyRing.forget``), so its encrypted fields in
every event — old and new — read as erased; its duplicate-key claims (normalised email,
phone and name keys, which are personal data too) are deleted. The lead and the contact
made from it are the same person, so forgetting either forgets both. Read models hold what
they read through the decrypting reader: rebuild them (``sfa projections rebuild --all``)
for their copies to go too; the command does it with ``--rebuild``.
"""

from dataclasses import dataclass

import orjson

from domain.errors import NotFoundError
from infra.eventstore.ids import parse_id
from infra.eventstore.recorders import KEYS_TABLE
from infra.eventstore.subjects import key_ring
from infra.sql.database import Connection, Database


@dataclass(frozen=True)
class Forgotten:
    subjects: tuple[str, ...]
    keys_destroyed: int
    claims_deleted: int


def same_person(db: Database, conn: Connection, subject: str) -> set[str]:
    """The subject and the lead or contacts that are the same person (conversion ties them);
    ``NotFoundError`` when the subject is neither a captured lead nor an added contact."""
    found, known = {subject}, _is_lead(db, conn, subject)
    statement = db.sql(f"SELECT state FROM {db.events_table} WHERE topic = ?")
    for (state,) in conn.execute(statement, ["ContactAdded"]).fetchall():
        data = orjson.loads(state)["data"]
        contact, lead = data["contact_id"], data.get("source_lead_id")
        known = known or contact == subject
        if lead and subject in (contact, lead):
            found |= {contact, lead}
    if not known:
        raise NotFoundError(f"no lead or contact {subject}")
    return found


def _is_lead(db: Database, conn: Connection, subject: str) -> bool:
    stream = db.dialect.stream_key(subject)
    row = conn.execute(db.sql(f"SELECT 1 FROM {db.events_table} WHERE originator_id = ? "
                              "AND topic = ? LIMIT 1"), [stream, "LeadCaptured"]).fetchone()
    return row is not None


def forget(db: Database, subject_id: str) -> Forgotten:
    subject = str(parse_id(subject_id, "subject_id"))
    conn = db.connect()
    try:
        subjects = sorted(same_person(db, conn, subject))
        destroyed = key_ring(db).forget(subjects)
        marks = ",".join("?" * len(subjects))
        with db.transaction(conn) as cursor:
            cursor.execute(db.sql(f"DELETE FROM {KEYS_TABLE} WHERE record_id IN ({marks})"),
                           subjects)
            deleted = cursor.rowcount
    finally:
        conn.close()
    return Forgotten(tuple(subjects), destroyed, deleted)
