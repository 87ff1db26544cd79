"""HTTP: the work lists — every filter and sort with exact answers, names beside ids, keyset
pages that lose and repeat nothing while records change, the role scope of single records in
lists and searches, erased people never found, and 422 naming the field."""

from datetime import date
from decimal import Decimal

from infra.audit import erasure
from tests.api.query_world import World, build_world, get, qapi_fixture, status  # noqa: F401
from tests.conftest import Api, at

LEADS = [  # person, company, email, channel, region
    ("Anna Schmidt", "Acme GmbH", "anna@acme.example", "web_form", "north"),
    ("Bernd Maier", "Bauhaus AG", "bernd@bauhaus.example", "referral", "south"),
    ("Carla Rossi", "Acme Italia", "carla@acme.example", "event", "north"),
    ("Dirk Berg", "Delta Ltd", "dirk@delta.example", "web_form", "south"),
]


def _leads(qapi: Api, w: World) -> dict[str, str]:
    """The four leads above, a day apart (Nov 10-13): Anna and Carla Ann's, Bernd Bob's,
    Dirk nobody's; Carla qualified."""
    sales, ids = qapi.sales, {}
    for day, (person, company, email, channel, region) in enumerate(LEADS, start=10):
        ids[person] = str(sales.leads.capture(at(day), person=person, company=company,
                                              email=email, channel=channel,
                                              region=region).stream_id)
    for person, owner in (("Anna Schmidt", w.ann), ("Carla Rossi", w.ann),
                          ("Bernd Maier", w.bob)):
        sales.leads.assign(at(14), ids[person], rep_id=owner)
    sales.leads.qualify(at(15), ids["Carla Rossi"])
    return ids


def _names(answer: dict) -> list[str]:  # type: ignore[type-arg]
    return [item.get("person") or item.get("name") for item in answer["items"]]


def test_leads_each_filter_and_sort_with_owner_names(qapi: Api):
    w = build_world(qapi.sales)
    ids = _leads(qapi, w)
    admin, url = qapi.token("admin"), "/v1/leads"

    newest = get(qapi, url, admin)
    assert _names(newest) == ["Dirk Berg", "Carla Rossi", "Bernd Maier", "Anna Schmidt"]
    assert newest["next_cursor"] is None
    carla = newest["items"][1]
    assert {k: carla[k] for k in ("id", "company", "email", "status", "channel", "region",
                                  "owner_id", "owner_name", "captured_at",
                                  "last_contact_at")} == {
        "id": ids["Carla Rossi"], "company": "Acme Italia", "email": "carla@acme.example",
        "status": "qualified", "channel": "event", "region": "north", "owner_id": w.ann,
        "owner_name": "Ann", "captured_at": "2026-11-12T09:00:00Z", "last_contact_at": None}
    assert _names(get(qapi, url, admin, sort="person")) == [
        "Anna Schmidt", "Bernd Maier", "Carla Rossi", "Dirk Berg"]
    assert _names(get(qapi, url, admin, sort="-company")) == [
        "Dirk Berg", "Bernd Maier", "Carla Rossi", "Anna Schmidt"]
    assert _names(get(qapi, url, admin, sort="captured_at", status="qualified")) == [
        "Carla Rossi"]
    assert _names(get(qapi, url, admin, owner_id=w.ann, sort="person")) == [
        "Anna Schmidt", "Carla Rossi"]
    assert _names(get(qapi, url, admin, channel="web_form", sort="person")) == [
        "Anna Schmidt", "Dirk Berg"]
    assert _names(get(qapi, url, admin, region="south", sort="person")) == [
        "Bernd Maier", "Dirk Berg"]
    assert _names(get(qapi, url, admin, unassigned="true")) == ["Dirk Berg"]
    scores = {i["person"]: i["score"] for i in newest["items"]}
    top = max(scores.values())
    assert _names(get(qapi, url, admin, min_score=top, sort="person")) == sorted(
        p for p, s in scores.items() if s == top)
    by_score = get(qapi, url, admin, sort="-score")["items"]
    assert [i["score"] for i in by_score] == sorted(scores.values(), reverse=True)


