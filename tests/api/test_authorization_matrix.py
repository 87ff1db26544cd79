"""Every route x every role: who may act, who is refused (403), who cannot even see (404).

Each route gets a fresh world (two teams; Ann of the north team owns a lead, an account, an
opportunity and an order) and is called by each role in turn, refused roles first, so that
an allowed command cannot change what the next role sees. "Allowed" means the answer is
neither 401 nor 403 nor 404: a 2xx, or a business refusal (409/422) that only an allowed
caller can reach. The table must name every route of the app, so a new route needs a row.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.settings import Settings
from tests.conftest import Api, at

ROLES = ("admin", "auditor", "integrator", "mia", "sam", "ann", "sue")
ALL = set(ROLES)
WRITERS = {"admin", "mia", "ann"}  # may act on Ann's records (Mia: Ann's manager)
SEE = {"admin", "auditor", "integrator", "mia", "ann"}  # may see Ann's records


@dataclass(frozen=True)
class Row:
    allowed: set[str]
    hidden: set[str] = frozenset()  # type: ignore[assignment]  # get 404; the rest get 403


def record(allowed: set[str] = WRITERS) -> Row:
    """A command on one of Ann's records: others who can see it get 403, the rest 404."""
    return Row(allowed, ALL - SEE)


MATRIX: dict[str, Row] = {
    "GET /healthz": Row(ALL), "GET /metrics": Row(ALL),
    "GET /v1/funnel": Row(ALL), "GET /v1/funnel/conversion": Row(ALL),
    "GET /v1/opportunities/stuck": Row(ALL), "GET /v1/forecast": Row(ALL),
    "GET /v1/forecast/accuracy": Row(ALL),
    "GET /v1/performance": Row(ALL), "GET /v1/inventory": Row(ALL),
    "GET /v1/inventory/{sku}": Row(ALL), "GET /v1/inventory/{sku}/movements": Row(ALL),
    "GET /v1/activities/follow-ups": Row(ALL),
    # lists: every role may ask, and each sees its own scope in them (tests/api/test_lists.py)
    "GET /v1/leads": Row(ALL), "GET /v1/accounts": Row(ALL), "GET /v1/opportunities": Row(ALL),
    "GET /v1/orders": Row(ALL), "GET /v1/reps": Row(ALL), "GET /v1/stock-items": Row(ALL),
    "GET /v1/activities/channels": Row({"admin", "auditor", "integrator"}),
    "GET /v1/reports/sales": Row({"admin", "auditor", "integrator"}),
    "GET /v1/reports/churn": Row(ALL),
    "GET /v1/reports/slippage": Row(ALL),  # each role sees its own scope (test_query_records)
    "GET /v1/reports/stage-times": Row(ALL),
    "GET /v1/handovers/{rep_id}": Row(SEE, ALL - SEE),
    "GET /v1/handovers/outcomes": Row({"admin", "auditor", "integrator", "mia", "sam"}),
    "GET /v1/access/history": Row({"admin", "auditor"}),
    "GET /v1/accounts/{account_id}/timeline": Row(SEE, ALL - SEE),
    "GET /v1/accounts/{account_id}/export": Row({"admin", "auditor"}, ALL - SEE),
    "POST /v1/reps": Row({"admin"}),
    "GET /v1/reps/{rep_id}": Row(SEE, {"sam", "sue"}),
    "POST /v1/reps/{rep_id}/move": Row({"admin"}),
    "POST /v1/reps/{rep_id}/quotas": Row({"admin", "mia"}, {"sam"}),
    "POST /v1/reps/{rep_id}/commission-plan": Row({"admin"}),
    "POST /v1/reps/{rep_id}/departure": Row({"admin", "mia"}, {"sam"}),
    "POST /v1/reps/{rep_id}/notice": Row({"admin", "mia", "ann"}, {"sam", "sue"}),  # Ann: own
    "PUT /v1/handovers/{rep_id}/plan": Row({"admin", "mia"}, {"sam"}),
    "POST /v1/handovers/{rep_id}/approve": Row({"admin", "mia"}, {"sam"}),
    "POST /v1/leads": Row({"admin", "mia", "sam", "ann", "sue"}),
    "GET /v1/leads/{lead_id}": Row(SEE, ALL - SEE),
    # A rep may not assign at all (403, whoever's lead it is); another team's manager: 404.
    "POST /v1/leads/{lead_id}/assign": Row({"admin", "mia"}, {"sam"}),
    "POST /v1/leads/{lead_id}/distribute": Row({"admin", "mia"}, {"sam"}),
    "POST /v1/accounts": Row({"admin", "mia", "ann"}, {"sam", "sue"}),  # Ann: not theirs to name
    "GET /v1/accounts/{account_id}": Row(SEE, ALL - SEE),
    "POST /v1/accounts/{account_id}/owner": record({"admin", "mia"}),
    "POST /v1/opportunities": Row({"admin", "mia", "ann"}, {"sam", "sue"}),
    "GET /v1/opportunities/{opportunity_id}": Row(SEE, ALL - SEE),
    "GET /v1/opportunities/{opportunity_id}/stages": Row(SEE, ALL - SEE),
    "POST /v1/opportunities/{opportunity_id}/owner": record({"admin", "mia"}),
    "POST /v1/stock-items": Row({"admin", "mia", "sam"}),
    "GET /v1/stock-items/{sku}": Row(ALL),
    "POST /v1/stock-items/{sku}/receipts": Row({"admin", "mia", "sam"}),
    "POST /v1/stock-items/{sku}/adjustments": Row({"admin", "mia", "sam"}),
    "POST /v1/stock-items/{sku}/price": Row({"admin", "mia", "sam"}),
    "POST /v1/orders": Row({"admin", "mia", "ann"}, {"sam", "sue"}),
    "GET /v1/orders/{order_id}": Row(SEE, ALL - SEE),
    "PUT /v1/price-lists/{region}": Row({"admin"}),
    "GET /v1/price-lists/{region}": Row(ALL),
    "POST /v1/promotions": Row({"admin"}),
    "GET /v1/promotions": Row(ALL),
    "POST /v1/campaigns": Row({"admin"}),
    "GET /v1/campaigns": Row({"admin", "auditor", "integrator"}),
    "GET /v1/commissions/{rep_id}": Row(SEE, ALL - SEE),
    "GET /v1/policies/handover-credit": Row(ALL),
    "PUT /v1/policies/handover-credit": Row({"admin"}),
}
RECORD_COMMANDS = ("/v1/leads/{lead_id}/", "/v1/accounts/{account_id}/",
                   "/v1/opportunities/{opportunity_id}/", "/v1/orders/{order_id}/")


