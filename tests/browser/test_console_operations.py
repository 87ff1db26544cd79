"""The Operations page in a real browser on the demo data: an admin signs in, the page's
read models are those ``GET /console/operations/status`` answers, a rebuild started with
the page's button shows its progress and its completion without reloading by hand (the
page's own script, under the CSP), nothing loaded from outside, no console error; the
picture at 1366x768."""

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.browser.conftest import OfflinePage
from tests.browser.test_console import assert_stayed_on_this_machine, new_token, sign_in
from tests.integration.serve import Server

MODEL = "lists"  # among the heaviest of the demo's models: its rebuild takes a few polls
RECORD_REBUILD_TEXTS = """(model) => {
  window.loadedOnce = true;  // gone if the page were reloaded
  window.rebuildTexts = [];
  const cell = document.querySelector(`tr[data-model="${model}"] [data-field="rebuild"]`);
  const note = () => window.rebuildTexts.push(cell.textContent.trim().replace(/\\s+/g, " "));
  new MutationObserver(note).observe(cell, {subtree: true, childList: true, characterData: true});
  note();
}"""


def row_of(page: Page, name: str) -> dict[str, str]:
    row = page.locator(f'tr[data-model="{name}"]')
    return {field: row.locator(f'[data-field="{field}"]').inner_text().strip()
            for field in ("generation", "status", "position", "lag")}


def status(page: Page) -> dict[str, Any]:
    answer = page.request.get(page.url.split("#")[0] + "/status")
    assert answer.status == 200
    return dict(answer.json())


def test_an_admin_rebuilds_a_model_and_watches_it_swap_in(
        demo_server: Server, offline_page: OfflinePage, screenshots: Path):
    page = offline_page.page
    sign_in(page, demo_server, new_token(demo_server, "admin"))
    page.get_by_role("link", name="Operations").click()
    page.wait_for_url("**/console/operations")
    found = status(page)
    before = next(m for m in found["read_models"] if m["name"] == MODEL)["serving"]
    for model in found["read_models"]:
        shown = row_of(page, model["name"])
        assert shown["generation"] == str(model["serving"]["generation"])
        assert shown["status"] == "Active" and shown["lag"] == "0"
        assert int(shown["position"].replace(",", "")) == model["serving"]["position"]

    page.locator(f'tr[data-model="{MODEL}"]').get_by_role("button", name="Rebuild").click()
    page.wait_for_url(f"**/console/operations#model-{MODEL}")
    page.evaluate(RECORD_REBUILD_TEXTS, MODEL)
    new = before["generation"] + 1
    page.wait_for_function(f"""() => document.querySelector(
        'tr[data-model="{MODEL}"] [data-field="generation"]').textContent.trim() === "{new}" """)
    page.wait_for_selector(f'tr[data-model="{MODEL}"] .done')

    texts = page.evaluate("window.rebuildTexts")
    assert page.evaluate("window.loadedOnce") is True  # updated in place, never reloaded
    assert any(t.startswith(f"Generation {new}") and "swapped in" not in t for t in texts), texts
    assert texts[-1] == f"Generation {new} swapped in"
    assert page.get_by_role("status").inner_text().startswith(f"Rebuild of {MODEL} requested")
    assert row_of(page, MODEL)["status"] == "Active"
    assert "live, updated" in page.locator('[data-op="live"]').inner_text()
    assert next(m for m in status(page)["read_models"] if m["name"] == MODEL
                )["serving"]["generation"] == new
    page.screenshot(path=str(screenshots / "console-operations.png"), full_page=True)
    assert_stayed_on_this_machine(offline_page)


def test_other_roles_get_a_403_page(demo_server: Server, offline_page: OfflinePage):
    page = offline_page.page
    sign_in(page, demo_server, new_token(demo_server, "auditor"))
    answer = page.goto(f"{demo_server.base}/console/operations")
    assert answer is not None and answer.status == 403
    assert page.get_by_role("heading", name="Not for your role").is_visible()
    assert page.get_by_role("link", name="Operations").count() == 0