def test_search_matches_word_starts_in_any_case_over_person_company_and_email(qapi: Api):
    w = build_world(qapi.sales)
    _leads(qapi, w)
    admin, url = qapi.token("admin"), "/v1/leads"

    assert _names(get(qapi, url, admin, q="ACME", sort="person")) == [
        "Anna Schmidt", "Carla Rossi"]
    assert _names(get(qapi, url, admin, q="acm ross")) == ["Carla Rossi"]  # every word
    assert _names(get(qapi, url, admin, q="bauhaus.example")) == ["Bernd Maier"]
    assert _names(get(qapi, url, admin, q="chmidt")) == []  # the start of a word only
    assert _names(get(qapi, "/v1/accounts", admin, q="be")) == ["Beta"]
    assert _names(get(qapi, "/v1/opportunities", admin, q="acme 24")) == []
    deals = get(qapi, "/v1/opportunities", admin, q="acme", sort="name")  # the account's name
    assert [d["id"] for d in deals["items"]] == [w.d1, w.d2]
    assert status(qapi, url, admin, q="!!") == (422, "invalid_input", ["q"])


def test_pages_lose_and_repeat_nothing_while_records_change_between_them(qapi: Api):
    w = build_world(qapi.sales)
    sales, admin = qapi.sales, qapi.token("admin")
    first_ids = [str(sales.leads.capture(at(10, hour), person=f"Person {hour:02}",
                                         company="Pager", email=f"p{hour}@pager.example",
                                         channel="web_form").stream_id)
                 for hour in range(1, 13)]
    seen: list[str] = []
    answer = get(qapi, "/v1/leads", admin, limit=5, sort="captured_at")
    for step in range(10):
        seen += [item["id"] for item in answer["items"]]
        if answer["next_cursor"] is None:
            break
        # between pages: a lead before the cursor and one after it change, one is added
        sales.leads.assign(at(20), seen[0], rep_id=w.ann)
        sales.leads.qualify(at(20), first_ids[-1 - step])
        sales.leads.capture(at(9, step), person=f"Early {step}", company="Pager",
                            email=f"early{step}@pager.example", channel="event")
        answer = get(qapi, "/v1/leads", admin, limit=5, sort="captured_at",
                     cursor=answer["next_cursor"])
    assert seen == first_ids  # leads captured earlier sort before the cursor: not shown


def test_every_role_sees_in_lists_and_searches_exactly_what_it_sees_one_by_one(qapi: Api):
    w = build_world(qapi.sales)
    ids = _leads(qapi, w)
    ann, bob = qapi.token("rep", w.ann), qapi.token("rep", w.bob)
    mia, sam = qapi.token("manager", w.mia), qapi.token("manager", w.sam)

    def ids_of(path: str, headers: dict[str, str], **params: object) -> set[str]:
        return {i["id"] for i in get(qapi, path, headers, **params)["items"]}

    assert ids_of("/v1/leads", ann) == {ids["Anna Schmidt"], ids["Carla Rossi"]}
    assert ids_of("/v1/leads", ann, q="bernd") == set()
    assert ids_of("/v1/leads", ann, owner_id=w.bob) == set()
    assert ids_of("/v1/leads", mia) == {ids["Anna Schmidt"], ids["Carla Rossi"],
                                        ids["Dirk Berg"]}  # team's and nobody's
    assert ids_of("/v1/leads", sam) == {ids["Bernd Maier"], ids["Dirk Berg"]}
    assert ids_of("/v1/leads", qapi.token("auditor")) == set(ids.values())
    assert ids_of("/v1/accounts", ann) == {w.acme} and ids_of("/v1/accounts", bob) == {w.beta}
    assert ids_of("/v1/opportunities", ann) == {w.d1, w.d2}
    assert ids_of("/v1/opportunities", mia) == {w.d1, w.d2}
    assert ids_of("/v1/opportunities", sam, q="deal") == {w.d3, w.d4}
    assert ids_of("/v1/reps", ann) == {w.ann}
    assert ids_of("/v1/reps", mia) == {w.mia, w.ann, w.cy}
    assert ids_of("/v1/reps", qapi.token("integrator")) == {w.mia, w.ann, w.cy, w.sam, w.bob}


