"""Finding 3 of issue 16 and its neighbours, end to end over HTTP: a rep cannot write into
another rep's account by naming it, a manager moves nothing across teams, and query answers
carry other reps' orders and actors only to whoever may see them."""

from decimal import Decimal
from uuid import uuid4

from tests.api.query_world import World, build_world, get, qapi_fixture, status  # noqa: F401
from tests.conftest import Api, at


def _lead(qapi: Api, owner: str | None, region: str = "north") -> str:
    lead = str(qapi.sales.leads.capture(at(9), person="Lee", company=f"Lee {uuid4().hex[:6]}",
                                        email=f"lee@{uuid4().hex[:8]}.io", channel="referral",
                                        region=region).stream_id)
    if owner is not None:
        qapi.sales.leads.assign(at(9), lead, rep_id=owner)
    return lead


def _refusal(answer: object) -> tuple[int, str, str]:
    body = answer.json()  # type: ignore[attr-defined]
    return answer.status_code, body["code"], body["detail"]  # type: ignore[attr-defined]


def test_converting_into_another_reps_account_is_refused_like_an_unknown_one(qapi: Api):
    w = build_world(qapi.sales)
    lead, ann = _lead(qapi, w.ann), qapi.token("rep", w.ann)
    before, unknown = qapi.events(), str(uuid4())

    def convert(account_id: str) -> object:
        return qapi.client.post(f"/v1/leads/{lead}/convert", json={"account_id": account_id},
                                headers=ann)

    assert _refusal(convert(w.beta)) == (404, "not_found", f"account {w.beta} not found")
    assert _refusal(convert(unknown)) == (404, "not_found", f"account {unknown} not found")
    assert qapi.events() == before
    assert qapi.sales.accounts.get(w.beta).contacts == {}
    done = convert(w.acme)  # her own account: joined
    assert (done.status_code, done.json()["account_id"]) == (201, w.acme)  # type: ignore[attr-defined]


def test_an_orders_opportunity_must_be_visible_and_of_the_orders_account(qapi: Api):
    w = build_world(qapi.sales)
    qapi.sales.stock.register(at(1), sku="W-1", name="Widget", base_price=Decimal("10.00"))
    qapi.sales.stock.receive(at(2), "W-1", quantity=20)
    other = str(qapi.sales.accounts.open(at(9), name="Other", region="north",
                                         owner_id=w.ann).stream_id)
    ann, before = qapi.token("rep", w.ann), qapi.events()

    def order(account_id: str, opportunity_id: str, headers: dict[str, str]) -> object:
        return qapi.client.post("/v1/orders", headers=headers, json={
            "account_id": account_id, "opportunity_id": opportunity_id,
            "lines": [{"sku": "W-1", "quantity": 1}]})

    assert _refusal(order(w.acme, w.d3, ann)) == (404, "not_found", f"opportunity {w.d3} not found")
    assert _refusal(order(w.acme, w.d3, qapi.token("manager", w.mia)))[0] == 404
    refused = order(other, w.d1, ann)  # hers, but of Acme
    assert (refused.status_code, refused.json()["fields"]) == (409, ["opportunity_id"])  # type: ignore[attr-defined]
    assert qapi.events() == before
    assert order(w.acme, w.d1, ann).status_code == 201  # type: ignore[attr-defined]


def test_a_manager_distributes_and_assigns_only_within_their_team(qapi: Api):
    w = build_world(qapi.sales)
    mia, sam = qapi.token("manager", w.mia), qapi.token("manager", w.sam)
    southern = [_lead(qapi, None, region="south") for _ in range(3)]  # Bob's territory
    before = qapi.events()

    assign = qapi.client.post(f"/v1/leads/{southern[0]}/assign", json={"rep_id": w.bob},
                              headers=mia)
    assert _refusal(assign) == (404, "not_found", f"rep {w.bob} not found")
    assert qapi.events() == before
    for lead in southern:
        answer = qapi.client.post(f"/v1/leads/{lead}/distribute", json={"rule": "round_robin"},
                                  headers=mia)
        assert answer.status_code == 200, answer.text
    assert {qapi.sales.leads.get(lead).owner_id for lead in southern} == {w.ann, w.cy}
    taken = qapi.client.post(f"/v1/leads/{southern[0]}/distribute", json={}, headers=sam)
    assert _refusal(taken) == (404, "not_found", f"lead {southern[0]} not found")


