"""``kill -9`` of the whole ``sfa serve --workers 2`` process group while keyed commands
arrive (captures, conversions, orders), then a restart: every key retried completes or
replays, no flow stays half done, the audit chain verifies, and the read models equal a
fresh rebuild. One trial of each crash window: wherever the kill landed under load, plus
the two windows it may miss, made on purpose while the server is down (a claim whose
capture was never written; a conversion stored but cut short before its steps)."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock
from uuid import UUID

import httpx
import pytest

from api.idempotency import scope_key_of
from infra.access.idempotency import IdempotencyStore
from infra.access.tokens import TokenStore
from infra.bootstrap import Sales, bootstrap
from infra.readside.readstore import REGISTRY
from infra.service.commands import CommandContext
from infra.service.flows.conversion import ConversionFlow
from infra.service.flows.runner import FLOW_STARTERS
from infra.settings import Settings
from infra.sql.database import Database
from projections.catalog import ALL
from tests.integration.serve import xdist_worker

PORT = 18431 + xdist_worker()  # one server per xdist worker
BASE = f"http://127.0.0.1:{PORT}"
LEASE = 2.0
SKUS = ("GW-1", "GW-2")
ROOT = Path(__file__).resolve().parents[2]


class Sent:
    """Every keyed request sent, and the first answer when one arrived."""

    def __init__(self) -> None:
        self.requests: dict[str, tuple[str, bytes]] = {}
        self.answers: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def send(self, client: httpx.Client, headers: dict[str, str], key: str, path: str,
             body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        with self.lock:
            self.requests[key] = (path, data)
        answer = client.post(path, content=data, headers={
            **headers, "Idempotency-Key": key, "Content-Type": "application/json"})
        if answer.status_code < 300:
            with self.lock:
                self.answers[key] = answer.json()


def _server(url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SFA_DATABASE_URL": url, "PYTHONPATH": str(ROOT),
           "SFA_IDEMPOTENCY_LEASE": str(LEASE), "SFA_FLOW_RESUME_INTERVAL": "1"}
    return subprocess.Popen([sys.executable, "-m", "workers.cli", "serve", "--workers", "2",
                             "--port", str(PORT)], env=env, cwd=ROOT, start_new_session=True,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _healthy(seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{BASE}/healthz", timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("the server did not become healthy")


def _stop(server: subprocess.Popen[bytes], signum: int) -> None:
    os.killpg(server.pid, signum)
    server.wait(timeout=60)


def _world(sales: Sales, token: str) -> tuple[list[str], list[str], str]:
    """Leads to convert, accounts to order for, and the rep who owns them."""
    setup = CommandContext(actor="setup")
    rep = str(sales.reps.hire(setup, name="Anna", email="anna@example.com", role="rep",
                              team="north", region="north").stream_id)
    for sku in SKUS:
        sales.stock.register(setup, sku=sku, name=sku, base_price=Decimal("10.00"),
                             reorder_level=1)
        sales.stock.receive(setup, sku, quantity=100_000)
    leads = [str(sales.leads.capture(setup, person=f"P {n}", company=f"C {n}",
                                     email=f"p{n}@c{n}.example", channel="web_form",
                                     region="north", owner_id=rep).stream_id)
             for n in range(40)]
    accounts = [str(sales.accounts.open(setup, name=f"A {n}", region="north",
                                        owner_id=rep).stream_id) for n in range(3)]
    return leads, accounts, rep


def _load(sent: Sent, headers: dict[str, str], leads: list[str], accounts: list[str],
          stop: threading.Event, worker: int) -> None:
    with httpx.Client(base_url=BASE, timeout=10) as client:
        n = 0
        while not stop.is_set():
            n += 1
            key, kind = f"w{worker}-{n}", n % 3
            try:
                if kind == 0:
                    sent.send(client, headers, key, "/v1/leads", {
                        "person": f"Q {key}", "company": f"Co {key}", "channel": "web_form",
                        "email": f"{key}@load.example", "region": "north"})
                elif kind == 1 and leads:
                    sent.send(client, headers, key, f"/v1/leads/{leads.pop()}/convert", {})
                else:
                    sent.send(client, headers, key, "/v1/orders", {
                        "account_id": accounts[n % len(accounts)],
                        "lines": [{"sku": SKUS[n % 2], "quantity": 1}]})
            except httpx.HTTPError:
                return  # the server is gone


def _windows(sales: Sales, db: Database, token: str, subject: str, leads: list[str],
             sent: Sent) -> None:
    """The crash windows made on purpose: a claim with nothing stored, a conversion whose
    first step was stored with its key but whose steps never ran, and one like it that
    nobody retries (the flows resume it by themselves)."""
    lead, orphan = leads
    store = IdempotencyStore(db, 0.01)
    auth = f"Bearer {token}".encode()
    capture = json.dumps({"person": "Never", "company": "Written", "channel": "web_form",
                          "email": "never@written.example", "region": "north"}).encode()
    for key, path, data in (("lost-capture", "/v1/leads", capture),
                            ("cut-conversion", f"/v1/leads/{lead}/convert", b"{}")):
        store.claim(scope_key_of(auth, path, key.encode()), hashlib.sha256(data).hexdigest())
        sent.requests[key] = (path, data)
    ctx = CommandContext(actor=subject, idempotency_key=f"{subject}:cut-conversion")
    with mock.patch.object(ConversionFlow, "complete"):
        sales.conversion.convert(ctx, lead)
        sales.conversion.convert(CommandContext(actor=subject), orphan)


def _retry_all(sent: Sent, headers: dict[str, str]) -> dict[str, httpx.Response]:
    answers = {}
    with httpx.Client(base_url=BASE, timeout=30) as client:
        for key, (path, data) in sent.requests.items():
            deadline = time.monotonic() + LEASE + 10
            while True:
                answer = client.post(path, content=data, headers={
                    **headers, "Idempotency-Key": key, "Content-Type": "application/json"})
                if answer.status_code != 409 or answer.json()["code"] != "request_in_progress":
                    break
                assert time.monotonic() < deadline, f"{key} still in progress after the lease"
                time.sleep(float(answer.headers["Retry-After"]))
            answers[key] = answer
    return answers


def _read_models(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    with db.reader() as conn:
        return {table.name: sorted(tuple(map(repr, row)) for row in conn.execute(
            f"SELECT * FROM {table.name}").fetchall())
                for projection in ALL for table in projection.tables}


def _at_head(db: Database, sales: Sales, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with db.reader() as conn:
            low = conn.execute(f"SELECT MIN(position) FROM {REGISTRY} "
                               "WHERE status = 'active'").fetchone()[0]
        if low is not None and low >= sales.store.max_position():
            return
        time.sleep(0.3)
    raise AssertionError("read models did not reach the head")


def _no_flow_half_done(sales: Sales) -> None:
    """Re-running every flow from the first event finds nothing left to store."""
    head = sales.store.max_position()
    runner = sales.flows
    for notification in sales.store.notifications(0, 100_000, FLOW_STARTERS):
        runner.rerun(notification)
    assert sales.store.max_position() == head


@pytest.fixture
def world(postgres_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    settings = Settings(database_url=postgres_url)
    sales, db = bootstrap(settings), Database(settings)
    token = TokenStore(db).create("admin", None)
    subject = TokenStore(db).verify(token).subject  # type: ignore[union-attr]
    leads, accounts, _ = _world(sales, token)
    yield {"url": postgres_url, "sales": sales, "db": db, "token": token, "subject": subject,
           "leads": leads, "accounts": accounts, "log": tmp_path / "serve.log"}
    sales.close()
    db.close()


def test_kill_9_under_load_then_every_key_completes_and_nothing_is_half_done(world):
    sales, db, token = world["sales"], world["db"], world["token"]
    headers = {"Authorization": f"Bearer {token}"}
    server = _server(world["url"], world["log"])
    try:
        _healthy()
        sent, stop = Sent(), threading.Event()
        spare = [world["leads"].pop(), world["leads"].pop()]
        clients = [threading.Thread(target=_load, args=(sent, headers, world["leads"],
                                                         world["accounts"], stop, w))
                   for w in range(3)]
        for client in clients:
            client.start()
        time.sleep(2.5)
        _stop(server, signal.SIGKILL)  # the whole group: API workers and projector process
        stop.set()
        for client in clients:
            client.join()
        assert len(sent.answers) > 10, world["log"].read_text()[-3000:]
        _windows(sales, db, token, world["subject"], spare, sent)

        server = _server(world["url"], world["log"])
        _healthy()
        orphan = sales.leads.get(spare[1]).conversion
        assert orphan is not None  # completed at start-up, before any retry:
        assert list(sales.accounts.get(orphan.account_id).contacts) == [orphan.contact_id]
        answers = _retry_all(sent, headers)
        failed = {k: (a.status_code, a.text) for k, a in answers.items() if a.status_code >= 300}
        assert not failed
        for key, first in sent.answers.items():  # a retry replays the first answer
            assert answers[key].json() == first, key
        cut = answers["cut-conversion"].json()
        assert list(sales.accounts.get(cut["account_id"]).contacts) == [cut["contact_id"]]
        assert sales.leads.get(answers["lost-capture"].json()["id"]).company == "Written"
        _at_head(db, sales)
    finally:
        if server.poll() is None:
            _stop(server, signal.SIGTERM)
    sales.store.cache.clear()
    _no_flow_half_done(sales)
    env = {**os.environ, "SFA_DATABASE_URL": world["url"], "PYTHONPATH": str(ROOT)}
    verify = subprocess.run([sys.executable, "-m", "workers.cli", "audit", "verify"], env=env,
                            cwd=ROOT, capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    live = _read_models(db)
    assert sum(map(len, live.values())) > 100
    rebuild = subprocess.run([sys.executable, "-m", "workers.cli", "projections", "rebuild",
                              "--all", "--workers", "1"], env=env, cwd=ROOT, capture_output=True,
                             text=True)
    assert rebuild.returncode == 0, rebuild.stderr
    assert _read_models(db) == live
    assert UUID(cut["opportunity_id"])
