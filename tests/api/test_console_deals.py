"""The Deals pages over HTTP (SQLite and PostgreSQL): the list is exactly the API's list for
the caller (a rep's own deals only, in searches too), its flags and filters are the API's
``stuck`` and ``no_contact_days``, its pages follow the API's cursor; a deal's page shows its
figures, activities, stages over time and history, and is the not-found page for a deal the
caller may not see."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from api.console.deals import NO_CONTACT_DAYS, PAGE_SIZE
from tests.api.console_deals import api_deals, page_deals, table_rows, without_flags
from tests.api.query_world import World, build_world, get
from tests.api.test_console_session import page, sign_in
from tests.conftest import Api, at


def _signed(api: Api, role: str, rep_id: str | None = None) -> dict[str, str]:
    token = api.tokens.create(role, rep_id)
    sign_in(api.client, token)
    return {"Authorization": f"Bearer {token}"}


def _shown(api: Api, path: str) -> Any:
    get(api, "/v1/opportunities", {"Authorization": "Bearer " + api.tokens.create("admin")})
    answer = page(api.client, path)  # the models caught up by the GET above
    assert answer.status_code == 200, answer.text
    return answer


def _old_deal(api: Api, w: World) -> str:
    """Ann's deal in prospecting since Nov 1 (stuck: 14 days is its limit), never contacted."""
    return str(api.sales.opportunities.open(
        at(1), account_id=w.acme, owner_id=w.ann, name="Old printer deal", amount=Decimal(900),
        currency="USD", expected_close=date(2027, 3, 1)).stream_id)


def test_a_reps_list_is_the_apis_list_of_their_deals_in_searches_too(api: Api):
    w = build_world(api.sales)
    ann = _signed(api, "rep", w.ann)

    listed = _shown(api, "/console/deals")
    asking_for_bob = _shown(api, f"/console/deals?owner_id={w.bob}")
    searched = _shown(api, "/console/deals?q=deal+2")
    searched_bob = _shown(api, "/console/deals?q=beta")

    assert without_flags(page_deals(listed.text)) == api_deals(get(api, "/v1/opportunities", ann))
    assert [d["id"] for d in page_deals(listed.text)] == sorted([w.d1, w.d2])
    assert page_deals(listed.text)[0]["account_name"] == "Acme"
    assert page_deals(asking_for_bob.text) == [] and "Bob" not in asking_for_bob.text
    assert [d["id"] for d in page_deals(searched.text)] == [w.d2] == [
        d["id"] for d in get(api, "/v1/opportunities", ann, q="deal 2")["items"]]
    assert page_deals(searched_bob.text) == [] and "No deal matches" in searched_bob.text
    assert f'href="/console/customers/{w.acme}"' in listed.text
    assert 'name="owner_id"' not in listed.text  # a rep chooses no one


def test_another_reps_deal_is_the_not_found_page(api: Api):
    w = build_world(api.sales)
    _signed(api, "rep", w.ann)
    get(api, "/v1/opportunities", api.token("admin"))

    bobs, unknown = page(api.client, f"/console/deals/{w.d3}"), page(
        api.client, "/console/deals/00000000-0000-4000-8000-000000000000")
    _signed(api, "manager", w.mia)
    other_team = page(api.client, f"/console/deals/{w.d3}")

    for answer in (bobs, unknown, other_team):
        assert answer.status_code == 404 and "<h1>Not found</h1>" in answer.text
        assert "deal 40000" not in answer.text and "Beta" not in answer.text


