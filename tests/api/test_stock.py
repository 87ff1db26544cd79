"""HTTP: stock items — registration, receipts, adjustments, price changes and the item's state;
each error code, and that refused or invalid commands write nothing."""

import pytest

from domain.stock_item import ReserveStock
from infra.eventstore.ids import stock_item_id
from infra.service.stock import STOCK_ITEM
from tests.conftest import Api, ctx

ITEM = {"sku": "GW-200", "name": "Gateway 200", "base_price": "1200.00", "reorder_level": 10,
        "specification": "4 ports"}


def _as(api: Api, role: str) -> dict[str, str]:
    """Headers of a token for ``role``; reps and managers are hired first (tokens name them)."""
    if role not in ("rep", "manager"):
        return api.token(role)
    hired = api.sales.reps.hire(ctx(), name=f"A {role}", email=f"{role}-{api.events()}@example.com",
                                role=role, team="north", region="north")
    return api.token(role, str(hired.stream_id))


def _register(api: Api, **fields: object) -> dict:
    answer = api.client.post("/v1/stock-items", json={**ITEM, **fields},
                             headers=api.token("admin"))
    assert answer.status_code == 201, answer.text
    return answer.json()


def _item(api: Api, sku: str = "GW-200") -> dict:
    answer = api.client.get(f"/v1/stock-items/{sku}", headers=api.token("auditor"))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_manager_registers_an_item_and_every_role_reads_it(api: Api):
    created = api.client.post("/v1/stock-items", json=ITEM, headers=_as(api, "manager"))

    assert created.status_code == 201
    assert created.json() == {"sku": "GW-200", "position": api.events()}
    for role in ("rep", "manager", "auditor", "integrator", "admin"):
        answer = api.client.get("/v1/stock-items/GW-200", headers=_as(api, role))
        assert answer.status_code == 200, role
        assert answer.json() == {"sku": "GW-200", "name": "Gateway 200", "base_price": "1200.00",
                                 "reorder_level": 10, "on_hand": 0, "reserved": 0,
                                 "available": 0, "version": 1}


def test_optional_fields_default_and_a_whole_number_price_reads_with_cents(api: Api):
    body = {"sku": "CB-10", "name": "Cable", "base_price": 20}

    assert api.client.post("/v1/stock-items", json=body,
                           headers=api.token("admin")).status_code == 201
    item = _item(api, "CB-10")
    assert (item["base_price"], item["reorder_level"], item["version"]) == ("20.00", 0, 1)


def test_receipts_and_adjustments_change_the_count(api: Api):
    _register(api)
    manager = _as(api, "manager")

    received = api.client.post("/v1/stock-items/GW-200/receipts", json={"quantity": 50},
                               headers=manager)
    assert received.status_code == 200
    assert received.json() == {"position": api.events(), "version": 2}
    adjusted = api.client.post("/v1/stock-items/GW-200/adjustments",
                               json={"delta": -2, "reason": "damaged in storage"}, headers=manager)
    assert adjusted.status_code == 200
    assert adjusted.json() == {"position": api.events(), "version": 3}

    item = _item(api)
    assert (item["on_hand"], item["reserved"], item["available"], item["version"]) == (48, 0, 48, 3)


def test_price_change_with_if_match_and_a_stale_version_is_409(api: Api):
    _register(api)
    admin = api.token("admin")

    changed = api.client.post("/v1/stock-items/GW-200/price", json={"base_price": "1250.50"},
                              headers={**admin, "If-Match": "1"})
    assert changed.status_code == 200
    assert changed.json() == {"position": api.events(), "version": 2}
    before = api.events()
    stale = api.client.post("/v1/stock-items/GW-200/price", json={"base_price": "1300.00"},
                            headers={**admin, "If-Match": "1"})

    assert (stale.status_code, stale.json()["code"]) == (409, "version_conflict")
    assert api.events() == before
    assert (_item(api)["base_price"], _item(api)["version"]) == ("1250.50", 2)


def test_the_same_price_again_writes_nothing(api: Api):
    _register(api)
    admin = api.token("admin")  # its TokenIssued is the last event: a no-op answers it
    before, head = api.events(), api.sales.store.max_position()

    same = api.client.post("/v1/stock-items/GW-200/price", json={"base_price": "1200.00"},
                           headers=admin)

    assert same.status_code == 200
    assert same.json() == {"position": head, "version": 1}
    assert api.events() == before


def test_a_duplicate_sku_is_409_already_exists_and_writes_nothing(api: Api):
    _register(api)
    manager = _as(api, "manager")
    before = api.events()

    again = api.client.post("/v1/stock-items", json={**ITEM, "sku": "GW-200", "name": "Other"},
                            headers=manager)
    spaced = api.client.post("/v1/stock-items", json={**ITEM, "sku": " GW-200 ", "name": "Other"},
                             headers=manager)  # a SKU has no spaces (its pattern): refused

    assert (again.status_code, again.json()["code"]) == (409, "already_exists")
    assert (spaced.status_code, spaced.json()["fields"]) == (422, ["sku"])
    assert api.events() == before
    assert _item(api)["name"] == "Gateway 200"