def expected(route: str) -> Row:
    if route in MATRIX:
        return MATRIX[route]
    if route.split(" ")[0] != "GET" and any(p in route for p in RECORD_COMMANDS):
        return record()
    raise AssertionError(f"no row for {route}: add it to the matrix")


def _world(api: Api, n: int) -> dict[str, str]:
    s = api.sales
    mia = str(s.reps.hire(at(1), name="Mia", email="mia@n.io", role="manager", team="north",
                          region="north").stream_id)
    sam = str(s.reps.hire(at(1), name="Sam", email="sam@s.io", role="manager", team="south",
                          region="south").stream_id)
    ann = str(s.reps.hire(at(1), name="Ann", email="ann@n.io", role="rep", team="north",
                          region="north", manager_id=mia).stream_id)
    bob = str(s.reps.hire(at(1), name="Bob", email="bob@n.io", role="rep", team="north",
                          region="north", manager_id=mia).stream_id)
    sue = str(s.reps.hire(at(1), name="Sue", email="sue@s.io", role="rep", team="south",
                          region="south", manager_id=sam).stream_id)
    lead = str(s.leads.capture(at(2), person="Lee", company="Lee Ltd", email="lee@lee.io",
                               channel="referral", region="north").stream_id)
    s.leads.assign(at(2), lead, rep_id=ann)
    s.leads.schedule_follow_up(at(2), lead, follow_up_id="f1", due=date(2026, 12, 1))
    account = str(s.accounts.open(at(2), name="Acme", region="north", owner_id=ann).stream_id)
    s.accounts.add_contact(at(2), account, contact_id="c1", name="Cleo", email="cleo@acme.io")
    s.accounts.schedule_follow_up(at(2), account, follow_up_id="f1", due=date(2026, 12, 1))
    deal = str(s.opportunities.open(at(3), account_id=account, owner_id=ann, name="Deal",
                                    amount=Decimal(1000), expected_close=date(2027, 1, 31)
                                    ).stream_id)
    s.opportunities.schedule_follow_up(at(3), deal, follow_up_id="f1", due=date(2026, 12, 1))
    sku = f"S-{n}"
    s.stock.register(at(3), sku=sku, name="Sensor", base_price=Decimal("10"))
    s.stock.receive(at(3), sku, quantity=100)
    s.prices.set_price_list(at(4), "north", currency="EUR", prices=[(sku, Decimal("9.50"))])
    order = str(s.orders.place(at(4), account_id=account, lines=[(sku, 2)]).stream_id)
    return {"region": "north", "mia": mia, "sam": sam, "ann": ann, "bob": bob, "sue": sue, "lead_id": lead,
            "account_id": account, "opportunity_id": deal, "order_id": order, "sku": sku,
            "rep_id": ann, "contact_id": "c1", "follow_up_id": "f1"}


