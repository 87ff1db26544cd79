"""The Hand-overs page over HTTP (SQLite and PostgreSQL): a departed rep's items as
``GET /v1/handovers/{rep_id}`` answers them, by tier, overdue ones flagged; a manager moves an
item on from the page (the JSON API agrees afterwards); a second step of the same kind, a
record the caller may not see, a role that may not act and a form without its CSRF token
are refused, and write nothing."""

from datetime import date
from typing import Any

from api.console import handovers as console_handovers
from api.console.session import csrf_for
from tests.api.console_cells import table_cells
from tests.api.query_world import World, build_world, get
from tests.api.test_console_session import page, sign_in, token_of
from tests.conftest import Api, at

LEFT_ON = date(2026, 11, 22)  # the lower and middle tiers' items are due then: past


def departed_ann(api: Api) -> World:
    w = build_world(api.sales)
    api.sales.departure.depart(at(22), w.ann, successor_id=w.cy, effective_date=LEFT_ON)
    for path in ("/v1/reps", f"/v1/handovers/{w.ann}"):  # the page's models caught up
        get(api, path, api.token("admin"))
    return w


def api_items(api: Api, token: str, rep_id: str) -> dict[str, dict[str, Any]]:
    answer = get(api, f"/v1/handovers/{rep_id}", {"Authorization": f"Bearer {token}"})
    return {f"{i['kind']}:{i['id']}": i for i in answer["items"]}


