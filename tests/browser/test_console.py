"""The console in a real browser on the demo data: signing in by pasting a token as admin,
manager and rep, the Funnel page's figures equal to the JSON API's for the same token, a rep
seeing no other rep, the team picker working without script, nothing loaded from outside and
no console error (a CSP violation is one), a form without its CSRF token refused; pictures
at 1366x768 (phone width: test_console_phone)."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from api.console.formatting import days, percent
from infra.access.tokens import TokenStore
from infra.settings import Settings
from infra.sql.database import Database
from tests.api.console_pages import api_figures, page_figures
from tests.browser.conftest import OfflinePage
from tests.integration.serve import Server

PHONE = {"width": 390, "height": 844}


def new_token(server: Server, role: str, rep_id: str | None = None) -> str:
    db = Database(Settings(database_url=server.url))
    try:
        return TokenStore(db).create(role, rep_id)
    finally:
        db.close()


def api_get(server: Server, token: str, path: str, **params: Any) -> dict[str, Any]:
    answer = server.http.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def demo_reps(server: Server) -> list[dict[str, Any]]:
    return list(api_get(server, new_token(server, "admin"), "/v1/reps", limit=500)["items"])


def person(server: Server, role: str) -> str | None:
    """A manager or an active rep of the demo (by the JSON API), None for the other roles."""
    if role not in ("manager", "rep"):
        return None
    return next(r["id"] for r in demo_reps(server) if r["role"] == role and r["active"])


def sign_in(page: Page, server: Server, token: str) -> None:
    page.goto(f"{server.base}/console")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/funnel")


def assert_stayed_on_this_machine(offline: OfflinePage) -> None:
    assert offline.outside == [], f"requests to other hosts: {offline.outside}"
    assert offline.errors == [], f"console errors (a CSP violation is one): {offline.errors}"


@pytest.mark.parametrize("role", ["admin", "manager", "rep"])
def test_the_funnel_page_shows_what_the_api_answers_the_same_token(
        demo_server: Server, offline_page: OfflinePage, role: str):
    token = new_token(demo_server, role, person(demo_server, role))
    page = offline_page.page

    sign_in(page, demo_server, token)

    figures = page_figures(page.content())
    assert figures == api_figures(api_get(demo_server, token, "/v1/funnel"))
    assert sum(stage["count"] for stage in figures.values()) > 10  # the demo's deals, not none
    closing = api_get(demo_server, token, "/v1/funnel/conversion")
    kpis = page.locator(".kpi")
    assert kpis.filter(has_text="Win rate").locator(".kpi-value").inner_text() == percent(
        closing["win_rate"])
    assert kpis.filter(has_text="Average cycle").locator(".kpi-value").inner_text() == days(
        closing["average_cycle_days"])
    assert_stayed_on_this_machine(offline_page)


def test_a_rep_never_sees_another_reps_name(demo_server: Server, offline_page: OfflinePage):
    reps = demo_reps(demo_server)
    me = next(r for r in reps if r["role"] == "rep" and r["active"])
    page = offline_page.page

    sign_in(page, demo_server, new_token(demo_server, "rep", me["id"]))
    page.goto(f"{demo_server.base}/console/funnel?team=team-south&rep_id={reps[-1]['id']}")

    html = page.content()
    assert page.locator("#scope").inner_text() == f"{me['name']} · {me['team'].replace('-', ' ').capitalize()}"
    assert [r["name"] for r in reps if r["id"] != me["id"] and r["name"] in html] == []
    assert page.locator("select").count() == 0
    assert_stayed_on_this_machine(offline_page)


def test_a_manager_picks_among_their_team_only(demo_server: Server, offline_page: OfflinePage):
    reps = demo_reps(demo_server)
    manager = next(r for r in reps if r["role"] == "manager")
    team = sorted(r["name"] + ("" if r["active"] else " (departed)")
                  for r in reps if r["team"] == manager["team"])
    token = new_token(demo_server, "manager", manager["id"])
    page = offline_page.page
    sign_in(page, demo_server, token)

    options = page.locator("select[name=rep_id] option").all_inner_texts()
    member = next(r for r in reps if r["team"] == manager["team"] and r["role"] == "rep")
    page.locator("select[name=rep_id]").select_option(member["id"])
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**rep_id={member['id']}")

    assert sorted(options[1:]) == team and options[0] == "All reps"
    assert page_figures(page.content()) == api_figures(
        api_get(demo_server, token, "/v1/funnel", rep_id=member["id"]))
    assert_stayed_on_this_machine(offline_page)


def test_the_team_picker_narrows_the_figures_without_script(
        demo_server: Server, offline_page: OfflinePage, screenshots: Path):
    token = new_token(demo_server, "admin")
    page = offline_page.page
    sign_in(page, demo_server, token)
    page.screenshot(path=screenshots / "console-funnel.png", full_page=True)

    page.locator("select[name=team]").select_option("team-south")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**team=team-south**")

    assert page.locator("#scope").inner_text() == "Team south"
    assert page_figures(page.content()) == api_figures(
        api_get(demo_server, token, "/v1/funnel", team="team-south"))
    assert_stayed_on_this_machine(offline_page)


def test_a_form_without_its_csrf_token_is_refused(demo_server: Server,
                                                  offline_page: OfflinePage):
    page = offline_page.page
    sign_in(page, demo_server, new_token(demo_server, "admin"))

    forged = page.request.post(f"{demo_server.base}/console/sign-out", form={"csrf": "forged"})
    bare = page.request.post(f"{demo_server.base}/console/sign-out", form={})
    page.reload()

    assert forged.status == bare.status == 403
    assert "Refused" in forged.text()
    assert page.url.endswith("/console/funnel")  # still signed in
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/sign-in")
    assert page.get_by_role("status").inner_text() == "Signed out."
    assert_stayed_on_this_machine(offline_page)


def test_a_manager_moves_the_funnel_back_in_time(demo_server: Server, offline_page: OfflinePage,
                                                 screenshots: Path):
    """The As-of form shows the funnel as it stood then, as GET /v1/funnel?as_of= answers
    the same token; Now comes back to the funnel now."""
    token = new_token(demo_server, "manager", person(demo_server, "manager"))
    now = api_figures(api_get(demo_server, token, "/v1/funnel"))
    instant = next(
        f"{day}T12:00" for day in ("2026-10-01", "2026-08-01", "2026-05-01", "2025-12-01")
        if api_figures(api_get(demo_server, token, "/v1/funnel", as_of=f"{day}T12:00")) != now)
    page = offline_page.page
    sign_in(page, demo_server, token)
    assert page.locator("#as-of-said").inner_text() == "Now"

    page.locator("#as-of").fill(instant)
    page.get_by_role("button", name="Go", exact=True).click()
    page.wait_for_url("**as_of=*")

    then = api_get(demo_server, token, "/v1/funnel", as_of=instant)
    assert page_figures(page.content()) == api_figures(then) != now
    assert page.locator("#as-of-said").inner_text() == f"As of {instant.replace('T', ' ')} UTC"
    assert page.locator("#past-note").is_visible()
    page.screenshot(path=screenshots / "console-funnel-as-of.png", full_page=True)
    page.get_by_role("link", name="Now").click()
    page.wait_for_url("**/console/funnel?*")
    assert page_figures(page.content()) == now
    assert_stayed_on_this_machine(offline_page)
