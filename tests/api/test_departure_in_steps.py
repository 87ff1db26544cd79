"""A departure in steps over HTTP (SQLite and PostgreSQL): the notice opens a plan that
``GET /v1/handovers/{rep_id}`` lists (status planned); the manager splits it over two
successors and approves it; a changed plan needs approving again; on the effective date the
plan executes, each item going to its planned successor; the upper tier waits for the lower
and middle items, and is due a week after they are done; the next meeting agreed at a
middle-tier introduction is recorded. Refusals name the field and write nothing."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from infra.service.context import CommandContext
from tests.api.query_world import World, build_world, get
from tests.api.test_accounts import refused
from tests.conftest import Api, at

LEAVES_ON = date(2027, 1, 15)  # after today: the plan waits for its day


def _hire_dee(api: Api, w: World) -> str:
    return str(api.sales.reps.hire(at(1), name="Dee", email="dee@example.com", role="rep",
                                   team="north", region="north", manager_id=w.mia).stream_id)


def _anns_early_deal(api: Api, w: World) -> str:
    return str(api.sales.opportunities.open(
        at(9), account_id=w.acme, owner_id=w.ann, name="early", amount=Decimal(3000),
        expected_close=date(2027, 3, 31)).stream_id)


def _items(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in answer["items"]}


def _plan_of(answer: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    """Each item's (tier, successor, status)."""
    return {i["id"]: (i["tier"], i["successor_id"], i["status"]) for i in answer["items"]}


