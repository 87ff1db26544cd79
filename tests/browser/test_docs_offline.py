"""``/docs`` and ``/redoc`` in a real browser that can reach nothing but this machine: both
render every operation of the OpenAPI document from the files the app serves itself."""

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import PAGE_SECONDS, OfflinePage
from tests.integration.serve import Server

METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
WAIT = PAGE_SECONDS * 1000


def operations(server: Server) -> list[dict[str, Any]]:
    document = server.http.get("/openapi.json").json()
    return [operation for item in document["paths"].values()
            for method, operation in item.items() if method in METHODS]


def funnel(server: Server) -> dict[str, Any]:
    return server.http.get("/openapi.json").json()["paths"]["/v1/funnel"]["get"]


def assert_stayed_on_this_machine(offline: OfflinePage) -> None:
    assert offline.outside == [], f"requests to other hosts: {offline.outside}"
    assert offline.errors == [], f"script errors: {offline.errors}"


def test_swagger_ui_renders_every_operation_without_network(
        live_server: Server, offline_page: OfflinePage, screenshots: Path):
    expected = len(operations(live_server))
    page = offline_page.page

    page.goto(f"{live_server.base}/docs")

    expect(page.locator(".opblock")).to_have_count(expected, timeout=WAIT)
    assert expected > 60  # every command and query, not a handful
    path = page.locator('.opblock-summary-path[data-path="/v1/funnel"]')
    expect(path).to_be_visible()
    block = page.locator(".opblock-get", has=path)
    expect(block.locator(".opblock-summary-description")).to_have_text(funnel(live_server)["summary"])
    expect(block.locator(".opblock-summary-description")).to_have_text("Funnel")
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    page.screenshot(path=screenshots / "docs.png")
    assert_stayed_on_this_machine(offline_page)


def test_redoc_lists_every_operation_in_its_menu_without_network(
        live_server: Server, offline_page: OfflinePage, screenshots: Path):
    expected = len(operations(live_server))
    page = offline_page.page

    page.goto(f"{live_server.base}/redoc")

    expect(page.locator("li[role=menuitem] .operation-type")).to_have_count(expected, timeout=WAIT)
    item = page.locator(f'li[data-item-id="tag/funnel/operation/{funnel(live_server)["operationId"]}"]')
    expect(item).to_be_hidden()  # inside its folded tag
    page.get_by_role("menuitem", name="funnel", exact=True).click()
    expect(item).to_be_visible()
    expect(item).to_have_text("getFunnel")
    page.screenshot(path=screenshots / "redoc.png")
    assert_stayed_on_this_machine(offline_page)


def test_the_asset_routes_need_no_token_and_stay_out_of_the_document(live_server: Server):
    document = live_server.http.get("/openapi.json").json()

    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"):
        answer = live_server.http.get(f"/docs/assets/{asset}")
        assert answer.status_code == 200, asset
        assert len(answer.content) > 1000, asset
    assert not [path for path in document["paths"] if not path.startswith("/v1/")
                and path not in ("/metrics", "/healthz")]
    assert b"cdn.redoc.ly" not in live_server.http.get("/docs/assets/redoc.standalone.js").content
    for page in ("/docs", "/redoc"):
        assert b"https://" not in live_server.http.get(page).content, page
