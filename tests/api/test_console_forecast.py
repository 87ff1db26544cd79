"""The Forecast page over HTTP (SQLite and PostgreSQL): every cell of each currency's period
table is what ``GET /v1/forecast`` answers the same token, the method and its reason are
shown, the quota is drawn across the bars only for a forecast in one currency, and the reps
against quota are ``GET /v1/performance``'s."""

from decimal import Decimal

from tests.api.console_forecast_pages import api_figures, page_figures
from tests.api.query_world import get
from tests.api.test_console_session import page, sign_in, token_of
from tests.conftest import Api
from tests.read_models.forecast_world import build


def test_a_managers_forecast_page_shows_their_teams_figures_as_the_api_answers(api: Api):
    w = build(api.sales, usd=True)
    mia = token_of(api, "manager", w.mia)
    bearer = {"Authorization": f"Bearer {mia}"}
    answer = get(api, "/v1/forecast", bearer, period="quarter")
    year, month = int(answer["as_of"][:4]), int(answer["as_of"][5:7])
    reps = get(api, "/v1/performance", bearer, period=f"{year}-Q{(month - 1) // 3 + 1}")
    sign_in(api.client, mia)

    shown = page(api.client, "/console/forecast")
    asking_for_bob = page(api.client, f"/console/forecast?period=quarter&rep_id={w.bob}")

    assert shown.status_code == 200, shown.text
    figures = page_figures(shown.text)
    assert figures == api_figures(answer)
    assert {currency for currency, _ in figures} == {"EUR"}  # Bob's dollars are not Mia's team's
    assert figures[("EUR", "2026-Q1")]["quota"] == Decimal(5000)  # Ann's quota of the quarter
    reason = answer["method_reason"]
    assert f"{reason[:1].upper()}{reason[1:]}." in shown.text.replace("&#39;", "'")
    assert 'class="marker"' in shown.text  # one currency: the quota across the bars
    assert [r["name"] for r in reps["items"]] == ["Ann", "Mia"]
    assert all(f'data-rep="{r["rep_id"]}"' in shown.text for r in reps["items"])
    assert asking_for_bob.status_code == 200 and "Bob" not in asking_for_bob.text


def test_an_admin_sees_each_currency_apart_and_no_quota_drawn_against_either(api: Api):
    build(api.sales, usd=True)
    admin = token_of(api, "admin")
    answer = get(api, "/v1/forecast", {"Authorization": f"Bearer {admin}"}, period="month")
    sign_in(api.client, admin)

    shown = page(api.client, "/console/forecast?period=month")

    assert shown.status_code == 200, shown.text
    assert page_figures(shown.text) == api_figures(answer)
    assert {c for c, _ in page_figures(shown.text)} == {"EUR", "USD"}
    assert 'class="marker"' not in shown.text  # a quota has no currency
    assert page(api.client, "/console/forecast?period=week").status_code == 422