def test_opportunities_each_filter_and_sort_with_names_and_days_in_stage(qapi: Api):
    w = build_world(qapi.sales)
    qapi.sales.opportunities.change_close_date(at(9), w.d2, expected_close=date(2026, 12, 15))
    admin, url = qapi.token("admin"), "/v1/opportunities"

    deals = get(qapi, url, admin)["items"]
    # soonest close first, then by id (the other three close on Jan 31)
    assert [d["id"] for d in deals] == [w.d2, *sorted([w.d1, w.d3, w.d4])]
    d2 = deals[0]
    assert {k: d2[k] for k in ("name", "account_id", "account_name", "stage", "probability",
                               "amount", "currency", "weighted_amount", "owner_name",
                               "expected_close", "open")} == {
        "name": "deal 20000", "account_id": w.acme, "account_name": "Acme",
        "stage": "negotiation", "probability": 75, "amount": "24000.00", "currency": "EUR",
        "weighted_amount": "18000.00", "owner_name": "Ann", "expected_close": "2026-12-15",
        "open": True}
    assert d2["days_in_stage"] >= 27  # in negotiation since Nov 6 (counted against now)

    def ids(**params: object) -> list[str]:
        return [d["id"] for d in get(qapi, url, admin, **params)["items"]]

    assert ids(stage="closed_won") == [w.d3]
    assert ids(owner_id=w.bob, sort="-amount") == [w.d3, w.d4]
    assert ids(team="north", sort="amount") == [w.d1, w.d2]
    assert ids(region="south", sort="name") == [w.d3, w.d4]  # "deal 40000" < "deal 5000"
    assert ids(closing_before="2026-12-31") == [w.d2]
    # d3 and d4 opened on Nov 3 at the same instant (then by id, descending), d1 on Nov 2
    assert ids(closing_after="2027-01-01", sort="-opened_at") == [
        *sorted([w.d3, w.d4], reverse=True), w.d1]
    assert set(ids(no_contact_days=1)) == {w.d1, w.d2}  # open and never contacted
    assert set(ids(open="true")) == {w.d1, w.d2} and set(ids(open="false")) == {w.d3, w.d4}
    assert status(qapi, url, admin, stage="won") == (422, "invalid_input", ["stage"])


def test_opportunities_stuck_and_silent_as_the_stuck_list_counts_them(qapi: Api):
    """``stuck`` (filter and field) is ``GET /v1/opportunities/stuck``'s rule at the same
    clock; ``days_without_contact`` its count of silent days."""
    w = build_world(qapi.sales)
    sales, admin, url = qapi.sales, qapi.token("admin"), "/v1/opportunities"
    old = str(sales.opportunities.open(at(1), account_id=w.acme, owner_id=w.ann, name="old",
                                       amount=Decimal(100), expected_close=date(2027, 1, 31)
                                       ).stream_id)  # in prospecting since Nov 1: > 14 days
    sales.opportunities.log_interaction(at(3), old, interaction_id="call-1", kind="call",
                                        notes="", outcome="")

    deals = {d["id"]: d for d in get(qapi, url, admin)["items"]}
    stuck = get(qapi, url, admin, stuck="true")["items"]
    counted = get(qapi, "/v1/opportunities/stuck", admin, limit=500)["items"]

    assert {d["id"] for d in stuck} == {d["id"] for d in counted} >= {old}
    assert {i for i, d in deals.items() if d["stuck"]} == {d["id"] for d in counted}
    assert deals[w.d3]["stuck"] is False and deals[w.d3]["days_without_contact"] is None
    silent = {d["id"]: d["days_without_contact"] for d in get(
        qapi, "/v1/opportunities/stuck", admin, no_contact_days=0, limit=500)["items"]}
    assert {i: d["days_without_contact"] for i, d in deals.items() if d["open"]} == silent
    assert silent[old] == silent[w.d1] - 1  # contacted on Nov 3, d1 silent since Nov 2