def _body(route: str, w: dict[str, str]) -> dict[str, object] | None:
    method, path = route.split(" ")
    due = (date.today() + timedelta(days=10)).isoformat()
    bodies = {
        "/v1/reps": {"name": "New", "email": "new@n.io", "role": "rep", "team": "north",
                     "region": "north"},
        "/v1/reps/{rep_id}/move": {"team": "south", "region": "south"},
        "/v1/reps/{rep_id}/quotas": {"period": "2026-Q4", "amount": "1000"},
        "/v1/reps/{rep_id}/commission-plan": {"rate": "0.05"},
        "/v1/reps/{rep_id}/departure": {"successor_id": w["bob"]},
        "/v1/reps/{rep_id}/notice": {"effective_date": due},
        "/v1/handovers/{rep_id}/plan": {"assignments": []},
        "/v1/leads": {"person": "Pia", "company": "Pia AG", "email": "pia@pia.io",
                      "channel": "web_form"},
        "/v1/leads/{lead_id}/assign": {"rep_id": w["bob"]},
        "/v1/leads/{lead_id}/distribute": {"rule": "round_robin"},
        "/v1/leads/{lead_id}/engagement": {"kind": "reply"},
        "/v1/leads/{lead_id}/interactions": {"kind": "call"},
        "/v1/leads/{lead_id}/follow-ups": {"due": due},
        "/v1/leads/{lead_id}/disqualify": {"reason": "no budget"},
        "/v1/leads/{lead_id}/handover": {"status": "introduced"},
        "/v1/accounts": {"name": "New Co", "region": "north", "owner_id": w["ann"]},
        "/v1/accounts/{account_id}/contacts": {"name": "Dora", "email": "dora@acme.io"},
        "/v1/accounts/{account_id}/contacts/{contact_id}": {"name": "Cleo C",
                                                              "email": "cleo@acme.io"},
        "/v1/accounts/{account_id}/classification": {"segment": "smb", "potential": "high"},
        "/v1/accounts/{account_id}/grade": {"grade": "A"},
        "/v1/accounts/{account_id}/interactions": {"kind": "visit"},
        "/v1/accounts/{account_id}/follow-ups": {"due": due},
        "/v1/accounts/{account_id}/owner": {"owner_id": w["bob"]},
        "/v1/accounts/{account_id}/handover": {"status": "introduced"},
        "/v1/opportunities": {"account_id": w["account_id"], "owner_id": w["ann"], "name": "N",
                              "amount": "500", "expected_close": "2027-02-28"},
        "/v1/opportunities/{opportunity_id}/stage": {"stage": "qualification"},
        "/v1/opportunities/{opportunity_id}/evaluation": {"budget": 5, "need": 5,
                                                          "authority": 5, "competition": 5},
        "/v1/opportunities/{opportunity_id}/amount": {"amount": "1500"},
        "/v1/opportunities/{opportunity_id}/close-date": {"expected_close": "2027-03-31"},
        "/v1/opportunities/{opportunity_id}/quotes": {"lines": [{"sku": w["sku"], "quantity": 1}],
                                                      "valid_until": "2027-01-31"},
        "/v1/opportunities/{opportunity_id}/owner": {"owner_id": w["bob"]},
        "/v1/opportunities/{opportunity_id}/handover": {"status": "introduced"},
        "/v1/opportunities/{opportunity_id}/interactions": {"kind": "call"},
        "/v1/opportunities/{opportunity_id}/follow-ups": {"due": due},
        "/v1/stock-items": {"sku": f"{w['sku']}-new", "name": "Cable", "base_price": "5",
                            "reorder_level": 1},
        "/v1/stock-items/{sku}/receipts": {"quantity": 5},
        "/v1/stock-items/{sku}/adjustments": {"delta": -1, "reason": "count"},
        "/v1/stock-items/{sku}/price": {"base_price": "11"},
        "/v1/orders": {"account_id": w["account_id"], "lines": [{"sku": w["sku"], "quantity": 1}]},
        "/v1/orders/{order_id}/shipments": {"lines": [{"sku": w["sku"], "quantity": 2}]},
        "/v1/orders/{order_id}/invoices": {"invoice_id": "I-1", "amount": "10"},
        "/v1/orders/{order_id}/payments": {"amount": "10", "reference": "P-1"},
        "/v1/orders/{order_id}/cancel": {"reason": "changed mind"},
        "/v1/price-lists/{region}": {"currency": "EUR",
                                     "prices": [{"sku": w["sku"], "unit_price": "9.00"}]},
        "/v1/promotions": {"name": f"promo-{w['sku']}", "percent": "5", "valid_from": due,
                           "valid_to": due},
        "/v1/policies/handover-credit": {"upper": "0.5", "middle": "0.25", "lower": "0"},
        "/v1/campaigns": {"name": "Fair", "channel": "event", "cost": "100", "currency": "EUR",
                          "starts": due, "ends": due},
    }
    if method in ("GET", "DELETE"):
        return None
    return bodies.get(path, {})


