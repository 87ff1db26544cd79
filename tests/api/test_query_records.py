"""HTTP: hand-overs, inventory, customer timeline, follow-ups, channels and reports — exact
values after real commands, who may see them (404 / 403 otherwise), and 422 naming fields."""

from datetime import UTC, date, datetime
from decimal import Decimal

from tests.api.query_world import World, build_world, get, qapi_fixture, status  # noqa: F401
from tests.conftest import Api, at

UNKNOWN = "2d9f8ae8-372c-48df-95e7-008663e3c030"
LOWER = "manager_introduces_successor_in_person"
MIDDLE = "departing_rep_calls_and_fixes_next_meeting"


def _stock(qapi: Api, w: World) -> None:
    """W-1: 20 received, 3 for Acme's order (Nov 3), 2 for Beta's (Nov 10); G-2: 10 of 50."""
    sales = qapi.sales
    sales.stock.register(at(1), sku="W-1", name="Widget", base_price=Decimal("10.00"),
                         reorder_level=5)
    sales.stock.receive(at(2), "W-1", quantity=20)
    sales.stock.register(at(1), sku="G-2", name="Gadget", base_price=Decimal("25.00"),
                         reorder_level=50)
    sales.stock.receive(at(2), "G-2", quantity=10)
    sales.orders.place(at(3), account_id=w.acme, lines=[("W-1", 3)])
    sales.orders.place(at(10), account_id=w.beta, lines=[("W-1", 2)])


def test_a_departures_hand_over_items_and_who_may_see_them(qapi: Api):
    w = build_world(qapi.sales)
    qapi.sales.departure.depart(at(22), w.ann, successor_id=w.bob)
    due = "2026-11-22"
    to_bob = {"successor_id": w.bob, "successor_name": "Bob", "status": "pending", "due": due,
              "waiting": False, "next_meeting_at": None}
    items = [
        {"kind": "account", "id": w.acme, "name": "Acme", "tier": "lower", "action": LOWER,
         "actor_id": w.mia, "actor_name": "Mia", **to_bob},
        {"kind": "opportunity", "id": w.d2, "name": "deal 20000", "tier": "lower",
         "action": LOWER, "actor_id": w.mia, "actor_name": "Mia", **to_bob},
        {"kind": "opportunity", "id": w.d1, "name": "deal 10000", "tier": "middle",
         "action": MIDDLE, "actor_id": w.ann, "actor_name": "Ann", **to_bob}]
    expected = {"rep_id": w.ann, "name": "Ann", "departed": True, "stage": "departed",
                "noticed_at": None, "approved_at": None, "successor_id": w.bob,
                "successor_name": "Bob", "manager_id": w.mia, "manager_name": "Mia",
                "effective_date": due, "items": items, "unassigned": [],
                "summary": {"planned": 0, "pending": 3, "introduced": 0, "completed": 0},
                "total": 3, "limit": 500, "offset": 0,
                "overdue_count": 3}  # due on 22 Nov 2026, before any day these tests run
    path = f"/v1/handovers/{w.ann}"

    for who in (qapi.token("admin"), qapi.token("auditor"), qapi.token("integrator"),
                qapi.token("manager", w.mia), qapi.token("rep", w.ann),
                qapi.token("rep", w.bob)):  # Bob, of the south team, is the successor
        assert get(qapi, path, who) == expected
    for who in (qapi.token("rep", w.cy), qapi.token("manager", w.sam)):
        assert status(qapi, path, who) == (404, "not_found", [])