def test_a_managers_deal_page_shows_stages_activities_and_history(api: Api):
    w = build_world(api.sales)
    sales = api.sales
    sales.opportunities.log_interaction(at(9), w.d1, interaction_id="c1", kind="call",
                                        notes="Budget confirmed", outcome="positive")
    sales.opportunities.schedule_follow_up(at(9), w.d1, follow_up_id="f1",
                                           due=date(2026, 12, 20), note="Send the proposal")
    mia = _signed(api, "manager", w.mia)

    shown = _shown(api, f"/console/deals/{w.d1}").text
    timeline = get(api, f"/v1/accounts/{w.acme}/timeline", mia)

    stages = table_rows(shown, "stages", "stage")
    in_proposal = (datetime.now().astimezone() - datetime.fromisoformat(
        "2026-11-05T09:00:00+00:00")).days
    assert [(s["key"], s["3"]) for s in stages] == [
        ("prospecting", "2"), ("qualification", "1"), ("proposal", f"{in_proposal:,}")]
    assert stages[0]["1"] == "2 Nov 2026" and stages[2]["2"] == "still there"
    history = table_rows(shown, "history", "position")
    mine = [e for e in timeline["events"] if e["stream_id"] == w.d1]
    assert [int(h["key"]) for h in history] == [e["position"] for e in reversed(mine)]
    assert [h["1"] for h in history][:2] == [
        "Follow up scheduled: due 2026-12-20 · Send the proposal",
        "Interaction logged: call · Budget confirmed · positive"]
    assert history[-1]["1"] == "Opened: prospecting, 10000 EUR"
    assert "Budget confirmed" in shown and "Send the proposal" in shown
    assert f'<a id="account" href="/console/customers/{w.acme}">Acme</a>' in shown
    assert '<span id="owner">Ann</span>' in shown and '<span class="money" id="amount">€\u00a010,000.00' in shown


def test_the_flags_and_their_filters_are_the_apis(api: Api):
    w = build_world(api.sales)
    old = _old_deal(api, w)
    admin = _signed(api, "admin")

    listed = page_deals(_shown(api, "/console/deals?flag=all").text)
    opened = page_deals(_shown(api, "/console/deals").text)
    stuck = page_deals(_shown(api, "/console/deals?flag=stuck").text)
    silent = page_deals(_shown(api, "/console/deals?flag=no_contact").text)

    flagged = {d["id"]: d["flags"] for d in listed}
    api_stuck = {d["id"] for d in get(api, "/v1/opportunities/stuck", admin)["items"]}
    assert {d["id"] for d in stuck} == api_stuck == {i for i, f in flagged.items() if "Stuck" in f}
    assert old in api_stuck and stuck[0]["amount"] == Decimal(900) and stuck[0]["currency"] == "USD"
    quiet = {d["id"] for d in get(api, "/v1/opportunities", admin,
                                  no_contact_days=NO_CONTACT_DAYS)["items"]}
    assert {d["id"] for d in silent} == quiet == {i for i, f in flagged.items() if "No contact" in f}
    assert flagged[w.d3] == ""  # closed: never flagged
    assert {d["id"] for d in opened} == {w.d1, w.d2, old}  # open deals, by default
    assert page(api.client, "/console/deals?flag=lost").status_code == 422


def test_next_page_carries_the_cursor_and_the_filters(api: Api):
    w = build_world(api.sales)
    for _ in range(PAGE_SIZE):
        _old_deal(api, w)
    admin = _signed(api, "admin")

    first = _shown(api, "/console/deals?team=north&sort=-amount")
    link = first.text.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = _shown(api, link)
    pages = get(api, "/v1/opportunities", admin, team="north", sort="-amount", limit=PAGE_SIZE)

    assert "team=north" in link and "sort=-amount" in link and "cursor=" in link
    assert [d["id"] for d in page_deals(first.text)] == [d["id"] for d in pages["items"]]
    assert [d["id"] for d in page_deals(second.text)] == [d["id"] for d in get(
        api, "/v1/opportunities", admin, team="north", sort="-amount", limit=PAGE_SIZE,
        cursor=pages["next_cursor"])["items"]]
    assert len(page_deals(second.text)) == 2 and 'rel="next"' not in second.text


def test_a_reps_deal_on_a_colleagues_account_shows_without_the_accounts_history(api: Api):
    w = build_world(api.sales)
    on_beta = str(api.sales.opportunities.open(
        at(9), account_id=w.beta, owner_id=w.ann, name="Ann on Beta", amount=Decimal(700),
        expected_close=date(2027, 2, 1)).stream_id)
    _signed(api, "rep", w.ann)

    shown = _shown(api, f"/console/deals/{on_beta}").text

    assert '<h1 id="deal-name">Ann on Beta</h1>' in shown
    assert "The account's timeline is not yours to see." in shown
    assert table_rows(shown, "history", "position") == []
    assert "Beta" not in shown.replace("Ann on Beta", "")
    assert f'href="/console/customers/{w.beta}">The account</a>' in shown