def as_shown(items: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """The API's items as the page writes them: names, status, due day."""
    return {key: {"actor": i["actor_name"], "successor": i["successor_name"],
                  "status": i["status"], "due": i["due"]} for key, i in items.items()}


def advance(api: Api, rep_id: str, item: str, status: str, token: str | None) -> Any:
    kind, item_id = item.split(":")
    form = {"kind": kind, "id": item_id, "status": status}
    if token is not None:
        form["csrf"] = csrf_for(token)
    return api.client.post(f"/console/handovers/{rep_id}/advance", data=form,
                           follow_redirects=False)


def test_a_managers_page_shows_the_departed_reps_items_as_the_api_answers_them(api: Api):
    w = departed_ann(api)
    mia = token_of(api, "manager", w.mia)
    items = api_items(api, mia, w.ann)
    sign_in(api.client, mia)

    index, own = page(api.client, "/console/handovers"), page(api.client, f"/console/handovers/{w.ann}")

    assert index.status_code == own.status_code == 200
    for html in (index.text, own.text):
        assert table_cells(html, f"items-{w.ann}") == as_shown(items)
        assert html.count("Overdue</span>") == 3  # due Nov 22, 2026: past
        assert html.count('name="status" value="introduced"') == 3
    assert set(items) == {f"opportunity:{w.d1}", f"opportunity:{w.d2}", f"account:{w.acme}"}
    assert {i["actor_name"] for i in items.values()} == {"Mia", "Ann"}  # lower tier, middle
    assert "Left on 22 Nov 2026 · successor Cy · manager Mia" in own.text
    for html in (index.text, own.text):  # the CSP holds: no inline script or style
        assert "<script" not in html and "style=" not in html
    assert [t for t in ("lower", "middle", "upper") if f'data-tier="{t}"' in own.text] == [
        "lower", "middle"]


def test_a_manager_advances_an_item_and_the_api_agrees(api: Api):
    w = departed_ann(api)
    mia = token_of(api, "manager", w.mia)
    sign_in(api.client, mia)
    deal = f"opportunity:{w.d2}"

    moved = advance(api, w.ann, deal, "introduced", mia)
    shown = page(api.client, moved.headers["location"])
    events = api.events()
    again = advance(api, w.ann, deal, "introduced", mia)

    assert (moved.status_code, moved.headers["location"]) == (303, f"/console/handovers/{w.ann}")
    assert "deal 20000: hand-over introduced." in shown.text
    assert table_cells(shown.text, f"items-{w.ann}")[deal]["status"] == "introduced"
    assert api_items(api, mia, w.ann)[deal]["status"] == "introduced"
    assert 'name="status" value="completed"' in shown.text
    assert again.status_code == 409 and "Not done: hand-over is introduced; cannot become introduced" in again.text
    assert api.events() == events  # the refused step wrote nothing


def test_refused_steps_write_nothing(api: Api):
    w = departed_ann(api)
    mia, auditor = token_of(api, "manager", w.mia), token_of(api, "auditor")
    sam = token_of(api, "manager", w.sam)
    deal, events = f"opportunity:{w.d2}", api.events()

    sign_in(api.client, mia)
    forged = advance(api, w.ann, deal, "introduced", None)
    skipping = advance(api, w.ann, deal, "completed", mia)
    unknown = advance(api, w.ann, "lead:00000000-0000-4000-8000-000000000000", "introduced", mia)
    not_a_step = advance(api, w.ann, "order:" + w.d2, "introduced", mia)
    not_departed = page(api.client, f"/console/handovers/{w.cy}")
    sign_in(api.client, auditor)
    auditors = page(api.client, f"/console/handovers/{w.ann}")
    by_auditor = advance(api, w.ann, deal, "introduced", auditor)
    sign_in(api.client, sam)
    by_other_manager = advance(api, w.ann, deal, "introduced", sam)

    assert forged.status_code == 403 and "<h1>Refused</h1>" in forged.text
    assert skipping.status_code == 409 and "cannot become completed" in skipping.text
    assert unknown.status_code == 404
    assert not_a_step.status_code == 422 and "Not a step of a hand-over" in not_a_step.text
    assert not_departed.status_code == 200 and "This rep has not departed." in not_departed.text
    assert auditors.status_code == 200 and "Mark introduced" not in auditors.text
    assert by_auditor.status_code == 403
    assert by_other_manager.status_code == 404  # another team's: as if unknown
    assert api.events() == events
    assert api_items(api, mia, w.ann)[deal]["status"] == "pending"


def test_a_rep_of_another_team_sees_no_departure(api: Api):
    w = departed_ann(api)
    sign_in(api.client, token_of(api, "rep", w.bob))

    index, anns = page(api.client, "/console/handovers"), page(api.client, f"/console/handovers/{w.ann}")

    assert index.status_code == 200 and "No departed rep to hand over from." in index.text
    assert "Ann" not in index.text
    assert anns.status_code == 404 and "Ann" not in anns.text


def test_a_long_hand_over_comes_a_page_at_a_time_and_narrows_by_tier_status_and_overdue(
        api: Api, monkeypatch: Any):
    """Pages of two items (and two on the overview), so Ann's three make two pages."""
    monkeypatch.setattr(console_handovers, "PAGE_ITEMS", 2)
    monkeypatch.setattr(console_handovers, "OVERVIEW_ITEMS", 2)
    w = departed_ann(api)
    admin = token_of(api, "admin")
    every = api_items(api, admin, w.ann)
    sign_in(api.client, admin)
    own = f"/console/handovers/{w.ann}"

    index = page(api.client, "/console/handovers")
    first, second = page(api.client, own), page(api.client, f"{own}?offset=2")
    middle = page(api.client, f"{own}?tier=middle")
    overdue_lower = page(api.client, f"{own}?tier=lower&overdue=true")
    completed = page(api.client, f"{own}?status=completed")
    bad = page(api.client, f"{own}?tier=top")

    shown = as_shown(every)
    keys = list(shown)  # the API's order: lower tier first
    assert table_cells(index.text, f"items-{w.ann}") == {k: shown[k] for k in keys[:2]}
    assert f'href="/console/handovers/{w.ann}">All 3 items</a>' in index.text
    assert table_cells(first.text, f"items-{w.ann}") == {k: shown[k] for k in keys[:2]}
    assert 'rel="next" href="/console/handovers/' + w.ann + '?offset=2"' in first.text
    assert "Items 1–2 of 3" in first.text and 'rel="prev"' not in first.text
    assert table_cells(second.text, f"items-{w.ann}") == {k: shown[k] for k in keys[2:]}
    assert "Items 3–3 of 3" in second.text and 'rel="next"' not in second.text
    assert {k: v["tier"] for k, v in every.items() if k in table_cells(middle.text,
                                                                        f"items-{w.ann}")} == {
        f"opportunity:{w.d1}": "middle"}
    assert set(table_cells(overdue_lower.text, f"items-{w.ann}")) == {
        f"account:{w.acme}", f"opportunity:{w.d2}"}
    assert "No item matches." in completed.text and "Items 3" not in completed.text
    assert bad.status_code == 422 and "tier: lower, middle or upper" in bad.text


def test_a_reps_page_under_notice_shows_the_plan_as_the_api_lists_it(api: Api):
    w = build_world(api.sales)
    api.sales.departure.give_notice(at(22), w.ann, effective_date=date(2027, 1, 15),
                                    successor_id=w.cy)
    api.sales.departure.plan(at(22, 10), w.ann, [(w.d2, w.mia)])
    mia = token_of(api, "manager", w.mia)
    items = api_items(api, mia, w.ann)
    sign_in(api.client, mia)

    own = page(api.client, f"/console/handovers/{w.ann}")

    assert own.status_code == 200
    assert "Leaves on 15 Jan 2027 · plan under review · successor of the rest Cy" in own.text
    assert table_cells(own.text, f"items-{w.ann}") == as_shown(items)
    assert {i["status"] for i in items.values()} == {"planned"}
    assert {i["successor_name"] for i in items.values()} == {"Mia", "Cy"}
    assert 'name="status" value="introduced"' not in own.text  # nothing to step on yet