def test_hand_over_items_filtered_and_paged(qapi: Api):
    w = build_world(qapi.sales)
    qapi.sales.departure.depart(at(22), w.ann, successor_id=w.bob)
    qapi.sales.opportunities.advance_handover(at(23), w.d2, status="introduced")
    qapi.sales.opportunities.advance_handover(at(24), w.d2, status="completed")
    admin, path = qapi.token("admin"), f"/v1/handovers/{w.ann}"

    def ids(query: str) -> tuple[list[str], int, int]:
        answer = get(qapi, path, admin, **dict(pair.split("=") for pair in query.split("&")))
        return [i["id"] for i in answer["items"]], answer["total"], answer["overdue_count"]

    # overdue_count counts the whole departure, whatever the filters: d2 is completed
    assert ids("tier=lower") == ([w.acme, w.d2], 2, 2)
    assert ids("status=completed") == ([w.d2], 1, 2)
    assert ids("overdue=true") == ([w.acme, w.d1], 2, 2)
    assert ids("tier=middle&overdue=true") == ([w.d1], 1, 2)
    assert ids("limit=2") == ([w.acme, w.d2], 3, 2)
    assert ids("limit=2&offset=2") == ([w.d1], 3, 2)
    assert ids("offset=3") == ([], 3, 2)
    for bad, field in (("tier=top", "tier"), ("status=done", "status"), ("limit=0", "limit"),
                       ("limit=501", "limit"), ("offset=-1", "offset"), ("overdue=maybe", "overdue")):
        name, value = bad.split("=")
        assert status(qapi, path, admin, **{name: value}) == (422, "invalid_input", [field]), bad


def test_hand_overs_of_a_rep_still_here_unknown_or_malformed(qapi: Api):
    w = build_world(qapi.sales)
    admin = qapi.token("admin")

    assert get(qapi, f"/v1/handovers/{w.bob}", admin) == {
        "rep_id": w.bob, "name": None, "departed": False, "stage": None, "noticed_at": None,
        "approved_at": None, "successor_id": None,
        "successor_name": None, "manager_id": None, "manager_name": None, "effective_date": None,
        "items": [], "unassigned": [],
        "summary": {"planned": 0, "pending": 0, "introduced": 0, "completed": 0},
        "total": 0, "limit": 500, "offset": 0, "overdue_count": 0}
    assert status(qapi, f"/v1/handovers/{UNKNOWN}", admin) == (404, "not_found", [])
    assert status(qapi, "/v1/handovers/nobody", admin) == (422, "invalid_input", ["rep_id"])


def test_inventory_levels_for_any_role(qapi: Api):
    w = build_world(qapi.sales)
    _stock(qapi, w)
    widget = {"sku": "W-1", "name": "Widget", "base_price": "10.00", "on_hand": 20,
              "reserved": 5, "available": 15, "reorder_level": 5, "below_reorder": False}
    gadget = {"sku": "G-2", "name": "Gadget", "base_price": "25.00", "on_hand": 10,
              "reserved": 0, "available": 10, "reorder_level": 50, "below_reorder": True}

    for who in (qapi.token("rep", w.cy), qapi.token("integrator"), qapi.token("manager", w.sam)):
        assert get(qapi, "/v1/inventory/W-1", who) == widget
    rep = qapi.token("rep", w.cy)
    assert get(qapi, "/v1/inventory", rep) == {"items": [gadget, widget], "total": 2,
                                                "limit": 100, "offset": 0}
    assert get(qapi, "/v1/inventory", rep, below_reorder="true")["items"] == [gadget]
    assert get(qapi, "/v1/inventory", rep, limit=1, offset=1)["items"] == [widget]
    assert status(qapi, "/v1/inventory/X-9", rep) == (404, "not_found", [])
    assert status(qapi, "/v1/inventory", rep, below_reorder="maybe") == (
        422, "invalid_input", ["below_reorder"])


def test_a_skus_movements_newest_first_and_paged(qapi: Api):
    w = build_world(qapi.sales)
    _stock(qapi, w)
    rep = qapi.token("rep", w.ann)

    found = get(qapi, "/v1/inventory/W-1/movements", rep)
    older = get(qapi, "/v1/inventory/W-1/movements", rep, limit=1, offset=2)

    assert [(m["kind"], m["on_hand_delta"], m["reserved_delta"], m["on_hand_after"],
             m["reserved_after"]) for m in found["items"]] == [
        ("reserved", 0, 2, 20, 5), ("reserved", 0, 3, 20, 3), ("received", 20, 0, 20, 0)]
    assert found["items"][-1]["occurred_at"] == "2026-11-02T09:00:00Z"
    assert (found["sku"], older["items"]) == ("W-1", found["items"][2:])
    assert status(qapi, "/v1/inventory/X-9/movements", rep) == (404, "not_found", [])


