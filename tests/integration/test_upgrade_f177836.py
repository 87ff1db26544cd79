"""A store written by f177836 (tests/fixtures/f177836: demo data, read models, a token, an
idempotent answer, a forgotten lead) opens with this code and is migrated in place with
nothing lost: counts, answers and ``sfa audit verify`` before and after, on both backends;
its token, made before tokens were events, is recorded as one at start-up."""

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from domain.dedup import normalise_email
from infra.bootstrap import bootstrap
from infra.bootstrap import read_models as open_read_models
from infra.eventstore.duplicate_keys import HASHED_PREFIX, SECRETS_TABLE
from infra.eventstore.recorders import KEYS_TABLE
from infra.readside.readstore import SqlReader
from infra.settings import Settings
from infra.sql.database import Database
from projections.funnel.queries import FunnelQueries
from tests.conftest import at

FIXTURES = Path(__file__).parents[1] / "fixtures" / "f177836"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
ROOT = Path(__file__).parents[2]
KEPT = ("sfa_audit_chain", "sfa_audit_links", "sfa_audit_moves", "sfa_subject_keys",
        "sfa_tokens", "sfa_idempotency", "sfa_duplicate_keys")  # never rewritten, only added to


@pytest.fixture(params=["sqlite", "postgresql"])
def old_store(request, tmp_path) -> tuple[str, dict]:
    """The fixture restored into a fresh database; its URL and expected values."""
    if request.param == "sqlite":
        path = tmp_path / "sfa.db"
        with gzip.open(FIXTURES / "sqlite.db.gz") as packed, path.open("wb") as out:
            shutil.copyfileobj(packed, out)
        return f"sqlite:///{path}", EXPECTED["sqlite"]
    url = request.getfixturevalue("postgres_url")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(gzip.decompress((FIXTURES / "postgresql.sql.gz").read_bytes()).decode())
    return url, EXPECTED["postgresql"]


def _rows(db: Database, statement: str, params: list | None = None) -> list[tuple]:
    conn = db.connect()
    try:
        cursor = conn.execute(db.sql(statement), params) if params else conn.execute(statement)
        return [tuple(r) for r in cursor.fetchall()]
    finally:
        conn.close()


def _count(db: Database, table: str) -> int:
    return int(_rows(db, f"SELECT COUNT(*) FROM {table}")[0][0])