def test_a_departures_successor_is_of_the_managers_team(qapi: Api):
    w = build_world(qapi.sales)
    mia, before = qapi.token("manager", w.mia), qapi.events()

    def depart(rep_id: str, successor_id: str, headers: dict[str, str]) -> object:
        return qapi.client.post(f"/v1/reps/{rep_id}/departure",
                                json={"successor_id": successor_id}, headers=headers)

    assert _refusal(depart(w.ann, w.bob, mia)) == (404, "not_found", f"rep {w.bob} not found")
    assert _refusal(depart(w.bob, w.cy, mia)) == (404, "not_found", f"rep {w.bob} not found")
    assert depart(w.ann, w.cy, qapi.token("auditor")).status_code == 403  # type: ignore[attr-defined]
    assert qapi.events() == before
    assert depart(w.ann, w.cy, mia).status_code == 200  # type: ignore[attr-defined]
    assert qapi.sales.reps.get(w.ann).successor_id == w.cy


def test_stock_movements_name_only_the_orders_and_actors_the_caller_may_see(qapi: Api):
    w = build_world(qapi.sales)
    qapi.sales.stock.register(at(1), sku="W-1", name="Widget", base_price=Decimal("10.00"))
    qapi.sales.stock.receive(at(2), "W-1", quantity=20)
    placed = {}
    for rep, account in ((w.ann, w.acme), (w.bob, w.beta)):
        answer = qapi.client.post("/v1/orders", headers=qapi.token("rep", rep), json={
            "account_id": account, "lines": [{"sku": "W-1", "quantity": 1}]})
        placed[rep] = answer.json()["id"]
    path = "/v1/inventory/W-1/movements"

    def seen(headers: dict[str, str]) -> list[tuple[str | None, str | None]]:
        return [(m["order_id"], m["actor"]) for m in get(qapi, path, headers)["items"]]

    everything = [(placed[w.bob], w.bob), (placed[w.ann], w.ann), (None, "tester")]
    for who in (qapi.token("auditor"), qapi.token("integrator"), qapi.token("admin")):
        assert seen(who) == everything
    assert seen(qapi.token("rep", w.ann)) == [(None, None), (placed[w.ann], w.ann), (None, None)]
    assert seen(qapi.token("manager", w.sam)) == [(placed[w.bob], w.bob), (None, None),
                                                  (None, None)]
    assert seen(qapi.token("rep", w.cy)) == [(None, None)] * 3


def test_a_timeline_shows_only_the_deals_and_actors_the_caller_may_see(qapi: Api):
    w = build_world(qapi.sales)
    mia = qapi.token("manager", w.mia)
    opened = qapi.client.post("/v1/opportunities", headers=mia, json={
        "account_id": w.acme, "owner_id": w.cy, "name": "Cy's deal on Acme", "amount": "700",
        "expected_close": "2027-03-31"})
    cys = opened.json()["id"]
    qapi.client.post(f"/v1/accounts/{w.acme}/grade", json={"grade": "A"}, headers=mia)
    path = f"/v1/accounts/{w.acme}/timeline"

    as_ann, as_mia = get(qapi, path, qapi.token("rep", w.ann)), get(qapi, path, mia)
    as_auditor = get(qapi, path, qapi.token("auditor"))

    assert cys not in {e["stream_id"] for e in as_ann["events"]}
    assert cys not in {o["id"] for o in as_ann["state"]["opportunities"]}
    assert len(as_ann["state"]["opportunities"]) == 2
    assert [e["actor"] for e in as_ann["events"] if e["type"] == "AccountGraded"] == [None]
    assert {e["actor"] for e in as_ann["events"]} == {None}  # the world's: not Ann's own
    for full in (as_mia, as_auditor):
        assert len(full["events"]) == len(as_ann["events"]) + 1
        assert [e["actor"] for e in full["events"] if e["type"] == "AccountGraded"] == [w.mia]
        assert cys in {o["id"] for o in full["state"]["opportunities"]}


def test_a_successor_of_another_team_sees_only_what_they_take_over(qapi: Api):
    w = build_world(qapi.sales)
    qapi.sales.departure.depart(at(22), w.ann, successor_id=w.bob)  # an admin's choice
    path = f"/v1/handovers/{w.ann}"

    as_bob = get(qapi, path, qapi.token("rep", w.bob))
    as_mia = get(qapi, path, qapi.token("manager", w.mia))

    assert {i["successor_id"] for i in as_bob["items"]} == {w.bob}
    assert as_bob["items"] == as_mia["items"] and as_bob["summary"] == as_mia["summary"]
    assert status(qapi, path, qapi.token("rep", w.cy)) == (404, "not_found", [])