def test_an_accounts_timeline_and_its_state_as_of_an_instant(qapi: Api):
    w = build_world(qapi.sales)
    path = f"/v1/accounts/{w.acme}/timeline"

    now = get(qapi, path, qapi.token("rep", w.ann))
    then = get(qapi, path, qapi.token("auditor"), as_of="2026-11-02T08:00:00Z")

    assert [(e["type"], e["stream_id"]) for e in now["events"]] == [
        ("AccountOpened", w.acme), ("OpportunityOpened", w.d1), ("OpportunityOpened", w.d2),
        ("OpportunityStageChanged", w.d1), ("OpportunityStageChanged", w.d1),
        ("OpportunityStageChanged", w.d2), ("OpportunityAmountChanged", w.d2)]
    state = now["state"]
    assert (state["account"]["name"], state["account"]["owner_id"]) == ("Acme", w.ann)
    assert sorted((o["id"], o["stage"], o["amount"]) for o in state["opportunities"]) == sorted(
        [(w.d1, "proposal", "10000"), (w.d2, "negotiation", "24000")])
    assert [e["type"] for e in then["events"]] == ["AccountOpened"]
    assert (then["state"]["as_of"], then["state"]["opportunities"]) == (
        "2026-11-02T08:00:00+00:00", [])


def test_a_timeline_is_404_to_whoever_may_not_see_the_account(qapi: Api):
    w = build_world(qapi.sales)
    path = f"/v1/accounts/{w.acme}/timeline"

    for who in (qapi.token("manager", w.mia), qapi.token("integrator"), qapi.token("admin")):
        assert len(get(qapi, path, who)["events"]) == 7
    for who in (qapi.token("rep", w.bob), qapi.token("rep", w.cy), qapi.token("manager", w.sam)):
        assert status(qapi, path, who) == (404, "not_found", [])
    admin = qapi.token("admin")
    assert status(qapi, f"/v1/accounts/{UNKNOWN}/timeline", admin) == (404, "not_found", [])
    assert status(qapi, "/v1/accounts/acme/timeline", admin) == (
        422, "invalid_input", ["account_id"])
    assert status(qapi, path, admin, as_of="yesterday") == (422, "invalid_input", ["as_of"])


def _follow_ups(qapi: Api, w: World) -> str:
    sales = qapi.sales
    lead = str(sales.leads.capture(at(1), person="Ada", company="Ada Ltd", email="ada@x.com",
                                   channel="web_form").stream_id)
    sales.leads.assign(at(1), lead, rep_id=w.ann)
    loose = str(sales.leads.capture(at(1), person="Dan", company="Dan Ltd", email="dan@x.com",
                                    channel="event").stream_id)
    for record, fid, day in ((lead, "f1", 5), (lead, "f2", 20), (loose, "d1", 7)):
        sales.leads.schedule_follow_up(at(2), record, follow_up_id=fid, due=date(2026, 11, day),
                                       note=fid)
    sales.accounts.schedule_follow_up(at(2), w.acme, follow_up_id="a1",
                                      due=date(2026, 11, 8), note="a1")
    sales.accounts.schedule_follow_up(at(2), w.beta, follow_up_id="b1",
                                      due=date(2026, 11, 4), note="b1")
    return lead


