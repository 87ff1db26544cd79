"""The Forecast page in a real browser on the demo data: a manager's page shows, cell by
cell, what ``GET /v1/forecast`` answers their token (their team, per currency, each period's
quota), the method chosen and why, and the quota drawn across the bars; the period tabs and
the pickers work without script; nothing is loaded from outside; a picture at 1366x768."""

from pathlib import Path

from tests.api.console_forecast_pages import api_figures, page_figures
from tests.browser.conftest import OfflinePage
from tests.browser.test_console import (
    api_get,
    assert_stayed_on_this_machine,
    new_token,
    person,
    sign_in,
)
from tests.integration.serve import Server


def test_a_managers_forecast_page_shows_what_the_api_answers(
        demo_server: Server, offline_page: OfflinePage, screenshots: Path):
    token = new_token(demo_server, "manager", person(demo_server, "manager"))
    page = offline_page.page
    sign_in(page, demo_server, token)

    page.get_by_role("link", name="Forecast").click()
    page.wait_for_url("**/console/forecast")
    quarters = api_get(demo_server, token, "/v1/forecast", period="quarter")

    figures = page_figures(page.content())
    assert figures == api_figures(quarters)
    assert any(v["quota"] for v in figures.values())  # the demo's quarterly quotas
    assert page.locator("#method").inner_text() == quarters["method"].replace("_", " ").capitalize()
    reason = quarters["by_currency"][0]["method_reason"]
    assert page.locator(".reason").first.inner_text() == f"{reason[:1].upper()}{reason[1:]}."
    assert page.locator("svg.chart .marker").count() == sum(
        1 for p in quarters["periods"] if p["quota"] is not None)
    page.screenshot(path=screenshots / "console-forecast.png", full_page=True)

    page.get_by_role("link", name="Months").click()
    page.wait_for_url("**/console/forecast?period=month*")
    assert page_figures(page.content()) == api_figures(
        api_get(demo_server, token, "/v1/forecast", period="month"))
    assert_stayed_on_this_machine(offline_page)
