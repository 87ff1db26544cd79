"""HTTP: `If-Match` on every command. Each command route on a record is walked: a stale version
answers 409 `version_conflict` and writes nothing, the current one is obeyed; a create refuses
If-Match with 422. The walk covers exactly the app's command routes, so a new command route
fails here until it is added (and honours If-Match)."""

from datetime import date, timedelta
from typing import Any

from fastapi.routing import APIRoute

from tests.conftest import Api

SOON = (date.today() + timedelta(days=30)).isoformat()
LATER = (date.today() + timedelta(days=90)).isoformat()
SKU = "IFM-1"
Case = tuple[str, str, dict[str, Any] | None]  # (method, concrete path, body)
RECORD_PAGES = {"rep_id": "/v1/reps/{}", "lead_id": "/v1/leads/{}", "sku": "/v1/stock-items/{}",
                "account_id": "/v1/accounts/{}", "opportunity_id": "/v1/opportunities/{}",
                "order_id": "/v1/orders/{}", "region": "/v1/price-lists/{}"}


class World:
    """Records in the states the commands below need; Dan departed, so his lead, account
    and opportunity have hand-overs pending."""

    def __init__(self, api: Api) -> None:
        self.api, self.admin = api, api.token("admin")
        self.mia = self.created("/v1/reps", rep_body("Mia", "manager"))
        self.ann, self.bob, self.dan, self.eve = (
            self.created("/v1/reps", rep_body(name, manager_id=self.mia))
            for name in ("Ann", "Bob", "Dan", "Eve"))
        self.post("/v1/stock-items", {"sku": SKU, "name": "Gateway", "base_price": "10.00"})
        self.post(f"/v1/stock-items/{SKU}/receipts", {"quantity": 100})
        self.put("/v1/price-lists/north", price_list_body("10.00"))  # as the base price
        self.account = self.account_of(self.ann)
        for contact in ("c1", "c2"):
            self.post(f"/v1/accounts/{self.account}/contacts", contact_body(contact))
        self.post(f"/v1/accounts/{self.account}/follow-ups", {"due": SOON, "follow_up_id": "fa"})
        self.lead, self.lead2, self.lead3 = (self.lead_of(self.ann, n) for n in range(3))
        self.post(f"/v1/leads/{self.lead}/follow-ups", {"due": SOON, "follow_up_id": "fl"})
        self.opportunity = self.opportunity_of(self.account, self.ann)
        self.post(f"/v1/opportunities/{self.opportunity}/follow-ups",
                  {"due": SOON, "follow_up_id": "fo"})
        self.order, self.order2 = (self.order_of(self.account) for _ in range(2))
        self.dan_lead, self.dan_account = self.lead_of(self.dan, 3), self.account_of(self.dan)
        self.dan_opportunity = self.opportunity_of(self.dan_account, self.dan)
        self.post(f"/v1/reps/{self.dan}/departure", {"successor_id": self.bob})

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.api.client.post(path, json=body, headers=self.admin)
        assert answer.status_code in (200, 201), (path, answer.text)
        return dict(answer.json())

    def put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.api.client.put(path, json=body, headers=self.admin)
        assert answer.status_code == 200, (path, answer.text)
        return dict(answer.json())

    def created(self, path: str, body: dict[str, Any]) -> str:
        return str(self.post(path, body)["id"])

    def account_of(self, owner: str) -> str:
        return self.created("/v1/accounts", {"name": "Nordlicht", "region": "north",
                                             "owner_id": owner})

    def lead_of(self, owner: str, n: int) -> str:
        lead = self.created("/v1/leads", {"person": f"Clara {n}", "company": f"Firm {n}",
                                          "email": f"clara{n}@firm.example",
                                          "channel": "web_form", "region": "north"})
        self.post(f"/v1/leads/{lead}/assign", {"rep_id": owner})
        return lead

    def opportunity_of(self, account: str, owner: str) -> str:
        return self.created("/v1/opportunities", {"account_id": account, "owner_id": owner,
                                                  "name": "Roll-out", "amount": "5000.00",
                                                  "expected_close": LATER})

    def order_of(self, account: str) -> str:
        return self.created("/v1/orders", {"account_id": account,
                                           "lines": [{"sku": SKU, "quantity": 2}]})


