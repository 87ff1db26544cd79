"""The Hand-overs page in a real browser on the demo data (one rep of the first team leaves at
the end of the story): the departed rep's manager sees every item as ``GET /v1/handovers``
answers their token, moves one on with its button and sees its new status (and the JSON API
agrees); a form posted without its CSRF token is refused and writes nothing.

The demo server is shared with the other browser tests: the item moved on is one that none of
them names (not one of the API's example records, ``infra.demo.examples``)."""

from datetime import datetime
from pathlib import Path
from typing import Any

from api.console.formatting import day
from infra.demo.examples import DemoExamples
from tests.api.console_cells import table_cells
from tests.browser.conftest import OfflinePage
from tests.browser.test_console import api_get, assert_stayed_on_this_machine, new_token, sign_in
from tests.integration.serve import Server

EXAMPLES = DemoExamples.for_seed()  # the seed `sfa demo` loads by default


def departed_rep(server: Server) -> dict[str, Any]:
    departed = api_get(server, new_token(server, "admin"), "/v1/reps", active="false")["items"]
    assert len(departed) == 1, departed  # the demo's one departure
    return dict(departed[0])


def as_shown(answer: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {f"{i['kind']}:{i['id']}": {"actor": i["actor_name"], "successor": i["successor_name"],
                                       "status": i["status"],
                                       "due": "waiting" if i["waiting"] else i["due"]}
            for i in answer["items"]}


def an_item_no_other_test_names(answer: dict[str, Any], status: str) -> dict[str, Any]:
    return next(i for i in reversed(answer["items"])
                if i["status"] == status and i["id"] not in EXAMPLES.records)


def test_a_manager_advances_a_hand_over_item_from_the_page(
        demo_server: Server, offline_page: OfflinePage, screenshots: Path):
    rep = departed_rep(demo_server)
    token = new_token(demo_server, "manager", rep["manager_id"])
    path = f"/v1/handovers/{rep['id']}"
    before = api_get(demo_server, token, path)
    item = an_item_no_other_test_names(before, "introduced")
    key, page = f"{item['kind']}:{item['id']}", offline_page.page
    sign_in(page, demo_server, token)
    page.get_by_role("link", name="Hand-overs").click()
    page.wait_for_url("**/console/handovers")
    assert table_cells(page.content(), f"items-{rep['id']}") == as_shown(before)
    overdue = [i for i in before["items"]
               if i["status"] != "completed" and i["due"] and i["due"] < _today(page)]
    assert page.locator(".flag", has_text="Overdue").count() == len(overdue) > 0

    page.locator(f"tr[data-key='{key}']").get_by_role("button", name="Mark completed").click()
    page.wait_for_url(f"**/console/handovers/{rep['id']}")

    assert page.get_by_role("status").inner_text() == f"{item['name']}: hand-over completed."
    row = page.locator(f"tr[data-key='{key}']")
    assert row.locator("[data-figure=status]").inner_text() == "Completed"
    assert row.get_by_role("button").count() == 0  # nothing left to do
    after = api_get(demo_server, token, path)
    assert table_cells(page.content(), f"items-{rep['id']}") == as_shown(after)
    assert as_shown(after)[key]["status"] == "completed"
    assert after["summary"]["completed"] == before["summary"]["completed"] + 1
    page.screenshot(path=screenshots / "console-handovers.png")
    assert_stayed_on_this_machine(offline_page)


def test_an_advance_without_its_csrf_token_is_refused_and_writes_nothing(
        demo_server: Server, offline_page: OfflinePage):
    rep = departed_rep(demo_server)
    token = new_token(demo_server, "manager", rep["manager_id"])
    path = f"/v1/handovers/{rep['id']}"
    item = an_item_no_other_test_names(api_get(demo_server, token, path), "pending")
    page = offline_page.page
    sign_in(page, demo_server, token)

    forged = page.request.post(f"{demo_server.base}/console/handovers/{rep['id']}/advance",
                               form={"kind": item["kind"], "id": item["id"],
                                     "status": "introduced"})

    assert forged.status == 403 and "Refused" in forged.text()
    status = {i["id"]: i["status"] for i in api_get(demo_server, token, path)["items"]}
    assert status[item["id"]] == "pending"
    assert_stayed_on_this_machine(offline_page)


def _today(page: Any) -> str:
    """The server's day, as the page's key figure names it, back as ISO (``2026-12-03``)."""
    note = page.locator(".kpi", has_text="Overdue").locator(".kpi-note").inner_text()
    shown = note.removeprefix("due before ").removesuffix(", not completed").replace("\u00a0", " ")
    parsed = datetime.strptime(shown, "%d %b %Y").date()
    assert day(parsed) == shown
    return parsed.isoformat()
