"""Two API nodes (``sfa serve`` processes on their own ports, standing for two machines) and a
projector node (``sfa project``) against one PostgreSQL store, read models in a database of
their own: under concurrent commands sent to both nodes no update is lost, no stock is
oversold, and a write made through one node is read through the other with ``min_position``."""

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.serve import Server, running, serving

THREADS = 8


@pytest.fixture
def nodes(postgres_url: str, read_postgres_url: str, tmp_path: Path) -> Iterator[list[Server]]:
    apart = {"SFA_READ_DATABASE_URL": read_postgres_url}
    api_only = {**apart, "SFA_RUN_PROJECTORS": "false"}
    with ExitStack() as stack:
        servers = [stack.enter_context(serving(postgres_url, tmp_path, 1, api_only))
                   for _ in range(2)]
        stack.enter_context(running(postgres_url, tmp_path / "project.log", apart, "project"))
        for server in servers:
            server.until(lambda status, body: status == 200, 120)
        yield servers


class Client:
    """One admin token, used against either node."""

    def __init__(self, servers: list[Server]) -> None:
        self.servers, self.headers = servers, servers[0].admin()
        self.lock, self.newest = threading.Lock(), 0

    def send(self, node: int, method: str, path: str, body: Any = None,
             **headers: str) -> httpx.Response:
        answer = self.servers[node].http.request(method, path, json=body,
                                                 headers={**self.headers, **headers})
        if answer.status_code < 300 and "position" in answer.json():
            with self.lock:
                self.newest = max(self.newest, answer.json()["position"])
        return answer

    def made(self, node: int, path: str, body: Any) -> dict[str, Any]:
        answer = self.send(node, "POST", path, body)
        assert answer.status_code in (200, 201), answer.text
        return dict(answer.json())

    def read(self, node: int, path: str, position: int | None = None) -> dict[str, Any]:
        answer = self.servers[node].http.get(path, headers=self.headers, params={
            "min_position": self.newest if position is None else position})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


def _both_nodes(send: Callable[[int, int], httpx.Response], count: int) -> list[int]:
    """``send(node, i)`` for i in 0..count-1 from ``THREADS`` threads, alternating the
    nodes; the status codes."""
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda i: send(i % 2, i).status_code, range(count)))


def _customer(client: Client) -> str:
    manager = client.made(0, "/v1/reps", {"name": "Mia", "email": "mia@example.com",
                                          "role": "manager", "team": "north", "region": "north"})
    rep = client.made(1, "/v1/reps", {"name": "Rob", "email": "rob@example.com", "role": "rep",
                                      "team": "north", "region": "north",
                                      "manager_id": manager["id"]})
    return str(client.made(0, "/v1/accounts", {"name": "Acme", "region": "north",
                                               "owner_id": rep["id"]})["id"])


def _stock(client: Client, sku: str, quantity: int = 0) -> None:
    client.made(0, "/v1/stock-items", {"sku": sku, "name": sku, "base_price": "10.00",
                                       "reorder_level": 1})
    if quantity:
        client.made(1, f"/v1/stock-items/{sku}/receipts", {"quantity": quantity})


def test_orders_on_both_nodes_never_oversell(nodes: list[Server]):
    client = Client(nodes)
    account = _customer(client)
    _stock(client, "HOT", 20)

    codes = _both_nodes(lambda node, i: client.send(node, "POST", "/v1/orders", {
        "account_id": account, "lines": [{"sku": "HOT", "quantity": 3}]}), 16)

    assert sorted(codes) == [201] * 6 + [409] * 10  # 6 x 3 = 18 <= 20; a seventh needs 21
    for node in (0, 1):
        level = client.read(node, "/v1/inventory/HOT")
        assert (level["on_hand"], level["reserved"], level["available"]) == (20, 18, 2)


def test_receipts_on_both_nodes_lose_no_update(nodes: list[Server]):
    client = Client(nodes)
    _stock(client, "BULK", 1)

    codes = _both_nodes(lambda node, i: client.send(
        node, "POST", "/v1/stock-items/BULK/receipts", {"quantity": 1}), 40)

    assert codes == [200] * 40
    assert client.read(0, "/v1/inventory/BULK")["on_hand"] == 41
    assert client.read(1, "/v1/stock-items/BULK")["on_hand"] == 41


def test_one_version_wins_when_both_nodes_change_the_same_deal(nodes: list[Server]):
    client = Client(nodes)
    account = _customer(client)
    owner = client.read(0, f"/v1/accounts/{account}")["owner_id"]
    deal = client.made(1, "/v1/opportunities", {
        "account_id": account, "owner_id": owner, "name": "Roll-out", "amount": "1000",
        "expected_close": "2027-03-31"})["id"]
    stages = ["qualification", "proposal"]

    codes = _both_nodes(lambda node, i: client.send(
        node, "POST", f"/v1/opportunities/{deal}/stage", {"stage": stages[i % 2]},
        **{"If-Match": '"1"'}), 8)

    assert sorted(codes) == [200] + [409] * 7  # 409: a version conflict
    seen = [client.read(node, f"/v1/opportunities/{deal}") for node in (0, 1)]
    assert seen[0] == seen[1] and seen[0]["version"] == 2
    assert seen[0]["stage"] in stages


def test_a_write_through_one_node_is_read_through_the_other(nodes: list[Server]):
    client = Client(nodes)
    _stock(client, "RYW")

    for n in range(1, 11):
        writer = n % 2
        received = client.made(writer, "/v1/stock-items/RYW/receipts", {"quantity": 1})
        level = client.read(1 - writer, "/v1/inventory/RYW", received["position"])
        assert level["on_hand"] == n
