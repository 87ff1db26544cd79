"""HTTP: orders — placement (priced, reserved), the life cycle, each error code, visibility by
the account's owner, that refused or invalid commands write nothing, and no overselling under
parallel orders."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

import pytest

from tests.conftest import Api, ctx

GATEWAY, CABLE = "GW-200", "CB-10"


@dataclass
class World:
    """Ann and Bob are reps of different teams; Mia manages Ann's; each rep owns an account."""

    ann: dict[str, str]
    bob: dict[str, str]
    mia: dict[str, str]
    admin: dict[str, str]
    anns_account: str
    bobs_account: str


def _hire(api: Api, name: str, role: str, team: str, manager_id: str | None = None) -> str:
    hired = api.sales.reps.hire(ctx(), name=name, email=f"{name.lower()}@example.com", role=role,
                                team=team, region=team, manager_id=manager_id)
    return str(hired.stream_id)


def _open(api: Api, owner_id: str, grade: str | None = None) -> str:
    account = str(api.sales.accounts.open(ctx(), name=f"Customer of {owner_id[:8]}",
                                          region="north", owner_id=owner_id).stream_id)
    if grade is not None:
        api.sales.accounts.grade(ctx(), account, grade=grade)
    return account


def _stock(api: Api, sku: str, price: str, on_hand: int) -> None:
    api.sales.stock.register(ctx(), sku=sku, name=sku, base_price=Decimal(price))
    api.sales.stock.receive(ctx(), sku, quantity=on_hand)


@pytest.fixture
def world(api: Api) -> World:
    mia = _hire(api, "Mia", "manager", "north")
    ann = _hire(api, "Ann", "rep", "north", mia)
    bob = _hire(api, "Bob", "rep", "south")
    _stock(api, GATEWAY, "1200.00", 20)
    _stock(api, CABLE, "19.99", 500)
    return World(api.token("rep", ann), api.token("rep", bob), api.token("manager", mia),
                 api.token("admin"), _open(api, ann, grade="B"), _open(api, bob))


