"""The Inventory page in a real browser on the demo data: a manager's levels equal ``GET
/v1/inventory``'s for their token, the items below reorder level shown alone with the filter
(and flagged), a SKU's page with its level and its movements as the API gives them to that
token; nothing loaded from outside, no console error."""

from pathlib import Path
from typing import Any

from tests.api.console_cells import count, table_cells
from tests.browser.conftest import OfflinePage
from tests.browser.test_console import (
    api_get,
    assert_stayed_on_this_machine,
    new_token,
    person,
    sign_in,
)
from tests.integration.serve import Server

FIGURES = ("on_hand", "reserved", "available", "reorder_level")


def levels_on(html: str) -> dict[str, dict[str, int]]:
    return {sku: {figure: count(cells[figure]) for figure in FIGURES}
            for sku, cells in table_cells(html, "levels").items()}


def api_levels(server: Server, token: str, **params: Any) -> dict[str, dict[str, int]]:
    answer = api_get(server, token, "/v1/inventory", limit=500, **params)
    return {i["sku"]: {figure: i[figure] for figure in FIGURES} for i in answer["items"]}


def test_the_inventory_shows_the_apis_levels_and_a_skus_movements(
        demo_server: Server, offline_page: OfflinePage, screenshots: Path):
    token = new_token(demo_server, "manager", person(demo_server, "manager"))
    page = offline_page.page
    sign_in(page, demo_server, token)

    page.get_by_role("link", name="Inventory").click()
    page.wait_for_url("**/console/inventory")
    every = levels_on(page.content())
    page.screenshot(path=screenshots / "console-inventory.png", full_page=True)
    page.get_by_role("link", name="Below reorder level").click()
    page.wait_for_url("**below_reorder=true")
    low = levels_on(page.content())

    assert every == api_levels(demo_server, token) and len(every) >= 10
    assert low == api_levels(demo_server, token, below_reorder="true")
    assert page.locator(".flag", has_text="Below reorder level").count() == len(low)
    if not low:  # the demo restocks what runs out: its empty state says so
        assert page.get_by_text("No item is below its reorder level.").is_visible()
    sku = next(iter(every))
    page.goto(f"{demo_server.base}/console/inventory/{sku}")
    level = api_get(demo_server, token, f"/v1/inventory/{sku}")
    shown = {f: count(page.locator(f"#level [data-figure={f}]").inner_text()) for f in FIGURES}
    assert shown == {f: level[f] for f in FIGURES}
    moves = api_get(demo_server, token, f"/v1/inventory/{sku}/movements", limit=50)["items"]
    cells = table_cells(page.content(), "movements")
    assert [(row["kind"], row["order"]) for row in cells.values()] == [
        (m["kind"], m["order_id"] or "") for m in moves] and moves
    assert_stayed_on_this_machine(offline_page)