def _routes(api: Api) -> list[str]:
    """Every operation the app documents (each route is in the OpenAPI document)."""
    paths = api.client.get("/openapi.json").json()["paths"]
    return sorted(f"{method.upper()} {path}" for path, ops in paths.items() for method in ops)


@pytest.fixture
def matrix_api(sqlite_url: str) -> Iterator[Api]:
    """On the embedded backend only: the policy does not depend on the store, and one
    backend keeps this long test in bounds."""
    app = create_app(Settings(database_url=sqlite_url), run_projectors=True)
    with TestClient(app) as client:
        yield Api(client, app.state.services.sales)


def test_every_route_for_every_role(matrix_api: Api) -> None:
    routes = _routes(matrix_api)
    failures = []
    for n, route in enumerate(routes):
        failures += _check_route(matrix_api, route, n)
    assert len(routes) >= 68
    assert failures == []


def _token(api: Api, role: str, w: dict[str, str]) -> dict[str, str]:
    if role in ("mia", "sam"):
        return api.token("manager", w[role])
    if role in ("ann", "sue"):
        return api.token("rep", w[role])
    return api.token(role)


def _check_route(api: Api, route: str, n: int) -> list[str]:
    """Each role meets the route in a world of its own, so no answer depends on another's."""
    row = expected(route)
    method, template = route.split(" ")
    failures = []
    for i, role in enumerate(ROLES):
        w = _world(api, n * len(ROLES) + i)
        params = {"min_position": api.events()} if method == "GET" else None
        answer = api.client.request(method, template.format(**w), json=_body(route, w),
                                    params=params, headers=_token(api, role, w))
        want = "allowed" if role in row.allowed else 404 if role in row.hidden else 403
        got = answer.status_code
        ok = got not in (401, 403, 404) if want == "allowed" else got == want
        if not ok:
            failures.append(f"{route} as {role}: {got} (wanted {want}) {answer.text[:120]}")
    return failures