def test_orders_reps_and_stock_items_filters(qapi: Api):
    w = build_world(qapi.sales)
    sales, admin = qapi.sales, qapi.token("admin")
    sales.stock.register(at(1), sku="W-1", name="Widget", base_price=Decimal("10.00"),
                         reorder_level=5)
    sales.stock.register(at(1), sku="G-2", name="Gadget Pro", base_price=Decimal("25.00"),
                         reorder_level=50)
    sales.stock.receive(at(2), "W-1", quantity=20)
    sales.stock.receive(at(2), "G-2", quantity=10)
    acme = str(sales.orders.place(at(3), account_id=w.acme, lines=[("W-1", 3)]).stream_id)
    beta = str(sales.orders.place(at(10), account_id=w.beta, lines=[("W-1", 2)]).stream_id)
    sales.orders.cancel(at(11), beta, reason="changed mind")

    orders = get(qapi, "/v1/orders", admin)["items"]
    assert [(o["id"], o["status"], o["account_name"], o["owner_name"], o["total"])
            for o in orders] == [(beta, "cancelled", "Beta", "Bob", "20.00"),
                                 (acme, "reserved", "Acme", "Ann", "30.00")]
    assert [o["id"] for o in get(qapi, "/v1/orders", admin, account_id=w.acme)["items"]] == [
        acme]
    assert [o["id"] for o in get(qapi, "/v1/orders", admin, status="cancelled")["items"]] == [
        beta]
    assert [o["id"] for o in get(qapi, "/v1/orders", qapi.token("rep", w.ann))["items"]] == [
        acme]

    sales.departure.depart(at(22), w.cy, successor_id=w.ann)
    reps = get(qapi, "/v1/reps", admin, team="north")["items"]
    assert [(r["name"], r["manager_name"], r["active"]) for r in reps] == [
        ("Ann", "Mia", True), ("Cy", "Mia", False), ("Mia", None, True)]
    assert _names(get(qapi, "/v1/reps", admin, active="false")) == ["Cy"]
    assert _names(get(qapi, "/v1/reps", admin, q="sam")) == ["Sam"]

    items = get(qapi, "/v1/stock-items", qapi.token("rep", w.bob))["items"]
    assert [(i["sku"], i["available"], i["below_reorder"]) for i in items] == [
        ("G-2", 10, True), ("W-1", 17, False)]  # 20 - 3 for Acme (Beta released its 2)
    assert [i["sku"] for i in get(qapi, "/v1/stock-items", admin, q="gadget")["items"]] == [
        "G-2"]
    assert [i["sku"] for i in get(qapi, "/v1/stock-items", admin, below_reorder="true",
                                  sort="-available")["items"]] == ["G-2"]


def test_bad_list_requests_name_their_field(qapi: Api):
    w = build_world(qapi.sales)
    _leads(qapi, w)
    admin, url = qapi.token("admin"), "/v1/leads"
    cursor = get(qapi, url, admin, limit=1)["next_cursor"]

    assert status(qapi, url, admin, sort="email") == (422, "invalid_input", ["sort"])
    assert status(qapi, url, admin, limit=501) == (422, "invalid_input", ["limit"])
    assert status(qapi, url, admin, cursor="not a cursor") == (422, "invalid_input", ["cursor"])
    assert status(qapi, url, admin, cursor="bm90LWEtY3Vyc29y") == (404, "not_found", ["cursor"])
    assert status(qapi, url, admin, cursor=cursor, sort="person") == (
        409, "rule_violation", ["cursor"])
    assert status(qapi, url, admin, status="lost") == (422, "invalid_input", ["status"])
    assert status(qapi, url) == (401, "unauthorized", [])


def test_an_erased_person_is_never_found_and_reads_as_erased(qapi: Api):
    w = build_world(qapi.sales)
    ids = _leads(qapi, w)
    admin, services = qapi.token("admin"), qapi.client.app.state.services  # type: ignore[attr-defined]
    erasure.forget(services.db, ids["Anna Schmidt"])
    models = services.read_models()
    models.rebuild(["lists"], fresh=True)  # as `sfa audit forget --rebuild` does
    models.close()

    assert _names(get(qapi, "/v1/leads", admin, q="anna")) == []
    assert _names(get(qapi, "/v1/leads", admin, q="erased")) == []
    assert _names(get(qapi, "/v1/leads", admin, q="acme")) == ["Carla Rossi", "[erased]"]
    anna = next(i for i in get(qapi, "/v1/leads", admin)["items"] if i["id"] == ids["Anna Schmidt"])
    assert (anna["person"], anna["email"], anna["company"]) == ("[erased]", "[erased]", "Acme GmbH")