def test_follow_ups_soonest_first_scoped_and_overdue_only(qapi: Api):
    w = build_world(qapi.sales)
    _follow_ups(qapi, w)

    def ids(headers, **params):
        found = get(qapi, "/v1/activities/follow-ups", headers, today="2026-11-06", **params)
        return [f["follow_up_id"] for f in found["items"]]

    admin = qapi.token("admin")
    everything = get(qapi, "/v1/activities/follow-ups", admin, today="2026-11-06")
    assert [(f["follow_up_id"], f["owner_id"], f["due"], f["overdue"], f["due_today"])
            for f in everything["items"]] == [
        ("b1", w.bob, "2026-11-04", True, False), ("f1", w.ann, "2026-11-05", True, False),
        ("d1", None, "2026-11-07", False, False), ("a1", w.ann, "2026-11-08", False, False),
        ("f2", w.ann, "2026-11-20", False, False)]
    assert (everything["today"], everything["total"]) == ("2026-11-06", 5)
    assert [(f["record_name"], f["owner_name"]) for f in everything["items"][3:]] == [
        ("Acme", "Ann"), (everything["items"][4]["record_name"], "Ann")]
    assert everything["items"][4]["record_name"].endswith(")")  # a lead: "person (company)"
    assert ids(admin, overdue="true") == ["b1", "f1"]
    assert ids(admin, rep_id=w.bob) == ["b1"]
    assert ids(qapi.token("rep", w.ann), rep_id=w.bob) == ["f1", "a1", "f2"]
    assert ids(qapi.token("manager", w.mia)) == ["f1", "d1", "a1", "f2"]
    assert ids(qapi.token("manager", w.sam), overdue="true") == ["b1"]
    assert status(qapi, "/v1/activities/follow-ups", admin, today="someday") == (
        422, "invalid_input", ["today"])


def test_channel_figures_are_for_the_read_everything_roles(qapi: Api):
    w = build_world(qapi.sales)
    _follow_ups(qapi, w)
    before = qapi.events()

    found = get(qapi, "/v1/activities/channels", qapi.token("auditor"))

    assert [(c["channel"], c["leads"], c["won_revenue"], c["cost"]) for c in found["items"]] == [
        ("event", 1, "0.00", None), ("web_form", 1, "0.00", None)]
    for who in (qapi.token("rep", w.ann), qapi.token("manager", w.mia)):
        assert status(qapi, "/v1/activities/channels", who) == (403, "forbidden", [])
    assert qapi.events() == before


def test_sales_report_per_period_and_dimension(qapi: Api):
    w = build_world(qapi.sales)
    _stock(qapi, w)
    admin = qapi.token("admin")

    def rows(headers, **params):
        found = get(qapi, "/v1/reports/sales", headers, **params)
        return [(r["period"], r["key"], r["orders"], r["revenue"]) for r in found["items"]]

    assert rows(admin) == [("2026-11", None, 2, "50.00")]
    assert rows(admin, period="week", by="region") == [
        ("2026-W45", "north", 1, "30.00"), ("2026-W46", "south", 1, "20.00")]
    assert rows(admin, by="product") == [("2026-11", "W-1", 2, "50.00")]
    assert sorted(rows(admin, by="rep")) == sorted([("2026-11", w.ann, 1, "30.00"),
                                                    ("2026-11", w.bob, 1, "20.00")])
    assert rows(qapi.token("rep", w.ann), by="rep") == [("2026-11", w.ann, 1, "30.00")]
    assert rows(qapi.token("manager", w.sam), by="rep") == [("2026-11", w.bob, 1, "20.00")]
    named = {r["key"]: r["key_name"] for by in ("rep", "product")
             for r in get(qapi, "/v1/reports/sales", admin, by=by)["items"]}
    assert named == {w.ann: "Ann", w.bob: "Bob", "W-1": "Widget"}
    assert get(qapi, "/v1/reports/sales", admin, by="region")["items"][0]["key_name"] is None
    assert status(qapi, "/v1/reports/sales", qapi.token("rep", w.ann), by="region") == (
        403, "forbidden", [])
    assert status(qapi, "/v1/reports/sales", admin, period="decade", by="color") == (
        422, "invalid_input", ["period", "by"])


