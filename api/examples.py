"""Examples in the OpenAPI document that work on the demo data, so "Try it out" in ``/docs``
succeeds on a freshly loaded demo (``make run``, with the admin token it prints).

Every path parameter and every JSON body has one. Ids name the demo's example records
(``infra.demo.examples``: an open lead, an account, a deal, one order per state, each in the
state its commands start from) and its reps; dates are counted from today, so a new server
always offers dates its rules take. ``tests/api/test_examples.py`` sends each example to a
fresh copy of the demo and expects success.
"""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from fastapi import FastAPI

from infra.demo.examples import FOLLOW_UP, REGION, SKU, DemoExamples

Body = dict[str, Any]
Operation = tuple[str, str]  # (method, path) as the document spells them

# A path parameter's example unless its operation names another (``_PATH_OVERRIDES``)
PATH_DEFAULTS: dict[str, Callable[[DemoExamples], str]] = {
    "lead_id": lambda ids: ids.lead,
    "account_id": lambda ids: ids.account,
    "opportunity_id": lambda ids: ids.opportunity,
    "contact_id": lambda ids: ids.contact,
    "order_id": lambda ids: ids.orders["reserved"],
    "rep_id": lambda ids: ids.colleague,
    "follow_up_id": lambda ids: FOLLOW_UP,
    "sku": lambda ids: SKU,
    "region": lambda ids: REGION,
}


def _path_overrides(ids: DemoExamples) -> dict[Operation, dict[str, str]]:
    order = "/v1/orders/{order_id}"
    return {
        ("get", "/v1/handovers/{rep_id}"): {"rep_id": ids.departed},
        ("put", "/v1/handovers/{rep_id}/plan"): {"rep_id": ids.leaving},
        ("post", "/v1/handovers/{rep_id}/approve"): {"rep_id": ids.leaving},
        ("post", f"{order}/shipments"): {"order_id": ids.orders["confirmed"]},
        ("post", f"{order}/invoices"): {"order_id": ids.orders["shipped"]},
        ("post", f"{order}/payments"): {"order_id": ids.orders["invoiced"]},
    }


def _creates(ids: DemoExamples, today: date) -> dict[Operation, Body]:
    return {
        ("post", "/v1/leads"): {
            "person": "Lea Fischer", "company": "Fischer Antriebe GmbH",
            "email": "lea.fischer@fischer-antriebe.example", "phone": "+49 40 5550123",
            "channel": "web_form", "region": REGION, "industry": "manufacturing",
            "company_size": 250, "interests": ["Gateway"]},
        ("post", "/v1/accounts"): {
            "name": "Nordhafen Kühlhaus GmbH", "industry": "logistics", "region": REGION,
            "owner_id": ids.successor, "size": 90},
        ("post", "/v1/opportunities"): {
            "account_id": ids.account, "owner_id": ids.successor,
            "name": "Hafen Logistik: sensor retrofit", "amount": "18500.00",
            "expected_close": _day(today, 60), "currency": "EUR", "products": ["Sensor kit"]},
        ("post", "/v1/orders"): {"account_id": ids.account, "lines": [{"sku": SKU, "quantity": 1}]},
        ("post", "/v1/reps"): {
            "name": "Nora Lindqvist", "email": "nora.lindqvist@sfa.example", "role": "rep",
            "team": f"team-{REGION}", "region": REGION, "manager_id": ids.manager},
        ("post", "/v1/stock-items"): {
            "sku": "SKU-100", "name": "Edge router", "base_price": "1290.00",
            "reorder_level": 10, "specification": "4 ports, DIN rail"},
        ("post", "/v1/campaigns"): {
            "name": "Spring webinar", "channel": "web_form", "cost": "1500.00",
            "currency": "EUR", "starts": _day(today, 7), "ends": _day(today, 37)},
        ("post", "/v1/promotions"): {
            "name": "summer-gateway", "percent": "12", "skus": [SKU],
            "valid_from": _day(today, 30), "valid_to": _day(today, 60)},
        ("put", "/v1/policies/handover-credit"): {
            "upper": "0.5", "middle": "0.25", "lower": "0", "effective_from": _day(today, 0)},
        ("put", "/v1/price-lists/{region}"): {
            "currency": "EUR", "prices": [{"sku": SKU, "unit_price": "799.00"},
                                          {"sku": "SKU-004", "unit_price": "37.50"}]},
    }


def _reps(ids: DemoExamples, today: date) -> dict[Operation, Body]:
    rep = "/v1/reps/{rep_id}"
    return {
        ("post", f"{rep}/move"): {"team": "team-south", "region": "south",
                                  "manager_id": ids.other_manager},
        ("post", f"{rep}/quotas"): {"period": f"{today.year + 1}-Q1", "amount": "90000.00"},
        ("post", f"{rep}/commission-plan"): {"rate": "0.05", "accelerated_rate": "0.08",
                                             "effective_from": _day(today, 0)},
        ("post", f"{rep}/departure"): {"successor_id": ids.successor,
                                       "effective_date": _day(today, 14)},
        ("post", f"{rep}/notice"): {"effective_date": _day(today, 30),
                                    "successor_id": ids.successor},
        ("put", "/v1/handovers/{rep_id}/plan"): {"assignments": [
            {"id": ids.leaving_deal, "successor_id": ids.leaving_successor}]},
    }


