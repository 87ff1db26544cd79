"""The Deals pages in a real browser on the demo data: a rep's list is exactly the API's
first page for the rep (ids, names, amounts), searching narrows it as the API does, another
rep's deal is the not-found page; a manager opens a deal from the list and sees its stages
and its history as the account's timeline gives them; nothing loaded from outside, no
console error; pictures at 1366x768."""

from pathlib import Path
from typing import Any

from api.console.deals import PAGE_SIZE
from tests.api.console_deals import api_deals, page_deals, table_rows, without_flags
from tests.browser.conftest import OfflinePage
from tests.browser.test_console import (
    api_get,
    assert_stayed_on_this_machine,
    demo_reps,
    new_token,
    sign_in,
)
from tests.integration.serve import Server


def _deals(server: Server, token: str, **params: Any) -> dict[str, Any]:
    return api_get(server, token, "/v1/opportunities", **{"limit": PAGE_SIZE, **params})


def _busiest_rep(server: Server) -> dict[str, Any]:
    """The active rep with the most open deals (of the first 500)."""
    every = _deals(server, new_token(server, "admin"), limit=500, open="true")["items"]
    reps = [r for r in demo_reps(server) if r["role"] == "rep" and r["active"]]
    return max(reps, key=lambda rep: sum(d["owner_id"] == rep["id"] for d in every))


def test_a_rep_sees_exactly_their_deals_searches_them_and_no_one_elses(
        demo_server: Server, offline_page: OfflinePage, screenshots: Path):
    me = _busiest_rep(demo_server)
    token = new_token(demo_server, "rep", me["id"])
    page = offline_page.page
    sign_in(page, demo_server, token)

    page.get_by_role("link", name="Deals").click()
    page.wait_for_url("**/console/deals")
    shown, answer = page_deals(page.content()), _deals(demo_server, token, open="true")
    page.screenshot(path=screenshots / "console-deals.png", full_page=True)
    word = answer["items"][0]["account_name"].split()[0]
    page.get_by_label("Search").fill(word)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**q=*")
    searched = page_deals(page.content())
    others = next(d for d in _deals(demo_server, new_token(demo_server, "admin"), limit=500)[
        "items"] if d["owner_id"] != me["id"])
    assert_stayed_on_this_machine(offline_page)
    refused = page.goto(f"{demo_server.base}/console/deals/{others['id']}")

    assert len(shown) >= 2 and without_flags(shown) == api_deals(answer)
    assert {d["owner_name"] for d in shown} == {me["name"]}
    assert without_flags(searched) == api_deals(_deals(demo_server, token, q=word, open="true"))
    assert 0 < len(searched) <= len(shown) and all(word in d["account_name"] + " " + d["name"]
                                                   for d in searched)
    assert refused is not None and refused.status == 404
    assert page.locator("h1").inner_text() == "Not found"
    assert others["name"] not in page.content()
    assert offline_page.errors == [  # the page's own status, nothing else
        "console: Failed to load resource: the server responded with a status of 404 (Not Found)"]


def test_a_manager_opens_a_deal_and_sees_its_stages_and_history(
        demo_server: Server, offline_page: OfflinePage, screenshots: Path):
    manager = next(r for r in demo_reps(demo_server) if r["role"] == "manager")
    token = new_token(demo_server, "manager", manager["id"])
    deals = _deals(demo_server, token, open="true")["items"]  # what the page lists first
    timelines = {d["account_id"]: api_get(demo_server, token, f"/v1/accounts/{d['account_id']}/timeline")
                 for d in deals}
    events = {d["id"]: [e for e in timelines[d["account_id"]]["events"] if e["stream_id"] == d["id"]]
              for d in deals}
    deal = max(deals, key=lambda d: len(events[d["id"]]))
    page = offline_page.page
    sign_in(page, demo_server, token)

    page.goto(f"{demo_server.base}/console/deals")
    page.get_by_role("link", name=deal["name"], exact=True).first.click()
    page.wait_for_url(f"**/console/deals/{deal['id']}")
    page.screenshot(path=screenshots / "console-deal.png", full_page=True)
    html = page.content()

    history = table_rows(html, "history", "position")
    assert [int(row["key"]) for row in history] == [e["position"] for e in reversed(events[deal["id"]])]
    changes = [e for e in events[deal["id"]] if e["type"] in ("OpportunityOpened",
                                                               "OpportunityStageChanged")]
    assert len(table_rows(html, "stages", "stage")) == len(changes) >= 1
    assert page.locator("#deal-name").inner_text() == deal["name"]
    assert page.locator("#owner").inner_text() == deal["owner_name"]
    assert page.locator("#account").get_attribute("href") == f"/console/customers/{deal['account_id']}"
    assert_stayed_on_this_machine(offline_page)