def _verify(url: str) -> str:
    env = {**os.environ, "SFA_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "workers.cli", "audit", "verify"], env=env,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def _funnel(db: Database) -> list[dict]:
    models = open_read_models(Settings(database_url=db.settings.database_url))
    try:
        assert models.catch_up() == {}  # the new versions built from the first event
        return FunnelQueries(SqlReader(models.db, models.conn)).summary()
    finally:
        models.close()


def test_an_f177836_store_opens_migrated_with_nothing_lost(old_store):
    url, expected = old_store
    db = Database(Settings(database_url=url))
    events = expected["table_counts"]["stored_events" if db.backend == "sqlite" else "sfa_events"]
    before = {table: _count(db, table) for table in expected["table_counts"]}
    assert before == expected["table_counts"]
    assert _verify(url) == f"Intact: {events} events checked up to position {events}."
    plain = _rows(db, f"SELECT key, record_id FROM {KEYS_TABLE} WHERE key LIKE ?", ["email:%"])
    assert plain  # f177836 kept the emails in plain text

    sales = bootstrap(Settings(database_url=url))  # opening migrates
    try:
        keys = _rows(db, f"SELECT key, record_id FROM {KEYS_TABLE}")
        assert len(keys) == before["sfa_duplicate_keys"]
        assert all(key.startswith(HASHED_PREFIX) for key, _ in keys)
        assert _count(db, SECRETS_TABLE) == 1
        key, holder = plain[0]
        assert sales.store.find_claims([key]) == {key: holder}
        assert {t: _count(db, t) for t in KEPT} == {t: before[t] for t in KEPT}
        assert sales.store.max_position() == events

        stages = _funnel(db)
        assert [{k: s[k] if k in ("stage", "count") else str(s[k])
                 for k in ("stage", "count", "amount", "weighted_amount")} for s in stages
                if s["count"]] == expected["funnel"]["stages"]
        assert {s["currency"] for s in stages if s["count"]} == {"EUR"}  # demo data: euros

        email = normalise_email(key.removeprefix("email:"))
        again = sales.leads.capture(at(20), person="Someone New", company="Elsewhere",
                                    email=email, channel="web_form")
        assert sales.leads.get(str(again.stream_id)).duplicate_of == holder
        forgotten = sales.leads.capture(at(20), person="Ada Fixture", company="Fixture GmbH",
                                        email="ada@fixture.example", channel="web_form")
        assert sales.leads.get(str(forgotten.stream_id)).duplicate_of is None
        assert sales.leads.get(expected["forgotten_lead"]).email == "[erased]"
        head = sales.store.max_position()
    finally:
        sales.close()

    _funnel(db)  # seals the new events too
    assert head > events
    assert _verify(url) == f"Intact: {head} events checked up to position {head}."
    assert _count(db, "sfa_audit_chain") == head
    reopened = bootstrap(Settings(database_url=url))  # a second opening changes nothing
    try:
        assert _rows(db, f"SELECT key FROM {KEYS_TABLE} WHERE key NOT LIKE ?", ["hmac1:%"]) == []
        assert _count(db, KEYS_TABLE) == len(keys) + 3  # the new name keys and Ada's email
    finally:
        reopened.close()


# the very bytes f177836's API was sent with ``Idempotency-Key: fx-1`` (make.sh beside the fixture)
FIXTURE_CAPTURE = (b'{"person":"Ada Fixture","company":"Fixture GmbH","email":"ada@fixture.example",'
                   b'"phone":"+49 30 1234567","channel":"web_form","region":"north"}')


def _once_upgraded(client, path: str, headers: dict[str, str], seconds: float = 120):
    """The answer once the read model's new version is swapped in (503 upgrading until then)."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        answer = client.get(path, headers=headers)
        upgrading = answer.status_code == 503 and answer.json()["code"] == "read_model_upgrading"
        if not upgrading or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def test_an_f177836_store_serves_its_old_token_and_replays_its_old_idempotent_answer(old_store):
    """Over HTTP, as its users meet it after the upgrade: the admin token made by f177836 still
    opens the API, the funnel answers what f177836 answered, and the retry of the request it
    answered under ``Idempotency-Key: fx-1`` replays that answer and writes nothing."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.conftest import models_built

    url, expected = old_store
    headers = {"Authorization": f"Bearer {expected['admin_token']}"}
    with TestClient(create_app(Settings(database_url=url), run_projectors=True)) as client:
        models_built(client, seconds=120)
        during = client.get("/v1/funnel", headers=headers)  # the new version being built
        funnel = _once_upgraded(client, "/v1/funnel", headers)
        head = client.app.state.services.sales.store.max_position()  # type: ignore[attr-defined]
        replay = client.post("/v1/leads", content=FIXTURE_CAPTURE, headers={
            **headers, "Idempotency-Key": "fx-1", "Content-Type": "application/json"})
        after = client.app.state.services.sales.store.max_position()  # type: ignore[attr-defined]
        services = client.app.state.services  # type: ignore[attr-defined]
        issued = services.sales.store.counts_by_type().get("TokenIssued", 0)
        rows = services.tokens.list()

    # the token f177836 made, recorded as an event at start-up (tokens were not events then)
    assert issued == len(rows) >= 1
    assert during.status_code == 200 or (
        during.status_code == 503 and during.json()["code"] == "read_model_upgrading"
        and during.headers["Retry-After"] == "5"), during.text  # never a 500 on old tables
    assert funnel.status_code == 200, funnel.text
    assert [{k: s[k] for k in ("stage", "count", "amount", "weighted_amount")}
            for s in funnel.json()["stages"] if s["count"]] == expected["funnel"]["stages"]
    assert replay.status_code == 201, replay.text
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == expected["forgotten_lead"]
    assert after == head  # replayed, not captured again