def test_churned_accounts_scoped_to_what_the_caller_may_see(qapi: Api):
    w = build_world(qapi.sales)
    _stock(qapi, w)

    def accounts(headers, months=3):
        found = get(qapi, "/v1/reports/churn", headers, as_of="2027-03-01", months=months)
        return [(r["account_id"], r["last_order_on"], r["orders"], r["revenue"])
                for r in found["items"]]

    acme, beta = (w.acme, "2026-11-03", 1, "30.00"), (w.beta, "2026-11-10", 1, "20.00")
    assert accounts(qapi.token("auditor")) == [acme, beta]
    assert accounts(qapi.token("rep", w.ann)) == [acme]
    assert accounts(qapi.token("manager", w.mia)) == [acme]
    assert accounts(qapi.token("rep", w.bob)) == [beta]
    assert accounts(qapi.token("admin"), months=5) == []
    named = get(qapi, "/v1/reports/churn", qapi.token("auditor"), as_of="2027-03-01", months=3)
    assert [(r["name"], r["owner_name"]) for r in named["items"]] == [("Acme", "Ann"),
                                                                     ("Beta", "Bob")]
    assert status(qapi, "/v1/reports/churn", qapi.token("admin"), months=-1) == (
        422, "invalid_input", ["months"])


def test_a_deals_stages_with_the_days_spent_in_each_for_whoever_may_see_it(qapi: Api):
    w = build_world(qapi.sales)
    path = f"/v1/opportunities/{w.d3}/stages"  # Bob's: opened Nov 3, proposal Nov 8, won Nov 20
    expected = {"opportunity_id": w.d3, "items": [
        {"stage": "prospecting", "entered_at": "2026-11-03T09:00:00Z",
         "left_at": "2026-11-08T09:00:00Z", "days": 5},
        {"stage": "proposal", "entered_at": "2026-11-08T09:00:00Z",
         "left_at": "2026-11-20T09:00:00Z", "days": 12},
        {"stage": "closed_won", "entered_at": "2026-11-20T09:00:00Z", "left_at": None,
         "days": None}]}

    for who in (qapi.token("admin"), qapi.token("auditor"), qapi.token("integrator"),
                qapi.token("manager", w.sam), qapi.token("rep", w.bob)):
        assert get(qapi, path, who) == expected
    for who in (qapi.token("rep", w.ann), qapi.token("manager", w.mia)):
        assert status(qapi, path, who) == (404, "not_found", [])
    admin = qapi.token("admin")
    assert status(qapi, f"/v1/opportunities/{UNKNOWN}/stages", admin) == (404, "not_found", [])
    assert status(qapi, "/v1/opportunities/nothing/stages", admin) == (
        422, "invalid_input", ["opportunity_id"])
    # an open deal's current stage: whole days until now
    current = get(qapi, f"/v1/opportunities/{w.d1}/stages", admin)["items"][-1]
    entered = datetime.fromisoformat(current["entered_at"])
    assert (current["stage"], current["left_at"]) == ("proposal", None)
    assert current["days"] == (datetime.now(UTC) - entered).days


def test_slippage_of_a_period_for_whoever_may_see_the_deals(qapi: Api):
    w = build_world(qapi.sales)  # d1 closes 31 Jan 2027; d2's amount went 20,000 -> 24,000
    qapi.sales.opportunities.change_close_date(at(22), w.d1, expected_close=date(2027, 3, 2))
    qapi.sales.opportunities.change_amount(at(23), w.d2, amount=Decimal(15000))
    path = "/v1/reports/slippage"

    answer = get(qapi, path, qapi.token("auditor"), period="2026-11")

    assert (answer["period"], answer["starts"], answer["ends"]) == (
        "2026-11", "2026-11-01", "2026-12-01")
    assert [(s["opportunity_id"], s["kind"], s["team"], s["owner_name"], s["days_pushed"],
             s["amount_before"], s["amount_after"]) for s in answer["items"]] == [
        (w.d1, "close_date_pushed", "north", "Ann", 30, None, None),
        (w.d2, "amount_cut", "north", "Ann", None, "24000", "15000")]
    assert answer["by_team"] == [{"team": "north", "deals": 2, "close_dates_pushed": 1,
                                  "days_pushed": 30, "amounts_cut": 1,
                                  "amount_cut": [{"currency": "EUR", "amount": "9000"}]}]
    assert [(r["owner_id"], r["name"]) for r in answer["by_rep"]] == [(w.ann, "Ann")]
    assert answer["total"] == 2 and get(qapi, path, qapi.token("admin"), period="2026-Q4",
                                        limit=1, offset=1)["items"] == answer["items"][1:]
    for who, seen in ((qapi.token("rep", w.ann), 2), (qapi.token("manager", w.mia), 2),
                      (qapi.token("rep", w.cy), 0), (qapi.token("manager", w.sam), 0),
                      (qapi.token("rep", w.bob), 0)):
        assert get(qapi, path, who, period="2026-11")["total"] == seen
    assert get(qapi, path, qapi.token("admin"), period="2026-10")["items"] == []
    assert status(qapi, path, qapi.token("admin"), period="2026-13") == (
        422, "invalid_input", ["period"])
    assert status(qapi, path, qapi.token("admin")) == (422, "invalid_input", ["period"])


