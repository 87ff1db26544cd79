"""A new generation of a big model goes live although indexing it outlasts the statement
timeout every connection has (5 s by default): building the indexes of a million-row model
takes longer than that, and swapping it in must not fail for it."""

from datetime import UTC, datetime, timedelta

from infra.readside.readstore import ReadStore, physical
from infra.settings import Settings
from infra.sql.database import Database
from projections.base import search_text
from projections.work_lists.projection import LEADS, WorkListsProjection

ROWS = 60_000
START = datetime(2026, 1, 1, tzinfo=UTC)


def _leads() -> list[dict[str, object]]:
    return [{"lead_id": f"lead-{n:06}", "person": f"Person {n}", "company": f"Company {n % 997}",
             "email": f"p{n}@c{n % 997}.example", "status": "open", "score": n % 100,
             "channel": "event", "region": "north", "owner_id": f"rep-{n % 50}",
             "captured_at": START + timedelta(minutes=n), "last_contact_at": None,
             "search": search_text(f"Person {n}", f"Company {n % 997}")} for n in range(ROWS)]


def test_indexes_longer_than_the_statement_timeout_still_swap_the_generation_in(postgres_url):
    filled, projection = Database(Settings(database_url=postgres_url)), WorkListsProjection()
    store, conn = ReadStore(filled), filled.connect()
    store.ensure_registry(conn)
    generation = store.create_generation(conn, projection).generation
    with filled.transaction(conn) as cursor:
        store.write_rows(cursor, LEADS, generation, [], [], new_rows=_leads())
    conn.close()
    impatient = Database(Settings(database_url=postgres_url, db_statement_timeout=0.02))
    conn = impatient.connect()
    try:
        # 20 ms: far less than building seven indexes (one of them GIN) over 60,000 rows takes
        assert ReadStore(impatient).activate(conn, projection, generation) is True
        indexes = {name for (name,) in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s",
            (physical(LEADS, generation),)).fetchall()}
        assert len(indexes) == len(LEADS.indexes) + 2  # the key's, each declared, the words'
        found = conn.execute("SELECT COUNT(*) FROM lists_leads").fetchone()[0]
        assert found == ROWS
    finally:
        conn.close()
        impatient.close()
        filled.close()