def rep_body(name: str, role: str = "rep", manager_id: str | None = None) -> dict[str, Any]:
    return {"name": name, "email": f"{name.lower()}@example.com", "role": role, "team": "north",
            "region": "north", "manager_id": manager_id}


def price_list_body(unit_price: str) -> dict[str, Any]:
    return {"currency": "EUR", "prices": [{"sku": SKU, "unit_price": unit_price}]}


def contact_body(contact_id: str | None = None) -> dict[str, Any]:
    return {"name": "Clara Weber", "email": "clara@nordlicht.example", "contact_id": contact_id}


def command_cases(w: World) -> dict[tuple[str, str], Case]:
    """Every command on a record, in an order in which each can succeed once."""
    rep, lead, acc, opp, order = (f"/v1/reps/{w.ann}", f"/v1/leads/{w.lead}",
                                  f"/v1/accounts/{w.account}", f"/v1/opportunities/{w.opportunity}",
                                  f"/v1/orders/{w.order}")
    stock, line = f"/v1/stock-items/{SKU}", [{"sku": SKU, "quantity": 2}]
    cases: list[tuple[str, str, str, dict[str, Any] | None]] = [
        ("POST", "/v1/reps/{rep_id}/move", f"{rep}/move",
         {"team": "north", "region": "west", "manager_id": w.mia}),
        ("POST", "/v1/reps/{rep_id}/quotas", f"{rep}/quotas", {"period": "2026-Q4", "amount": "9"}),
        ("POST", "/v1/reps/{rep_id}/commission-plan", f"{rep}/commission-plan", {"rate": "0.05"}),
        ("POST", "/v1/reps/{rep_id}/departure", f"/v1/reps/{w.eve}/departure",
         {"successor_id": w.ann}),
        ("POST", "/v1/reps/{rep_id}/notice", f"{rep}/notice", {"effective_date": LATER}),
        ("PUT", "/v1/handovers/{rep_id}/plan", f"/v1/handovers/{w.ann}/plan",
         {"assignments": [{"id": w.account, "successor_id": w.bob}]}),
        ("POST", "/v1/handovers/{rep_id}/approve", f"/v1/handovers/{w.ann}/approve", None),
        ("POST", "/v1/leads/{lead_id}/engagement", f"{lead}/engagement", {"kind": "seminar"}),
        ("POST", "/v1/leads/{lead_id}/interactions", f"{lead}/interactions", {"kind": "call"}),
        ("POST", "/v1/leads/{lead_id}/follow-ups", f"{lead}/follow-ups", {"due": SOON}),
        ("POST", "/v1/leads/{lead_id}/follow-ups/{follow_up_id}/complete",
         f"{lead}/follow-ups/fl/complete", {"outcome": "sent"}),
        ("POST", "/v1/leads/{lead_id}/distribute", f"{lead}/distribute", {"rule": "least_loaded"}),
        ("POST", "/v1/leads/{lead_id}/assign", f"{lead}/assign", {"rep_id": w.ann}),
        ("POST", "/v1/leads/{lead_id}/qualify", f"{lead}/qualify", None),
        ("POST", "/v1/leads/{lead_id}/disqualify", f"/v1/leads/{w.lead2}/disqualify",
         {"reason": "no budget"}),
        ("POST", "/v1/leads/{lead_id}/convert", f"/v1/leads/{w.lead3}/convert", {}),
        ("POST", "/v1/leads/{lead_id}/handover", f"/v1/leads/{w.dan_lead}/handover",
         {"status": "introduced"}),
        ("POST", "/v1/accounts/{account_id}/contacts", f"{acc}/contacts", contact_body()),
        ("PUT", "/v1/accounts/{account_id}/contacts/{contact_id}", f"{acc}/contacts/c1",
         {**contact_body(), "role": "Buyer"}),
        ("DELETE", "/v1/accounts/{account_id}/contacts/{contact_id}", f"{acc}/contacts/c1", None),
        ("POST", "/v1/accounts/{account_id}/contacts/{contact_id}/remove",
         f"{acc}/contacts/c2/remove", None),
        ("POST", "/v1/accounts/{account_id}/classification", f"{acc}/classification",
         {"segment": "mid-market", "potential": "high"}),
        ("POST", "/v1/accounts/{account_id}/grade", f"{acc}/grade", {"grade": "A"}),
        ("POST", "/v1/accounts/{account_id}/interactions", f"{acc}/interactions", {"kind": "call"}),
        ("POST", "/v1/accounts/{account_id}/follow-ups", f"{acc}/follow-ups", {"due": SOON}),
        ("POST", "/v1/accounts/{account_id}/follow-ups/{follow_up_id}/complete",
         f"{acc}/follow-ups/fa/complete", {}),
        ("POST", "/v1/accounts/{account_id}/handover", f"/v1/accounts/{w.dan_account}/handover",
         {"status": "introduced"}),
        ("POST", "/v1/opportunities/{opportunity_id}/evaluation", f"{opp}/evaluation",
         {"budget": 8, "need": 7, "authority": 6, "competition": 3}),
        ("POST", "/v1/opportunities/{opportunity_id}/amount", f"{opp}/amount", {"amount": "6000"}),
        ("POST", "/v1/opportunities/{opportunity_id}/close-date", f"{opp}/close-date",
         {"expected_close": SOON}),
        ("POST", "/v1/opportunities/{opportunity_id}/quotes", f"{opp}/quotes",
         {"lines": line, "valid_until": LATER}),
        ("POST", "/v1/opportunities/{opportunity_id}/interactions", f"{opp}/interactions",
         {"kind": "meeting"}),
        ("POST", "/v1/opportunities/{opportunity_id}/follow-ups", f"{opp}/follow-ups",
         {"due": SOON}),
        ("POST", "/v1/opportunities/{opportunity_id}/follow-ups/{follow_up_id}/complete",
         f"{opp}/follow-ups/fo/complete", {}),
        ("POST", "/v1/opportunities/{opportunity_id}/stage", f"{opp}/stage", {"stage": "proposal"}),
        ("POST", "/v1/opportunities/{opportunity_id}/handover",
         f"/v1/opportunities/{w.dan_opportunity}/handover", {"status": "introduced"}),
        ("POST", "/v1/opportunities/{opportunity_id}/owner", f"{opp}/owner", {"owner_id": w.bob}),
        ("POST", "/v1/accounts/{account_id}/owner", f"{acc}/owner", {"owner_id": w.bob}),
        ("POST", "/v1/stock-items/{sku}/receipts", f"{stock}/receipts", {"quantity": 5}),
        ("POST", "/v1/stock-items/{sku}/adjustments", f"{stock}/adjustments",
         {"delta": -1, "reason": "damaged"}),
        ("POST", "/v1/stock-items/{sku}/price", f"{stock}/price", {"base_price": "11.00"}),
        ("POST", "/v1/orders/{order_id}/confirm", f"{order}/confirm", None),
        ("POST", "/v1/orders/{order_id}/shipments", f"{order}/shipments", {"lines": line}),
        ("POST", "/v1/orders/{order_id}/invoices", f"{order}/invoices",
         {"invoice_id": "INV-1", "amount": "20.00"}),
        ("POST", "/v1/orders/{order_id}/payments", f"{order}/payments",
         {"amount": "20.00", "reference": "BANK-1"}),
        ("POST", "/v1/orders/{order_id}/cancel", f"/v1/orders/{w.order2}/cancel",
         {"reason": "withdrawn"}),
        ("PUT", "/v1/price-lists/{region}", "/v1/price-lists/north", price_list_body("8.00")),
    ]
    return {(method, template): (method, path, body) for method, template, path, body in cases}