def _activities(record: str, today: date) -> dict[Operation, Body]:
    """Interactions, follow-ups and the hand-over step: the same on leads, accounts, deals."""
    return {
        ("post", f"{record}/interactions"): {"kind": "call", "notes": "discussed the roll-out",
                                            "outcome": "interested"},
        ("post", f"{record}/follow-ups"): {"due": _day(today, 7), "note": "send the offer"},
        ("post", f"{record}/follow-ups/{{follow_up_id}}/complete"): {"outcome": "done"},
        ("post", f"{record}/handover"): {"status": "introduced",
                                         "next_meeting_at": f"{_day(today, 10)}T10:00:00Z"},
    }


def _leads(ids: DemoExamples, today: date) -> dict[Operation, Body]:
    lead = "/v1/leads/{lead_id}"
    return {
        **_activities(lead, today),
        ("post", f"{lead}/assign"): {"rep_id": ids.colleague},
        ("post", f"{lead}/distribute"): {"rule": "least_loaded"},
        ("post", f"{lead}/engagement"): {"kind": "demo_request", "count": 1},
        ("post", f"{lead}/disqualify"): {"reason": "no budget this year"},
        ("post", f"{lead}/convert"): {"amount": "30000.00", "expected_close": _day(today, 90),
                                      "currency": "EUR"},
    }


def _accounts(ids: DemoExamples, today: date) -> dict[Operation, Body]:
    account, contact = "/v1/accounts/{account_id}", {
        "name": "Jonas Berg", "email": "jonas.berg@hafen-logistik.example",
        "phone": "+49 40 5550188", "role": "head of purchasing", "preferences": ["email"]}
    return {
        **_activities(account, today),
        ("post", f"{account}/contacts"): {
            "name": "Svenja Brandt", "email": "svenja.brandt@hafen-logistik.example",
            "role": "operations lead"},
        ("put", f"{account}/contacts/{{contact_id}}"): contact,
        ("post", f"{account}/classification"): {"segment": "mid-market", "potential": "high"},
        ("post", f"{account}/grade"): {"grade": "A"},
        ("post", f"{account}/owner"): {"owner_id": ids.colleague},
    }


def _opportunities(ids: DemoExamples, today: date) -> dict[Operation, Body]:
    deal = "/v1/opportunities/{opportunity_id}"
    return {
        **_activities(deal, today),
        ("post", f"{deal}/stage"): {"stage": "proposal"},
        ("post", f"{deal}/evaluation"): {"budget": 8, "need": 9, "authority": 6,
                                         "competition": 3},
        ("post", f"{deal}/amount"): {"amount": "45000.00"},
        ("post", f"{deal}/close-date"): {"expected_close": _day(today, 45)},
        ("post", f"{deal}/quotes"): {"quote_id": "Q-example-1", "valid_until": _day(today, 30),
                                     "lines": [{"sku": SKU, "quantity": 10},
                                               {"sku": "SKU-004", "quantity": 20}]},
        ("post", f"{deal}/owner"): {"owner_id": ids.colleague},
    }


def _stock_and_orders() -> dict[Operation, Body]:
    item, order = "/v1/stock-items/{sku}", "/v1/orders/{order_id}"
    return {
        ("post", f"{item}/receipts"): {"quantity": 50},
        ("post", f"{item}/adjustments"): {"delta": -2, "reason": "damaged in transit"},
        ("post", f"{item}/price"): {"base_price": "879.00"},
        ("post", f"{order}/shipments"): {"shipment_id": "S-example-1",
                                         "lines": [{"sku": SKU, "quantity": 2}]},
        ("post", f"{order}/invoices"): {"invoice_id": "INV-example-1", "amount": "500.00"},
        ("post", f"{order}/payments"): {"amount": "100.00", "reference": "bank transfer 4711"},
        ("post", f"{order}/cancel"): {"reason": "customer withdrew"},
    }


def bodies(ids: DemoExamples, today: date) -> dict[Operation, Body]:
    """Every JSON body's example, by operation."""
    return {**_creates(ids, today), **_reps(ids, today), **_leads(ids, today),
            **_accounts(ids, today), **_opportunities(ids, today), **_stock_and_orders()}


def path_values(ids: DemoExamples, operation: Operation, names: list[str]) -> dict[str, str]:
    """The example of each path parameter of ``operation``."""
    chosen = _path_overrides(ids).get(operation, {})
    return {name: chosen.get(name) or PATH_DEFAULTS[name](ids) for name in names}


def add_examples(document: dict[str, Any], ids: DemoExamples, today: date) -> dict[str, Any]:
    """Writes the examples into the document's operations (in place; returns it)."""
    examples = bodies(ids, today)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            values = path_values(ids, (method, path), names)
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    parameter["example"] = values[parameter["name"]]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                body["example"] = examples[(method, path)]
    return document


def install(app: FastAPI, seed: int = 42) -> None:
    build = app.openapi
    done: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        if not done:
            done.append(add_examples(build(), DemoExamples.for_seed(seed), date.today()))
        return done[0]

    app.openapi = openapi  # type: ignore[method-assign]


def _day(today: date, days: int) -> str:
    return (today + timedelta(days=days)).isoformat()
