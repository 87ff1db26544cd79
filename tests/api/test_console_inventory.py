"""The Inventory page over HTTP (SQLite and PostgreSQL): every SKU's levels as ``GET
/v1/inventory`` answers them, those below reorder level flagged and shown alone on request,
and a SKU's movements with the orders and actors the caller may not see left out, as ``GET
/v1/inventory/{sku}/movements`` leaves them out."""

from decimal import Decimal
from typing import Any

from tests.api.console_cells import count, table_cells
from tests.api.query_world import World, build_world, get
from tests.api.test_console_session import page, sign_in, token_of
from tests.conftest import Api, at

FIGURES = ("on_hand", "reserved", "available", "reorder_level")


def stocked(api: Api) -> tuple[World, dict[str, str]]:
    """Widgets (20 received, reorder at 5) ordered by Ann and by Bob; gadgets below their
    reorder level (30 of 50)."""
    w = build_world(api.sales)
    api.sales.stock.register(at(1), sku="W-1", name="Widget", base_price=Decimal("10.00"),
                             reorder_level=5)
    api.sales.stock.register(at(1), sku="G-2", name="Gadget", base_price=Decimal("99.50"),
                             reorder_level=50)
    api.sales.stock.receive(at(2), "W-1", quantity=20)
    api.sales.stock.receive(at(2), "G-2", quantity=30)
    placed = {}
    for rep, account, quantity in ((w.ann, w.acme, 1), (w.bob, w.beta, 2)):
        answer = api.client.post("/v1/orders", headers=api.token("rep", rep), json={
            "account_id": account, "lines": [{"sku": "W-1", "quantity": quantity}]})
        assert answer.status_code == 201, answer.text
        placed[rep] = answer.json()["id"]
    for path in ("/v1/inventory", "/v1/reps"):  # the page's models caught up
        get(api, path, api.token("admin"))
    return w, placed


def levels_of(html: str) -> dict[str, dict[str, int]]:
    return {sku: {figure: count(cells[figure]) for figure in FIGURES}
            for sku, cells in table_cells(html, "levels").items()}


def api_levels(answer: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {item["sku"]: {figure: item[figure] for figure in FIGURES} for item in answer["items"]}


def test_the_levels_are_the_apis_and_those_to_reorder_are_flagged(api: Api):
    w, _ = stocked(api)
    ann = token_of(api, "rep", w.ann)
    headers = {"Authorization": f"Bearer {ann}"}
    every, low = get(api, "/v1/inventory", headers), get(api, "/v1/inventory", headers,
                                                         below_reorder="true")
    sign_in(api.client, ann)

    shown, to_reorder = page(api.client, "/console/inventory"), page(
        api.client, "/console/inventory?below_reorder=true")

    assert shown.status_code == to_reorder.status_code == 200
    assert levels_of(shown.text) == api_levels(every)
    assert levels_of(to_reorder.text) == api_levels(low) == {
        "G-2": {"on_hand": 30, "reserved": 0, "available": 30, "reorder_level": 50}}
    assert levels_of(shown.text)["W-1"] == {"on_hand": 20, "reserved": 3, "available": 17,
                                            "reorder_level": 5}
    assert shown.text.count("Below reorder level</span>") == 1
    assert "€\u00a099.50" in shown.text
    assert "<script" not in shown.text and "style=" not in shown.text


def test_a_skus_movements_leave_out_what_the_api_leaves_out(api: Api):
    w, placed = stocked(api)
    sign_in(api.client, token_of(api, "rep", w.ann))
    anns = table_cells(page(api.client, "/console/inventory/W-1").text, "movements")
    sign_in(api.client, token_of(api, "admin"))
    admins_page = page(api.client, "/console/inventory/W-1")
    admins = table_cells(admins_page.text, "movements")

    def column(cells: dict[str, dict[str, str]], figure: str) -> list[str]:
        return [row[figure] for row in cells.values()]

    assert column(anns, "kind") == column(admins, "kind") == ["reserved", "reserved", "received"]
    assert column(anns, "order") == ["", placed[w.ann], ""]
    assert column(anns, "actor") == ["—", "Ann", "—"]
    assert column(admins, "order") == [placed[w.bob], placed[w.ann], ""]
    assert column(admins, "actor") == ["Bob", "Ann", "tester"]
    assert column(admins, "reserved_after") == ["3", "1", "0"]
    assert "<h1>Widget</h1>" in admins_page.text


def test_an_unknown_sku_is_a_404_page(api: Api):
    sign_in(api.client, token_of(api, "auditor"))

    unknown, empty = page(api.client, "/console/inventory/NOPE-1"), page(api.client, "/console/inventory")

    assert unknown.status_code == 404 and "<h1>Not found</h1>" in unknown.text
    assert empty.status_code == 200 and "No stock items yet." in empty.text