def command_routes(api: Api) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The app's commands: (on a record, creates), as (method, path template)."""
    on_record, creates = set(), set()
    for route in api.client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and route.path.startswith("/v1/"):
            for method in route.methods - {"GET", "HEAD"}:
                (on_record if "{" in route.path else creates).add((method, route.path))
    return on_record, creates


def version_of(api: Api, w: World, template: str, path: str) -> int:
    """The version of the record the path names first, as its GET answers it."""
    name = template.split("{", 1)[1].split("}", 1)[0]
    record = path.removeprefix("/v1/").split("/")[1]
    answer = api.client.get(RECORD_PAGES[name].format(record), headers=w.admin)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["version"])


def send(api: Api, w: World, case: Case, if_match: str) -> Any:
    method, path, body = case
    return api.client.request(method, path, json=body, headers={**w.admin, "If-Match": if_match})


def check_route(api: Api, w: World, template: str, case: Case) -> list[str]:
    """Stale: 409 and nothing written; current: obeyed, and the record moved on."""
    version, before = version_of(api, w, template, case[1]), api.events()
    stale = send(api, w, case, str(version - 1))
    problems = []
    if (stale.status_code, stale.json().get("code")) != (409, "version_conflict"):
        problems.append(f"{template}: stale If-Match answered {stale.status_code} {stale.text}")
    if api.events() != before:
        problems.append(f"{template}: stale If-Match wrote {api.events() - before} events")
    current = send(api, w, case, f'"{version}"')
    if current.status_code >= 300:
        problems.append(f"{template}: current If-Match answered {current.status_code} "
                        f"{current.text}")
    elif version_of(api, w, template, case[1]) <= version:
        problems.append(f"{template}: current If-Match answered {current.status_code} "
                        "but the record did not change")
    return problems