def test_reps_auditors_and_integrators_may_not_write_stock(api: Api):
    _register(api)
    callers = {role: _as(api, role) for role in ("rep", "auditor", "integrator")}
    before = api.events()
    writes = [("/v1/stock-items", {**ITEM, "sku": "NEW-1"}),
              ("/v1/stock-items/GW-200/receipts", {"quantity": 5}),
              ("/v1/stock-items/GW-200/adjustments", {"delta": 1, "reason": "count"}),
              ("/v1/stock-items/GW-200/price", {"base_price": "1.00"})]

    for role, headers in callers.items():
        for path, body in writes:
            answer = api.client.post(path, json=body, headers=headers)
            assert (answer.status_code, answer.json()["code"]) == (403, "forbidden"), (role, path)

    assert api.events() == before


def test_no_or_a_bad_token_is_401_and_writes_nothing(api: Api):
    _register(api)
    before = api.events()
    bad = {"Authorization": "Bearer nope"}

    for headers in ({}, bad):
        assert api.client.get("/v1/stock-items/GW-200", headers=headers).status_code == 401
        assert api.client.post("/v1/stock-items", json={**ITEM, "sku": "X"},
                               headers=headers).status_code == 401
        for path, body in [("receipts", {"quantity": 1}), ("price", {"base_price": "1.00"}),
                           ("adjustments", {"delta": 1, "reason": "count"})]:
            answer = api.client.post(f"/v1/stock-items/GW-200/{path}", json=body, headers=headers)
            assert (answer.status_code, answer.json()["code"]) == (401, "unauthorized"), path

    assert api.events() == before


def test_an_unknown_sku_is_404_and_writes_nothing(api: Api):
    admin = api.token("admin")
    before = api.events()
    writes = [("receipts", {"quantity": 5}), ("adjustments", {"delta": 1, "reason": "count"}),
              ("price", {"base_price": "1.00"})]

    read = api.client.get("/v1/stock-items/NOPE", headers=admin)
    assert (read.status_code, read.json()["code"]) == (404, "not_found")
    for path, body in writes:
        answer = api.client.post(f"/v1/stock-items/NOPE/{path}", json=body, headers=admin)
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found"), path

    assert api.events() == before


@pytest.mark.parametrize(("path", "body", "fields"), [
    ("/v1/stock-items", {"sku": "", "name": "x", "base_price": "0", "reorder_level": -1},
     ["sku", "base_price", "reorder_level"]),
    ("/v1/stock-items", {"sku": "A-1", "name": "   ", "base_price": "1.005"},
     ["name", "base_price"]),
    ("/v1/stock-items/GW-200/receipts", {"quantity": 0}, ["quantity"]),
    ("/v1/stock-items/GW-200/receipts", {}, ["quantity"]),
    ("/v1/stock-items/GW-200/adjustments", {"delta": 0, "reason": "count"}, ["delta"]),
    ("/v1/stock-items/GW-200/adjustments", {"delta": 3, "reason": ""}, ["reason"]),
    ("/v1/stock-items/GW-200/price", {"base_price": "-5"}, ["base_price"]),
])
def test_invalid_input_is_422_naming_every_field_and_writes_nothing(api: Api, path, body, fields):
    _register(api)
    before = api.events()

    answer = api.client.post(path, json=body, headers=api.token("admin"))

    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_input")
    assert sorted(answer.json()["fields"]) == sorted(fields)
    assert api.events() == before


def test_a_bad_if_match_is_422(api: Api):
    _register(api)
    before = api.events()

    answer = api.client.post("/v1/stock-items/GW-200/price", json={"base_price": "2.00"},
                             headers={**api.token("admin"), "If-Match": "latest"})

    assert answer.status_code == 422
    assert api.events() == before


def test_an_adjustment_below_the_reserved_quantity_is_409_insufficient_stock(api: Api):
    _register(api)
    api.sales.stock.receive(ctx(), "GW-200", quantity=10)
    api.sales.bus.handle(STOCK_ITEM, stock_item_id("GW-200"), ReserveStock("order-1", 8), ctx())
    before = api.events()

    answer = api.client.post("/v1/stock-items/GW-200/adjustments",
                             json={"delta": -3, "reason": "lost"}, headers=api.token("admin"))

    assert (answer.status_code, answer.json()["code"]) == (409, "insufficient_stock")
    assert api.events() == before
    item = _item(api)
    assert (item["on_hand"], item["reserved"], item["available"]) == (10, 8, 2)