def test_notice_plan_split_approval_and_execution_on_the_day(api: Api):
    w = build_world(api.sales)
    dee, early = _hire_dee(api, w), _anns_early_deal(api, w)
    mia, admin = api.token("manager", w.mia), api.token("admin")
    handovers = f"/v1/handovers/{w.ann}"

    noticed = api.client.post(f"/v1/reps/{w.ann}/notice", headers=mia,
                              json={"effective_date": LEAVES_ON.isoformat(), "successor_id": dee})
    assert noticed.status_code == 201, noticed.text
    proposed = get(api, handovers, mia)

    # d2 is at 75 % (lower tier: Mia acts), d1 at 50 % (middle: Ann calls), the early deal
    # at 10 % (upper: the successor calls, once the others are done); Acme follows d2
    assert (proposed["stage"], proposed["departed"], proposed["successor_id"]) == (
        "noticed", False, dee)
    assert _plan_of(proposed) == {w.d2: ("lower", dee, "planned"),
                                  w.acme: ("lower", dee, "planned"),
                                  w.d1: ("middle", dee, "planned"),
                                  early: ("upper", dee, "planned")}
    assert [i["id"] for i in proposed["items"]][-1] == early  # lower, middle, then upper
    actors = {i["id"]: i["actor_id"] for i in proposed["items"]}
    assert (actors[w.d2], actors[w.d1], actors[early]) == (w.mia, w.ann, dee)
    upper = _items(proposed)[early]
    assert (upper["waiting"], upper["due"]) == (True, None)
    assert _items(proposed)[w.d1]["due"] == LEAVES_ON.isoformat()
    assert proposed["summary"]["planned"] == 4 and proposed["unassigned"] == []

    # the manager gives the 75 % deal (and so Acme, which follows it) to Cy
    split = api.client.put(f"{handovers}/plan", headers=mia,
                           json={"assignments": [{"id": w.d2, "successor_id": w.cy}]})
    assert split.status_code == 200, split.text
    assert _plan_of(get(api, handovers, mia)) == {w.d2: ("lower", w.cy, "planned"),
                                                  w.acme: ("lower", w.cy, "planned"),
                                                  w.d1: ("middle", dee, "planned"),
                                                  early: ("upper", dee, "planned")}
    cy_sees = get(api, handovers, api.token("rep", w.cy))  # a named successor: their items
    assert set(_items(cy_sees)) == {w.d2, w.acme}

    approved = api.client.post(f"{handovers}/approve", headers=mia)
    assert approved.status_code == 200, approved.text
    answer = get(api, handovers, mia)
    assert (answer["stage"], answer["departed"]) == ("approved", False)
    assert answer["approved_at"] is not None

    # a changed plan withdraws the approval; approved again
    api.client.put(f"{handovers}/plan", headers=mia, json={"assignments": [
        {"id": w.d2, "successor_id": w.cy}, {"id": w.acme, "successor_id": dee}]})
    assert get(api, handovers, mia)["stage"] == "noticed"
    assert api.client.post(f"{handovers}/approve", headers=mia).status_code == 200

    # not the day yet: the timer does nothing; on the day, the plan executes
    assert api.sales.departure.execute_due(CommandContext(actor="system:flows")) == 0
    on_the_day = CommandContext(actor="system:flows",
                                now=datetime.combine(LEAVES_ON, datetime.min.time(), UTC))
    assert api.sales.departure.execute_due(on_the_day) == 1
    assert api.sales.departure.execute_due(on_the_day) == 0  # once only
    done = get(api, handovers, admin)
    assert (done["stage"], done["departed"], done["effective_date"]) == (
        "departed", True, LEAVES_ON.isoformat())
    assert _plan_of(done) == {w.d2: ("lower", w.cy, "pending"),
                              w.acme: ("lower", dee, "pending"),
                              w.d1: ("middle", dee, "pending"),
                              early: ("upper", dee, "pending")}
    for deal, owner in ((w.d2, w.cy), (w.d1, dee), (early, dee)):
        assert get(api, f"/v1/opportunities/{deal}", admin)["owner_id"] == owner
    assert _items(done)[early]["waiting"] is True and _items(done)[early]["due"] is None

    # the middle tier: Ann introduces Dee and fixes the next meeting
    ann = api.token("rep", w.ann)
    meeting = "2027-01-20T10:30:00+01:00"
    introduced = api.client.post(f"/v1/opportunities/{w.d1}/handover", headers=ann,
                                 json={"status": "introduced", "next_meeting_at": meeting})
    assert introduced.status_code == 200, introduced.text
    shown = _items(get(api, handovers, admin))[w.d1]
    assert datetime.fromisoformat(shown["next_meeting_at"]) == datetime.fromisoformat(meeting)
    for item, kind in ((w.d1, "opportunities"), (w.d2, "opportunities"), (w.acme, "accounts")):
        for step in ("introduced", "completed"):
            if (item, step) == (w.d1, "introduced"):
                continue
            moved = api.client.post(f"/v1/{kind}/{item}/handover", headers=admin,
                                    json={"status": step})
            assert moved.status_code == 200, moved.text
            if item != w.acme:  # the upper tier still waits for Acme
                assert _items(get(api, handovers, admin))[early]["due"] is None
    finished = _items(get(api, handovers, admin))[early]
    # due a week after the later of the effective date and the day the first tiers were done
    assert finished["waiting"] is False
    assert finished["due"] == (max(LEAVES_ON, datetime.now(UTC).date())
                               + timedelta(days=7)).isoformat()