def _place(api: Api, headers: dict[str, str], account: str, *lines: tuple[str, int],
           **extra: object) -> dict:
    body = {"account_id": account, "lines": [{"sku": s, "quantity": q} for s, q in lines],
            **extra}
    answer = api.client.post("/v1/orders", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _stock_of(api: Api, sku: str) -> tuple[int, int, int]:
    item = api.client.get(f"/v1/stock-items/{sku}", headers=api.token("auditor")).json()
    return item["on_hand"], item["reserved"], item["available"]


def _order(api: Api, order_id: str) -> dict:
    answer = api.client.get(f"/v1/orders/{order_id}", headers=api.token("auditor"))
    assert answer.status_code == 200, answer.text
    return answer.json()


# placement ------------------------------------------------------------------------------------

def test_a_placed_order_is_priced_by_the_best_discount_and_reserved(api: Api, world: World):
    placed = _place(api, world.ann, world.anns_account, (GATEWAY, 2), (CABLE, 60))

    assert placed == {
        "id": placed["id"], "position": api.events(), "status": "reserved", "version": 2,
        "total": "3431.40", "currency": "EUR",
        "lines": [
            {"sku": GATEWAY, "quantity": 2, "list_price": "1200.00", "unit_price": "1152.00",
             "price_rule": "base_price+grade_discount:B(-4%)", "line_total": "2304.00"},
            {"sku": CABLE, "quantity": 60, "list_price": "19.99", "unit_price": "18.79",
             "price_rule": "base_price+volume_break:50+(-6%)", "line_total": "1127.40"}]}
    assert _stock_of(api, GATEWAY) == (20, 2, 18)
    assert _stock_of(api, CABLE) == (500, 60, 440)


def test_an_ungraded_account_pays_the_base_price_and_a_key_account_twelve_percent_less(
        api: Api, world: World):
    key_account = _open(api, api.sales.accounts.get(world.anns_account).owner_id, grade="key")

    plain = _place(api, world.bob, world.bobs_account, (GATEWAY, 1))
    key = _place(api, world.admin, key_account, (GATEWAY, 1))

    assert (plain["lines"][0]["unit_price"], plain["lines"][0]["price_rule"]) == (
        "1200.00", "base_price")
    assert (key["lines"][0]["unit_price"], key["lines"][0]["price_rule"], key["total"]) == (
        "1056.00", "base_price+grade_discount:key(-12%)", "1056.00")


def test_the_order_reads_back_with_its_prices_and_state(api: Api, world: World):
    placed = _place(api, world.ann, world.anns_account, (GATEWAY, 2))

    answer = api.client.get(f"/v1/orders/{placed['id']}", headers=world.ann)

    assert answer.status_code == 200
    assert answer.json() == {
        "id": placed["id"], "account_id": world.anns_account, "status": "reserved",
        "allow_back_order": False, "total": "2304.00", "currency": "EUR", "shipped": [],
        "invoiced": "0.00", "paid": "0.00", "version": 2,
        "lines": [{"sku": GATEWAY, "quantity": 2, "list_price": "1200.00", "unit_price": "1152.00",
                   "price_rule": "base_price+grade_discount:B(-4%)", "line_total": "2304.00"}]}


def test_short_stock_is_409_insufficient_stock_and_writes_nothing(api: Api, world: World):
    before = api.events()
    body = {"account_id": world.anns_account,
            "lines": [{"sku": CABLE, "quantity": 1}, {"sku": GATEWAY, "quantity": 21}]}

    answer = api.client.post("/v1/orders", json=body, headers=world.ann)

    assert (answer.status_code, answer.json()["code"]) == (409, "insufficient_stock")
    assert api.events() == before
    assert _stock_of(api, GATEWAY) == (20, 0, 20)
    assert _stock_of(api, CABLE) == (500, 0, 500)


def test_short_stock_with_back_ordering_allowed_is_kept_back_ordered(api: Api, world: World):
    placed = _place(api, world.ann, world.anns_account, (GATEWAY, 25), allow_back_order=True)

    assert (placed["status"], placed["total"]) == ("back_ordered", "28800.00")
    assert _order(api, placed["id"])["allow_back_order"] is True
    assert _stock_of(api, GATEWAY) == (20, 0, 20)


def test_an_idempotency_key_returns_the_first_order_and_writes_nothing_new(api: Api, world: World):
    headers = {**world.ann, "Idempotency-Key": "order-1"}
    first = _place(api, headers, world.anns_account, (GATEWAY, 1))
    before = api.events()

    retry = api.client.post("/v1/orders", headers=headers, json={
        "account_id": world.anns_account, "lines": [{"sku": GATEWAY, "quantity": 1}]})

    assert (retry.status_code, retry.json()) == (201, first)
    assert api.events() == before
    assert _stock_of(api, GATEWAY) == (20, 1, 19)


@pytest.mark.parametrize(("lines", "fields"), [
    ([], ["lines"]),
    ([{"sku": GATEWAY, "quantity": 0}], ["lines.0.quantity"]),
    ([{"sku": GATEWAY}], ["lines.0.quantity"]),
])
def test_invalid_lines_are_422_naming_the_fields_and_write_nothing(api: Api, world: World, lines,
                                                                   fields):
    before = api.events()

    answer = api.client.post("/v1/orders", json={"account_id": world.anns_account, "lines": lines},
                             headers=world.ann)

    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_input")
    assert answer.json()["fields"] == fields
    assert api.events() == before


def test_an_order_naming_a_sku_twice_breaks_a_rule_no_schema_states(api: Api, world: World):
    """Each line is valid and the document cannot say "one line per sku": a conflict (409)."""
    before = api.events()
    lines = [{"sku": GATEWAY, "quantity": 1}, {"sku": GATEWAY, "quantity": 2}]
    answer = api.client.post("/v1/orders", json={"account_id": world.anns_account, "lines": lines},
                             headers=world.ann)
    assert (answer.status_code, answer.json()["code"], answer.json()["fields"]) == (
        409, "rule_violation", ["lines"])
    assert api.events() == before


def test_a_malformed_account_id_is_422_and_unknown_ones_are_404(api: Api, world: World):
    before = api.events()
    line = [{"sku": GATEWAY, "quantity": 1}]

    malformed = api.client.post("/v1/orders", json={"account_id": "nope", "lines": line},
                                headers=world.admin)
    unknown = api.client.post("/v1/orders", headers=world.admin, json={
        "account_id": "00000000-0000-4000-8000-000000000000", "lines": line})
    no_sku = api.client.post("/v1/orders", headers=world.admin, json={
        "account_id": world.anns_account, "lines": [{"sku": "NOPE", "quantity": 1}]})

    assert (malformed.status_code, malformed.json()["fields"]) == (422, ["account_id"])
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    assert (no_sku.status_code, no_sku.json()["code"]) == (404, "not_found")
    assert api.events() == before


# who may see and do what ----------------------------------------------------------------------

def test_a_rep_cannot_order_for_or_see_another_reps_account_or_order(api: Api, world: World):
    anns = _place(api, world.ann, world.anns_account, (GATEWAY, 1))["id"]
    before = api.events()

    ordered = api.client.post("/v1/orders", headers=world.bob, json={
        "account_id": world.anns_account, "lines": [{"sku": GATEWAY, "quantity": 1}]})
    read = api.client.get(f"/v1/orders/{anns}", headers=world.bob)
    cancel = api.client.post(f"/v1/orders/{anns}/cancel", json={"reason": "mine now"},
                             headers=world.bob)

    for answer in (ordered, read, cancel):
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found")
    assert api.events() == before
    assert _order(api, anns)["status"] == "reserved"


def test_a_manager_acts_on_their_teams_orders_only(api: Api, world: World):
    anns = _place(api, world.ann, world.anns_account, (GATEWAY, 1))["id"]
    bobs = _place(api, world.bob, world.bobs_account, (GATEWAY, 1))["id"]

    assert api.client.get(f"/v1/orders/{anns}", headers=world.mia).status_code == 200
    assert api.client.post(f"/v1/orders/{anns}/confirm", headers=world.mia).status_code == 200
    before = api.events()
    assert api.client.get(f"/v1/orders/{bobs}", headers=world.mia).status_code == 404
    assert api.client.post(f"/v1/orders/{bobs}/confirm", headers=world.mia).status_code == 404
    assert api.events() == before


def test_auditors_and_integrators_read_orders_but_may_not_write_them(api: Api, world: World):
    anns = _place(api, world.ann, world.anns_account, (GATEWAY, 1))["id"]
    callers = {role: api.token(role) for role in ("auditor", "integrator")}
    before = api.events()
    writes = [("/v1/orders", {"account_id": world.anns_account,
                              "lines": [{"sku": GATEWAY, "quantity": 1}]}),
              (f"/v1/orders/{anns}/confirm", None),
              (f"/v1/orders/{anns}/shipments", {"lines": [{"sku": GATEWAY, "quantity": 1}]}),
              (f"/v1/orders/{anns}/invoices", {"invoice_id": "I-1", "amount": "1.00"}),
              (f"/v1/orders/{anns}/payments", {"amount": "1.00", "reference": "R-1"}),
              (f"/v1/orders/{anns}/cancel", {"reason": "no"})]

    for role, headers in callers.items():
        assert api.client.get(f"/v1/orders/{anns}", headers=headers).status_code == 200
        for path, body in writes:
            answer = api.client.post(path, json=body, headers=headers)
            assert (answer.status_code, answer.json()["code"]) == (403, "forbidden"), (role, path)
    assert api.events() == before


def test_no_or_a_bad_token_is_401_and_writes_nothing(api: Api, world: World):
    anns = _place(api, world.ann, world.anns_account, (GATEWAY, 1))["id"]
    before = api.events()
    line = [{"sku": GATEWAY, "quantity": 1}]
    writes = [("", {"account_id": world.anns_account, "lines": line}), ("/confirm", None),
              ("/shipments", {"lines": line}), ("/invoices", {"invoice_id": "I", "amount": "1"}),
              ("/payments", {"amount": "1", "reference": "R"}), ("/cancel", {"reason": "x"})]

    for headers in ({}, {"Authorization": "Bearer nope"}):
        assert api.client.get(f"/v1/orders/{anns}", headers=headers).status_code == 401
        for path, body in writes:
            target = f"/v1/orders/{anns}{path}" if path else "/v1/orders"
            answer = api.client.post(target, json=body, headers=headers)
            assert (answer.status_code, answer.json()["code"]) == (401, "unauthorized"), path
    assert api.events() == before


def test_an_unknown_order_is_404_and_a_malformed_id_422(api: Api, world: World):
    unknown = "00000000-0000-4000-8000-000000000000"
    before = api.events()

    assert api.client.get(f"/v1/orders/{unknown}", headers=world.admin).status_code == 404
    for path, body in [("confirm", None), ("cancel", {"reason": "x"}),
                       ("shipments", {"lines": [{"sku": GATEWAY, "quantity": 1}]}),
                       ("invoices", {"invoice_id": "I-1", "amount": "1.00"}),
                       ("payments", {"amount": "1.00", "reference": "R-1"})]:
        answer = api.client.post(f"/v1/orders/{unknown}/{path}", json=body, headers=world.admin)
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found"), path
    malformed = api.client.get("/v1/orders/nope", headers=world.admin)
    assert (malformed.status_code, malformed.json()["fields"]) == (422, ["order_id"])
    assert api.events() == before


# the life cycle -------------------------------------------------------------------------------

def _post(api: Api, path: str, headers: dict[str, str], body: object = None) -> dict:
    answer = api.client.post(path, json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["position"] == api.events()
    return answer.json()


def test_confirm_ship_in_two_parts_invoice_and_pay(api: Api, world: World):
    order = _place(api, world.ann, world.anns_account, (GATEWAY, 2))["id"]
    at = f"/v1/orders/{order}"

    assert _post(api, f"{at}/confirm", world.ann)["version"] == 3
    first = {"shipment_id": "SHP-1", "lines": [{"sku": GATEWAY, "quantity": 1}]}
    assert _post(api, f"{at}/shipments", world.ann, first)["version"] == 4
    assert (_order(api, order)["status"], _stock_of(api, GATEWAY)) == ("partially_shipped",
                                                                        (19, 1, 18))
    assert _post(api, f"{at}/shipments", world.ann, {"lines": [{"sku": GATEWAY, "quantity": 1}]}
                 )["version"] == 5
    invoice = {"invoice_id": "INV-1", "amount": "2304.00"}
    assert _post(api, f"{at}/invoices", world.ann, invoice)["version"] == 6
    assert _post(api, f"{at}/payments", world.ann, {"amount": "1000", "reference": "B-1"}
                 )["version"] == 7
    assert _order(api, order)["status"] == "invoiced"
    assert _post(api, f"{at}/payments", world.ann, {"amount": "1304.00", "reference": "B-2"}
                 )["version"] == 8

    final = _order(api, order)
    assert {k: final[k] for k in ("status", "shipped", "invoiced", "paid", "version")} == {
        "status": "paid", "shipped": [{"sku": GATEWAY, "quantity": 2}], "invoiced": "2304.00",
        "paid": "2304.00", "version": 8}
    assert _stock_of(api, GATEWAY) == (18, 0, 18)


def test_a_repeated_shipment_id_records_nothing_new(api: Api, world: World):
    order = _place(api, world.ann, world.anns_account, (GATEWAY, 2))["id"]
    _post(api, f"/v1/orders/{order}/confirm", world.ann)
    shipment = {"shipment_id": "SHP-1", "lines": [{"sku": GATEWAY, "quantity": 1}]}
    _post(api, f"/v1/orders/{order}/shipments", world.ann, shipment)
    before = api.events()

    again = _post(api, f"/v1/orders/{order}/shipments", world.ann, shipment)

    assert again == {"position": before, "version": 4}
    assert _stock_of(api, GATEWAY) == (19, 1, 18)


def test_cancel_releases_the_reservation(api: Api, world: World):
    order = _place(api, world.ann, world.anns_account, (GATEWAY, 5), (CABLE, 3))["id"]

    cancelled = _post(api, f"/v1/orders/{order}/cancel", world.ann, {"reason": "withdrawn"})

    assert cancelled["version"] == 3
    assert _order(api, order)["status"] == "cancelled"
    assert _stock_of(api, GATEWAY) == (20, 0, 20)
    assert _stock_of(api, CABLE) == (500, 0, 500)


def _shipped_order(api: Api, world: World) -> str:
    order = _place(api, world.ann, world.anns_account, (GATEWAY, 1))["id"]
    _post(api, f"/v1/orders/{order}/confirm", world.ann)
    _post(api, f"/v1/orders/{order}/shipments", world.ann,
          {"lines": [{"sku": GATEWAY, "quantity": 1}]})
    return order


@pytest.mark.parametrize(("path", "body"), [
    ("confirm", None),
    ("shipments", {"lines": [{"sku": GATEWAY, "quantity": 1}]}),
    ("payments", {"amount": "1.00", "reference": "R-1"}),
    ("cancel", {"reason": "too late"}),
])
def test_invalid_transitions_after_shipping_are_409_and_write_nothing(api: Api, world: World,
                                                                      path, body):
    order = _shipped_order(api, world)
    before = api.events()

    answer = api.client.post(f"/v1/orders/{order}/{path}", json=body, headers=world.ann)

    assert (answer.status_code, answer.json()["code"]) == (409, "invalid_transition")
    assert api.events() == before


@pytest.mark.parametrize(("path", "body"), [
    ("shipments", {"lines": [{"sku": GATEWAY, "quantity": 1}]}),
    ("invoices", {"invoice_id": "INV-1", "amount": "10.00"}),
    ("payments", {"amount": "1.00", "reference": "R-1"}),
])
def test_steps_before_their_time_are_409_invalid_transition(api: Api, world: World, path, body):
    order = _place(api, world.ann, world.anns_account, (GATEWAY, 1))["id"]
    before = api.events()

    answer = api.client.post(f"/v1/orders/{order}/{path}", json=body, headers=world.ann)

    assert (answer.status_code, answer.json()["code"]) == (409, "invalid_transition")
    assert api.events() == before


def test_a_cancelled_order_cannot_be_confirmed_or_cancelled_again(api: Api, world: World):
    order = _place(api, world.ann, world.anns_account, (GATEWAY, 1))["id"]
    _post(api, f"/v1/orders/{order}/cancel", world.ann, {"reason": "withdrawn"})
    before = api.events()

    for path, body in [("confirm", None), ("cancel", {"reason": "again"})]:
        answer = api.client.post(f"/v1/orders/{order}/{path}", json=body, headers=world.ann)
        assert (answer.status_code, answer.json()["code"]) == (409, "invalid_transition"), path
    assert api.events() == before


@pytest.mark.parametrize(("path", "body", "fields"), [
    ("invoices", {"invoice_id": "", "amount": "0"}, ["invoice_id", "amount"]),
    ("payments", {"amount": "-1", "reference": " "}, ["amount", "reference"]),
    ("shipments", {"lines": []}, ["lines"]),
    ("cancel", {"reason": ""}, ["reason"]),
])
def test_invalid_input_on_order_steps_is_422_naming_the_fields(api: Api, world: World, path, body,
                                                               fields):
    order = _shipped_order(api, world)  # 1 x 1200.00, not yet invoiced
    before = api.events()

    answer = api.client.post(f"/v1/orders/{order}/{path}", json=body, headers=world.ann)

    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_input")
    assert sorted(answer.json()["fields"]) == sorted(fields)
    assert api.events() == before


def test_shipping_more_than_ordered_or_invoicing_or_paying_more_than_due_is_409(api: Api,
                                                                                world: World):
    """Valid amounts that the order's state refuses: rule violations naming the field."""
    order = _place(api, world.ann, world.anns_account, (GATEWAY, 1))["id"]
    _post(api, f"/v1/orders/{order}/confirm", world.ann)
    before = api.events()
    too_many = api.client.post(f"/v1/orders/{order}/shipments", headers=world.ann,
                               json={"lines": [{"sku": GATEWAY, "quantity": 2}]})
    assert (too_many.status_code, too_many.json()["fields"]) == (409, ["lines[0].quantity"])
    assert api.events() == before

    _post(api, f"/v1/orders/{order}/shipments", world.ann,
          {"lines": [{"sku": GATEWAY, "quantity": 1}]})
    overbilled = api.client.post(f"/v1/orders/{order}/invoices", headers=world.ann,
                                 json={"invoice_id": "I-0", "amount": "1200.01"})
    assert (overbilled.status_code, overbilled.json()["fields"]) == (409, ["amount"])
    _post(api, f"/v1/orders/{order}/invoices", world.ann, {"invoice_id": "I-1", "amount": "500"})
    before = api.events()
    overpaid = api.client.post(f"/v1/orders/{order}/payments", headers=world.ann,
                               json={"amount": "500.01", "reference": "B-1"})
    assert (overpaid.status_code, overpaid.json()["code"], overpaid.json()["fields"]) == (
        409, "rule_violation", ["amount"])
    assert api.events() == before


# concurrency ----------------------------------------------------------------------------------

def test_parallel_orders_never_oversell(api: Api, world: World):
    api.sales.stock.register(ctx(), sku="LTD-1", name="Limited", base_price=Decimal("10.00"))
    api.sales.stock.receive(ctx(), "LTD-1", quantity=20)
    body = {"account_id": world.anns_account, "lines": [{"sku": "LTD-1", "quantity": 3}]}

    def order(_: int) -> tuple[int, dict]:
        answer = api.client.post("/v1/orders", json=body, headers=world.ann)
        return answer.status_code, answer.json()

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(order, range(16)))

    placed = [b for status, b in answers if status == 201]
    refused = [b for status, b in answers if status != 201]
    assert len(placed) == 20 // 3
    assert {b["status"] for b in placed} == {"reserved"}
    assert [(b["code"]) for b in refused] == ["insufficient_stock"] * (16 - 20 // 3)
    on_hand, reserved, available = _stock_of(api, "LTD-1")
    assert (on_hand, reserved, available) == (20, 3 * len(placed), 20 - 3 * len(placed))
    assert reserved <= on_hand
