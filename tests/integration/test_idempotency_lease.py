"""Idempotency keys survive a crash: a claim left by a dead process is taken over after its
lease, and the retry answers from what that process stored (never writing twice)."""

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.idempotency import scope_key_of
from infra.access.idempotency import TABLE, IdempotencyStore
from infra.settings import Settings
from infra.sql.database import Database
from infra.sql.failures import translated
from tests.conftest import Api, models_built

LEASE = 0.5
OLD_TABLE = f"""CREATE TABLE {TABLE} (scope_key TEXT PRIMARY KEY, request_hash TEXT NOT NULL,
    status INTEGER, body TEXT, created_at TEXT NOT NULL)"""  # as commit f177836 made it
REP = {"name": "Anna Schmidt", "email": "anna@example.com", "role": "rep", "team": "north",
       "region": "north"}
LEAD = {"person": "Clara Weber", "company": "Nordlicht GmbH", "email": "clara@nordlicht.example",
        "channel": "web_form", "region": "north"}


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    found = Database(Settings(database_url=database_url))
    yield found
    found.close()


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    from api.app import create_app

    settings = Settings(database_url=database_url, pool_size=4, idempotency_lease=LEASE)
    with TestClient(create_app(settings, run_projectors=True),
                    raise_server_exceptions=False) as client:
        models_built(client)
        yield Api(client, client.app.state.services.sales)  # type: ignore[attr-defined]


def test_a_table_of_the_first_release_is_migrated_in_place(db: Database):
    with db.reader() as conn, db.transaction(conn) as cursor:
        cursor.execute(OLD_TABLE)
        cursor.execute(db.sql(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?)"),
                       ("done-key", "h1", 201, json.dumps({"id": "x"}), "2026-01-01"))
        cursor.execute(db.sql(f"INSERT INTO {TABLE} VALUES (?, ?, NULL, NULL, ?)"),
                       ("stuck-key", "h2", "2026-01-01"))

    store = IdempotencyStore(db, LEASE)
    IdempotencyStore(db, LEASE)  # a second process opening it finds it migrated

    assert store.claim("done-key", "h1").answer == (201, {"id": "x"})
    assert store.claim("stuck-key", "h2").outcome == "taken_over"  # no lease: its owner is gone
    assert store.claim("stuck-key", "other").outcome == "mismatch"