def test_hand_over_outcomes_for_the_read_everything_roles_and_a_managers_team(qapi: Api):
    w = build_world(qapi.sales)  # Ann (north): d1 in proposal (middle), d2 in negotiation (lower)
    qapi.sales.departure.depart(at(22), w.ann, successor_id=w.cy)
    qapi.sales.opportunities.change_stage(at(23), w.d2, stage="closed_won")
    path = "/v1/handovers/outcomes"

    answer = get(qapi, path, qapi.token("auditor"), period="2026-11")

    assert [(t["tier"], t["items"], t["won"], t["open"], t["win_rate"]) for t in answer["tiers"]
            ] == [("lower", 1, 1, 0, 1.0), ("middle", 1, 0, 1, None), ("upper", 0, 0, 0, None)]
    # Bob's two deals (south), opened in November and never handed over: one won, one lost
    assert answer["never_handed_over"] == {"items": 2, "won": 1, "lost": 1, "open": 0,
                                           "win_rate": 0.5}
    assert (answer["starts"], answer["ends"], answer["team"]) == ("2026-11-01", "2026-12-01", None)
    mia = get(qapi, path, qapi.token("manager", w.mia), period="2026-11", team="south")
    assert (mia["team"], mia["handed_over"]["items"], mia["never_handed_over"]["items"]) == (
        "north", 2, 0)  # a manager's team is always their own
    assert status(qapi, path, qapi.token("rep", w.ann), period="2026-11")[0] == 403
    assert status(qapi, path, qapi.token("admin"), period="someday") == (
        422, "invalid_input", ["period"])


def test_time_per_stage_by_rep_and_team_for_whoever_may_see_the_deals(qapi: Api):
    w = build_world(qapi.sales)
    path = "/v1/reports/stage-times"

    answer = get(qapi, path, qapi.token("auditor"), period="2026-11")
    anns = get(qapi, path, qapi.token("rep", w.ann), period="2026-11")

    # prospecting: d1 2 days, d2 4, d3 5, d4 18; qualification: d1 1; proposal: d3 12
    assert answer["stages"] == [
        {"stage": "prospecting", "stays": 4, "average_days": 7.3},  # 29 / 4, halves up
        {"stage": "qualification", "stays": 1, "average_days": 1.0},
        {"stage": "proposal", "stays": 1, "average_days": 12.0}]
    assert [(t["team"], [(s["stage"], s["stays"], s["average_days"]) for s in t["stages"]])
            for t in answer["by_team"]] == [
        ("north", [("prospecting", 2, 3.0), ("qualification", 1, 1.0)]),
        ("south", [("prospecting", 2, 11.5), ("proposal", 1, 12.0)])]
    assert {(r["owner_id"], r["name"]) for r in answer["by_rep"]} == {(w.ann, "Ann"),
                                                                     (w.bob, "Bob")}
    assert anns["stages"] == answer["by_team"][0]["stages"] and len(anns["by_rep"]) == 1
    assert get(qapi, path, qapi.token("manager", w.sam), period="2026-11")["by_team"] == \
        answer["by_team"][1:]
    assert status(qapi, path, qapi.token("admin"), period="2026") == (
        422, "invalid_input", ["period"])