def test_every_command_on_a_record_honours_if_match(api: Api):
    w = World(api)
    cases = command_cases(w)
    on_record, _ = command_routes(api)
    assert set(cases) == on_record, "a command route is missing here (or gone from the app)"

    problems = [p for (_, template), case in cases.items() for p in check_route(api, w, template,
                                                                              case)]

    assert problems == []


def test_a_create_refuses_if_match_with_422_and_writes_nothing(api: Api):
    admin = api.token("admin")
    _, creates = command_routes(api)
    schema = api.client.get("/openapi.json").json()
    before = api.events()
    for method, path in sorted(creates):
        body = example_body(schema, schema["paths"][path][method.lower()])
        answer = api.client.request(method, path, json=body, headers={**admin, "If-Match": "1"})
        assert (answer.status_code, answer.json()["fields"]) == (422, ["If-Match"]), path
    assert api.events() == before


def test_an_empty_or_malformed_if_match_is_422_and_writes_nothing(api: Api):
    w = World(api)
    before = api.events()
    for value in ("", " ", "W/", "v1", "1.5", "-1"):
        answer = api.client.post(f"/v1/accounts/{w.account}/grade", json={"grade": "B"},
                                 headers={**w.admin, "If-Match": value})
        assert (answer.status_code, answer.json()["code"]) == (422, "invalid_input"), value
    assert api.events() == before


def example_body(schema: dict[str, Any], operation: dict[str, Any]) -> Any:
    ref: str = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    component: dict[str, Any] = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return component["examples"][0]


def test_a_conversion_with_if_match_completes_every_step(api: Api):
    """A flow's later steps on the same record are not held to the client's version: a
    conversion with the current If-Match completes all its steps."""
    w = World(api)
    version = version_of(api, w, "/v1/leads/{lead_id}", f"/v1/leads/{w.lead3}")
    answer = api.client.post(f"/v1/leads/{w.lead3}/convert", json={},
                             headers={**w.admin, "If-Match": str(version)})
    assert answer.status_code == 201, answer.text
    account = api.client.get(f"/v1/accounts/{answer.json()['account_id']}", headers=w.admin)
    assert [c["contact_id"] for c in account.json()["contacts"]] == [answer.json()["contact_id"]]

