"""The Customer page in a real browser on the demo data, as an auditor: a demo customer's
events and state equal ``GET /v1/accounts/{id}/timeline``'s for the same token; moved to an
instant before the account's later events, the page shows the older state (fewer events, an
earlier stage, the amounts then) as the API answers with that ``as_of``; the export link downloads a JSONL
export whose manifest verifies; nothing loaded from outside; a picture at 1366x768."""

from pathlib import Path
from typing import Any

from api.console.formatting import label
from tests.audit.world import verified_export
from tests.browser.conftest import OfflinePage
from tests.browser.test_console import api_get, assert_stayed_on_this_machine, new_token, sign_in
from tests.integration.serve import Server


def a_customer_whose_deal_moved(server: Server, token: str) -> tuple[dict[str, Any], str]:
    """A demo account with a stage change, and the minute before its last one (UTC)."""
    for account in api_get(server, token, "/v1/accounts", limit=50)["items"]:
        events = api_get(server, token, f"/v1/accounts/{account['id']}/timeline")["events"]
        moves = [e for e in events if e["type"] == "OpportunityStageChanged"]
        if moves and moves[-1]["occurred_at"][:16] > events[0]["occurred_at"][:16]:
            return account, moves[-1]["occurred_at"][:16]
    raise AssertionError("no demo customer with a stage change")


def shown(page: Any) -> dict[str, Any]:
    return {"positions": [int(p) for p in page.locator("#events tbody tr").evaluate_all(
                "rows => rows.map(r => r.dataset.position)")],
            "stages": page.locator("#deals [data-figure=stage]").all_inner_texts(),
            "amounts": page.locator("#deals [data-figure=amount]").evaluate_all(
                "cells => cells.map(c => c.dataset.value)")}


def wanted(answer: dict[str, Any]) -> dict[str, Any]:
    return {"positions": [e["position"] for e in answer["events"]],
            "stages": [label(o["stage"]) for o in answer["state"]["opportunities"]],
            "amounts": [o["amount"] for o in answer["state"]["opportunities"]]}


def test_an_auditor_moves_the_as_of_instant_and_downloads_the_verified_export(
        demo_server: Server, offline_page: OfflinePage, screenshots: Path, tmp_path: Path):
    token = new_token(demo_server, "auditor")
    account, before_last_move = a_customer_whose_deal_moved(demo_server, token)
    timeline = f"/v1/accounts/{account['id']}/timeline"
    page = offline_page.page
    sign_in(page, demo_server, token)

    page.get_by_role("link", name="Customers").click()
    page.get_by_label("Search").fill(account["name"])
    page.get_by_role("button", name="Find").click()
    page.locator(f"tr[data-account='{account['id']}'] a").click()
    page.wait_for_url(f"**/console/customers/{account['id']}")
    now = api_get(demo_server, token, timeline)
    assert shown(page) == wanted(now)
    hashes = page.locator("#events code.hash").evaluate_all("codes => codes.map(c => c.title)")
    assert hashes == [e["hash"] for e in now["events"]]
    page.screenshot(path=screenshots / "console-customer.png", full_page=True)

    page.locator("#as-of").fill(before_last_move)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**as_of=*")
    older = api_get(demo_server, token, timeline, as_of=before_last_move)
    assert shown(page) == wanted(older)
    assert len(older["events"]) < len(now["events"])
    assert wanted(older)["stages"] != wanted(now)["stages"]

    with page.expect_download() as download:
        page.locator("#export").click()
    saved = tmp_path / "export.jsonl"
    download.value.save_as(saved)
    manifest, rows = verified_export(saved)
    assert manifest["account_id"] == account["id"]
    assert [r["position"] for r in rows] == [e["position"] for e in now["events"]]
    assert_stayed_on_this_machine(offline_page)