def test_a_claim_waits_for_its_lease_then_exactly_one_retry_takes_it_over(db: Database):
    store = IdempotencyStore(db, LEASE)
    first = store.claim("k", "h")
    waiting = store.claim("k", "h")
    assert (first.outcome, waiting.outcome) == ("new", "pending")
    assert 0 < waiting.retry_after <= LEASE

    time.sleep(LEASE + 0.1)
    outcomes: list[str] = []
    racers = [threading.Thread(target=lambda: outcomes.append(store.claim("k", "h").outcome))
              for _ in range(4)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()

    assert sorted(outcomes) == ["pending", "pending", "pending", "taken_over"]
    assert store.renew("k", first.claimant or "") is False  # the dead one lost it
    store.release("k", first.claimant or "", refused=True)  # ...and cannot drop it
    assert store.claim("k", "h").outcome == "pending"


def test_a_running_request_keeps_its_claim_by_renewing_it(db: Database):
    store = IdempotencyStore(db, LEASE)
    claim = store.claim("k", "h")
    for _ in range(4):
        time.sleep(LEASE / 2)
        assert store.renew("k", claim.claimant or "")
    assert store.claim("k", "h").outcome == "pending"


def _post(api: Api, path: str, body: dict, headers: dict[str, str]):
    return api.client.post(path, content=json.dumps(body),
                           headers={**headers, "Content-Type": "application/json"})


def _left_by_a_dead_process(api: Api, headers: dict[str, str], path: str, key: str,
                            body: dict) -> None:
    """What ``kill -9`` between storing a command and its answer leaves: a claim with no
    answer, whose lease runs out."""
    store = IdempotencyStore(api.client.app.state.services.db, LEASE)  # type: ignore[attr-defined]
    scope_key = scope_key_of(headers["Authorization"].encode(), path, key.encode())
    with store.db.reader() as conn:
        conn.execute(store.db.sql(f"DELETE FROM {TABLE} WHERE scope_key = ?"), (scope_key,))
    claim = store.claim(scope_key, hashlib.sha256(json.dumps(body).encode()).hexdigest())
    assert claim.outcome == "new"
    refused = _post(api, path, body, {**headers, "Idempotency-Key": key})
    assert (refused.status_code, refused.json()["code"]) == (409, "request_in_progress")
    assert int(refused.headers["Retry-After"]) >= 1
    time.sleep(LEASE + 0.1)


def test_a_capture_never_written_runs_when_retried_after_the_lease(api: Api):
    admin = api.token("admin")
    _left_by_a_dead_process(api, admin, "/v1/leads", "capture-1", LEAD)

    retried = _post(api, "/v1/leads", LEAD, {**admin, "Idempotency-Key": "capture-1"})
    again = _post(api, "/v1/leads", LEAD, {**admin, "Idempotency-Key": "capture-1"})

    assert retried.status_code == 201, retried.text
    assert (again.status_code, again.json()) == (201, retried.json())
    assert api.sales.leads.get(retried.json()["id"]).company == "Nordlicht GmbH"


def test_a_stored_receipt_is_not_received_twice_when_retried_after_the_lease(api: Api):
    admin = api.token("admin")
    item = {"sku": "GW-1", "name": "Gateway", "base_price": "10.00", "reorder_level": 1}
    assert _post(api, "/v1/stock-items", item, admin).status_code == 201
    receipt = {"quantity": 5}
    path, headers = "/v1/stock-items/GW-1/receipts", {**admin, "Idempotency-Key": "receipt-1"}
    assert _post(api, path, receipt, headers).status_code == 200
    with api.client.app.state.services.db.reader() as conn:  # type: ignore[attr-defined]
        conn.execute(f"UPDATE {TABLE} SET status = NULL, body = NULL, lease_until = 0")
    before = api.events()

    retried = _post(api, path, receipt, headers)

    assert retried.status_code == 200, retried.text
    assert api.events() == before
    assert api.sales.stock.get("GW-1").on_hand == 5


def test_a_conversion_cut_short_is_completed_by_its_retry(api: Api, monkeypatch):
    admin = api.token("admin")
    rep = _post(api, "/v1/reps", REP, admin).json()["id"]
    mine = api.token("rep", rep)
    lead = _post(api, "/v1/leads", LEAD, mine).json()["id"]
    flow = type(api.sales.conversion)

    def stalled(*args: object) -> None:  # what the store raises when a statement times out
        raise translated(psycopg.errors.QueryCanceled("canceling statement due to statement timeout"))

    with monkeypatch.context() as patched:  # the database stalls after the first step
        patched.setattr(flow, "_ensure_contact", stalled)
        cut = _post(api, f"/v1/leads/{lead}/convert", {}, {**mine, "Idempotency-Key": "c-1"})
    assert (cut.status_code, cut.json()["code"]) == (503, "database_unavailable")
    assert cut.headers["Retry-After"] == "2"

    retried = _post(api, f"/v1/leads/{lead}/convert", {}, {**mine, "Idempotency-Key": "c-1"})

    assert retried.status_code == 201, retried.text
    done = retried.json()
    account = api.sales.accounts.get(done["account_id"])
    assert list(account.contacts) == [done["contact_id"]]
    assert api.sales.opportunities.get(done["opportunity_id"]).account_id == done["account_id"]
    converted = [r for r in api.sales.store.read_stream(UUID(lead))
                 if type(r.event).__name__ == "LeadConverted"]
    assert len(converted) == 1
