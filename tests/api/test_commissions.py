"""HTTP: commission statements — every credited deal with its share, the plan in force at its
close and the commission, checked by hand; a deal won after a hand-over split by the hand-over
credit policy; a plan recorded late with an earlier effective day re-credits the statements
issued after it, not those as of before. On SQLite and PostgreSQL."""

from datetime import UTC, date, datetime
from decimal import Decimal

from infra.service.commands import CommandContext
from tests.api.query_world import get, qapi_fixture, status  # noqa: F401 (the qapi fixture)
from tests.conftest import Api

D = Decimal


def on(month: int, day: int, year: int = 2025) -> CommandContext:
    return CommandContext(actor="tester", now=datetime(year, month, day, 9, tzinfo=UTC))


def _statement(api: Api, rep_id: str, headers: dict[str, str], **params: object) -> dict:  # type: ignore[type-arg]
    return get(api, f"/v1/commissions/{rep_id}", headers, period="2025-Q4", **params)


def _items(statement: dict) -> list[tuple]:  # type: ignore[type-arg]
    """Name, role, tier, share, credited, the plan's rate and the commission (a share and a
    rate as numbers: a backend may keep 0.10 as 0.1)."""
    return [(i["name"], i["role"], i["tier"], D(i["share"]), i["credited_amount"],
             i["plan"] and D(i["plan"]["rate"]), i["commission"]) for i in statement["items"]]


def test_statements_split_handed_over_deals_and_follow_the_plan_in_force(qapi: Api):
    sales, deals = qapi.sales, qapi.sales.opportunities

    def hire(name: str, role: str, team: str, manager: str | None = None) -> str:
        return str(sales.reps.hire(on(9, 1), name=name, email=f"{name.lower()}@example.com",
                                   role=role, team=team, region=team,
                                   manager_id=manager).stream_id)

    mia = hire("Mia", "manager", "north")
    ann, bob, cy = hire("Ann", "rep", "north", mia), hire("Bob", "rep", "north", mia), hire(
        "Cy", "rep", "south")
    acme = str(sales.accounts.open(on(9, 1), name="Acme", region="north", owner_id=ann).stream_id)
    sales.reps.set_commission_plan(on(9, 1), ann, rate=D("0.10"), effective_from=date(2025, 1, 1))
    sales.reps.set_commission_plan(on(9, 1), bob, rate=D("0.05"), accelerated_rate=D("0.08"),
                                   effective_from=date(2025, 1, 1))
    sales.reps.set_quota(on(9, 1), bob, period="2025-Q4", amount=D(20000))
    sales.policies.set_handover_credit(on(9, 1), upper=D("0.5"), middle=D("0.25"), lower=D(0),
                                       effective_from=date(2025, 1, 1))

    def deal(name: str, amount: int, stage: str) -> str:
        opened = str(deals.open(on(9, 5), account_id=acme, owner_id=ann, name=name,
                                amount=D(amount), expected_close=date(2025, 12, 20)).stream_id)
        if stage != "prospecting":
            deals.change_stage(on(9, 6), opened, stage=stage)
        return opened

    d_a, d_b = deal("A", 10000, "prospecting"), deal("B", 20000, "proposal")  # upper, middle
    d_c, d_d = deal("C", 8000, "negotiation"), deal("D", 4000, "qualification")  # lower; Ann's
    deals.change_stage(on(10, 3), d_d, stage="closed_won")
    sales.departure.depart(on(10, 10), ann, successor_id=bob)
    deals.change_stage(on(10, 20), d_a, stage="closed_won")
    deals.change_stage(on(11, 5), d_b, stage="closed_won")
    deals.change_stage(on(11, 20), d_c, stage="closed_won")
    sales.reps.set_commission_plan(on(12, 1), bob, rate=D("0.06"), accelerated_rate=D("0.09"),
                                   effective_from=date(2025, 11, 1))  # recorded late
    admin = qapi.token("admin")

    anns = _statement(qapi, ann, admin)
    assert _items(anns) == [
        ("D", "owner", None, 1, "4000.00", D("0.1"), "400.00"),
        ("A", "departing", "upper", D("0.5"), "5000.00", D("0.1"), "500.00"),
        ("B", "departing", "middle", D("0.25"), "5000.00", D("0.1"), "500.00")]  # C: lower, 0 %
    assert anns["totals"] == [{"currency": "EUR", "deals": 3, "credited": "14000.00",
                               "commission": "1400.00"}]
    bobs = _statement(qapi, bob, qapi.token("rep", bob))
    # quota 20,000: A and B fill it; C's 8,000 is above, at the plan's accelerated 9 %
    assert _items(bobs) == [
        ("A", "owner", "upper", D("0.5"), "5000.00", D("0.05"), "250.00"),
        ("B", "owner", "middle", D("0.75"), "15000.00", D("0.06"), "900.00"),
        ("C", "owner", "lower", 1, "8000.00", D("0.06"), "720.00")]
    assert [i["accelerated_amount"] for i in bobs["items"]] == ["0.00", "0.00", "8000.00"]
    assert (bobs["quota"], bobs["rep_name"]) == ("20000.00", "Bob")
    assert bobs["totals"][0]["commission"] == "1870.00"
    # issued on Nov 30, before the November plan was recorded: the old plan throughout
    before = _statement(qapi, bob, admin, as_of="2025-11-30T00:00:00Z")
    assert [i[-2:] for i in _items(before)] == [(D("0.05"), "250.00"), (D("0.05"), "750.00"),
                                                (D("0.05"), "640.00")]
    assert _statement(qapi, bob, admin, as_of="2025-11-30T00:00:00Z") == before
    issued = _statement(qapi, bob, admin, as_of="2025-11-10T00:00:00Z")
    assert [i[0] for i in _items(issued)] == ["A", "B"]  # C was not won yet
    assert _statement(qapi, bob, qapi.token("manager", mia))["items"] == bobs["items"]
    for outsider, rep_id in ((qapi.token("rep", cy), bob), (qapi.token("rep", bob), ann)):
        assert status(qapi, f"/v1/commissions/{rep_id}", outsider, period="2025-Q4")[0] == 404


def test_the_handover_credit_policy_is_set_by_an_admin_and_checked(qapi: Api):
    admin = qapi.token("admin")
    body = {"upper": "0.5", "middle": "0.25", "lower": "0", "effective_from": "2026-01-01"}

    set_ = qapi.client.put("/v1/policies/handover-credit", json=body, headers=admin)
    assert set_.status_code == 200, set_.text
    for field, bad in (("upper", "1.5"), ("middle", "-0.1"), ("lower", "0.12345"),
                       ("upper", "x")):
        refused = qapi.client.put("/v1/policies/handover-credit", headers=admin,
                                  json={**body, field: bad})
        assert (refused.status_code, refused.json()["fields"]) == (422, [field])
    mia = str(qapi.sales.reps.hire(on(9, 1), name="Mia", email="mia@example.com",
                                   role="manager", team="north", region="north").stream_id)
    manager = qapi.token("manager", mia)
    assert qapi.client.put("/v1/policies/handover-credit", json=body,
                           headers=manager).status_code == 403
    found = get(qapi, "/v1/policies/handover-credit", admin)
    assert [(p["effective_from"], p["upper"], p["middle"], p["lower"]) for p in found["items"]] == [
        ("2026-01-01", "0.5", "0.25", "0")]
    assert found["in_force"]["upper"] == "0.5"