def test_a_notice_recorded_after_its_day_executes_on_approval_and_is_answered_both_ways(
        api: Api):
    w = build_world(api.sales)
    mia = api.token("manager", w.mia)
    late = date(2026, 11, 25)  # recorded after the day the rep left
    assert api.client.post(f"/v1/reps/{w.ann}/notice", headers=mia,
                           json={"effective_date": late.isoformat()}).status_code == 201
    proposed = get(api, f"/v1/handovers/{w.ann}", mia)
    assert proposed["successor_id"] == w.mia  # no successor named: the manager
    assert proposed["overdue_count"] == 3  # due on a day that has passed, not executed

    approved = api.client.post(f"/v1/handovers/{w.ann}/approve", headers=mia)

    assert approved.status_code == 200, approved.text
    assert approved.json()["position"] == api.events()  # the hand-over is in its answer
    done = get(api, f"/v1/handovers/{w.ann}", mia)
    assert (done["stage"], done["effective_date"]) == ("departed", late.isoformat())
    assert {i["successor_id"] for i in done["items"]} == {w.mia}
    assert get(api, f"/v1/reps/{w.ann}", mia)["active"] is False
    # answered as of both instants: on Nov 30 (after the effective date, before the notice
    # was recorded) the deals were Ann's as far as anyone knew; now they are Mia's
    def deals_of(rep_id: str, **asked: str) -> list[tuple[str, int]]:
        stages = get(api, "/v1/funnel", mia, rep_id=rep_id, **asked)["stages"]
        return [(s["stage"], s["count"]) for s in stages if s["count"]]

    known_then = deals_of(w.ann, as_of="2026-11-30")
    assert known_then == [("proposal", 1), ("negotiation", 1)]
    assert deals_of(w.ann) == [] and deals_of(w.mia) == known_then


def test_refusals_name_the_field_and_write_nothing(api: Api):
    w = build_world(api.sales)
    dee = _hire_dee(api, w)
    mia, ann = api.token("manager", w.mia), api.token("rep", w.ann)
    handovers = f"/v1/handovers/{w.ann}"
    before = api.events()

    refused(api.client.post(f"{handovers}/approve", headers=mia), 409, "invalid_transition")
    refused(api.client.put(f"{handovers}/plan", headers=mia, json={"assignments": []}),
            409, "invalid_transition")
    refused(api.client.post(f"/v1/reps/{w.ann}/notice", headers=mia,
                            json={"effective_date": "2027-02-30"}), 422, "invalid_input",
            ["effective_date"])
    refused(api.client.post(f"/v1/reps/{w.ann}/notice", headers=mia,
                            json={"effective_date": "2027-01-31", "successor_id": w.ann}),
            409, "rule_violation", ["successor_id"])
    refused(api.client.post(f"/v1/reps/{w.mia}/notice", headers=api.token("admin"),
                            json={"effective_date": "2027-01-31"}), 409, "rule_violation",
            ["successor_id"])  # Mia has no manager to default to
    assert api.client.post(f"/v1/reps/{w.ann}/notice", headers=api.token("auditor"),
                           json={"effective_date": "2027-01-31"}).status_code == 403
    assert api.events() == before

    assert api.client.post(f"/v1/reps/{w.ann}/notice", headers=ann,  # the rep themself
                           json={"effective_date": "2027-01-31"}).status_code == 201
    after_notice = api.events()
    refused(api.client.post(f"/v1/reps/{w.ann}/notice", headers=mia,
                            json={"effective_date": "2027-02-28"}), 409, "rule_violation",
            ["effective_date"])
    for assignments, status, code, field in (
            ([{"id": w.d3, "successor_id": dee}], 409, "rule_violation", "assignments[0].id"),
            ([{"id": w.d1, "successor_id": w.ann}], 409, "rule_violation",
             "assignments[0].successor_id"),
            ([{"id": w.d1, "successor_id": dee}, {"id": w.d1, "successor_id": w.cy}], 422,
             "invalid_input", "assignments[1].id"),
            ([{"id": w.d1, "successor_id": w.bob}], 404, "not_found", None)):  # not Mia's team
        refused(api.client.put(f"{handovers}/plan", headers=mia,
                               json={"assignments": assignments}), status, code,
                [field] if field else None)
    assert api.client.put(f"{handovers}/plan", headers=ann, json={"assignments": []}
                          ).status_code == 403  # the departing rep does not plan
    assert api.client.post(f"{handovers}/approve", headers=ann).status_code == 403
    refused(api.client.post(f"/v1/opportunities/{w.d1}/handover", headers=mia,
                            json={"status": "introduced", "next_meeting_at": "soon"}),
            422, "invalid_input", ["next_meeting_at"])
    assert api.events() == after_notice
