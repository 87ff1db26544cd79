"""HTTP: price lists, promotions and campaigns — set by admins only, read as each role may,
bad input refused naming the field with nothing written, and the prices of orders and quotes
placed afterwards (worked out by hand) naming the rule that set them."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import Api, ctx

TODAY = datetime.now(UTC).date()
NORTH = {"currency": "EUR", "prices": [{"sku": "GW-200", "unit_price": "1100.00"},
                                       {"sku": "SN-1", "unit_price": "9.5"}]}
ROLES = ("rep", "manager", "auditor", "integrator", "admin")


def _as(api: Api, role: str) -> dict[str, str]:
    if role not in ("rep", "manager"):
        return api.token(role)
    hired = api.sales.reps.hire(ctx(), name=f"A {role}", email=f"{role}-{api.events()}@example.com",
                                role=role, team="north", region="north")
    return api.token(role, str(hired.stream_id))


def _stock(api: Api) -> None:
    for sku, price in (("GW-200", "1200.00"), ("SN-1", "10.00"), ("CB-9", "100.00")):
        api.sales.stock.register(ctx(), sku=sku, name=sku, base_price=Decimal(price))
        api.sales.stock.receive(ctx(), sku, quantity=100)


def _send(api: Api, method: str, path: str, body: dict[str, Any],
          role: str | dict[str, str] = "admin") -> Any:
    """``role``: a role (hired now if a rep or manager) or the headers of one hired before."""
    headers = _as(api, role) if isinstance(role, str) else role
    return api.client.request(method, path, json=body, headers=headers)


def _ok(answer: Any, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    return dict(answer.json())


def _customer(api: Api, region: str) -> str:
    rep = str(api.sales.reps.hire(ctx(), name="Ann", email=f"ann-{api.events()}@example.com",
                                  role="rep", team=region, region=region).stream_id)
    return str(api.sales.accounts.open(ctx(), name="Acme", region=region, owner_id=rep).stream_id)


def _order(api: Api, account_id: str, **body: Any) -> dict[str, Any]:
    return _ok(_send(api, "POST", "/v1/orders", {"account_id": account_id, **body}), 201)


# --- price lists -----------------------------------------------------------------------------

def test_an_admin_sets_a_price_list_and_every_role_reads_it(api: Api):
    _stock(api)
    answer = _ok(_send(api, "PUT", "/v1/price-lists/north", NORTH))
    assert answer == {"region": "north", "version": 1, "position": api.events()}
    for role in ROLES:
        assert _ok(api.client.get("/v1/price-lists/north", headers=_as(api, role))) == {
            "region": "north", "currency": "EUR", "version": 1,
            "prices": [{"sku": "GW-200", "unit_price": "1100.00"},
                       {"sku": "SN-1", "unit_price": "9.50"}]}
    missing = api.client.get("/v1/price-lists/south", headers=_as(api, "rep"))
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


@pytest.mark.parametrize("role", ["rep", "manager", "auditor", "integrator"])
def test_only_an_admin_writes_prices_and_promotions(api: Api, role: str):
    _stock(api)
    caller = _as(api, role)
    before = api.events()
    promotion = {"name": "p", "percent": "5", "valid_from": "2027-01-01",
                 "valid_to": "2027-01-31"}
    for method, path, body in (("PUT", "/v1/price-lists/north", NORTH),
                               ("POST", "/v1/promotions", promotion)):
        refused = _send(api, method, path, body, caller)
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden"), path
    assert api.events() == before


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [({"prices": [{"sku": "GW-200", "unit_price": "1"}, {"sku": "NO-1", "unit_price": "1"}]},
      404, "prices.1.sku"),
     ({"prices": [{"sku": "GW-200", "unit_price": "0"}]}, 422, "prices.0.unit_price"),
     ({"prices": [{"sku": "GW-200", "unit_price": "9.999"}]}, 422, "prices.0.unit_price"),
     ({"currency": "EURO"}, 422, "currency"),
     ({"prices": [{"sku": "SN-1", "unit_price": "1"}, {"sku": "SN-1", "unit_price": "2"}]},
      409, "prices.1.sku")],
    ids=["unknown-sku", "zero", "fraction-of-cent", "currency", "sku-twice"],
)
def test_a_bad_price_list_names_the_field_and_writes_nothing(api: Api, change: dict[str, Any],
                                                             status: int, field: str):
    _stock(api)
    before = api.events()
    refused = _send(api, "PUT", "/v1/price-lists/north", {**NORTH, **change})
    assert (refused.status_code, refused.json()["fields"]) == (status, [field])
    assert api.events() == before


def test_orders_afterwards_are_priced_by_the_list_in_its_currency(api: Api):
    _stock(api)
    _ok(_send(api, "PUT", "/v1/price-lists/north", NORTH))
    _ok(_send(api, "PUT", "/v1/price-lists/west", {
        "currency": "usd", "prices": [{"sku": "GW-200", "unit_price": "1350.00"}]}))
    north = _order(api, _customer(api, "north"), lines=[{"sku": "GW-200", "quantity": 2},
                                                        {"sku": "CB-9", "quantity": 1}])
    assert (north["currency"], north["total"]) == ("EUR", "2300.00")  # 2 x 1100 + 100
    assert [(x["unit_price"], x["price_rule"]) for x in north["lines"]] == [
        ("1100.00", "price_list:north"), ("100.00", "base_price")]

    west = _customer(api, "west")
    in_dollars = _order(api, west, lines=[{"sku": "GW-200", "quantity": 10}])
    assert (in_dollars["currency"], in_dollars["total"]) == ("USD", "13095.00")  # 1350 - 3 %
    assert in_dollars["lines"][0]["price_rule"] == "price_list:west+volume_break:10+(-3%)"
    assert _ok(api.client.get(f"/v1/orders/{in_dollars['id']}",
                              headers=api.token("admin")))["currency"] == "USD"
    refused = _send(api, "POST", "/v1/orders", {"account_id": west, "currency": "USD",
                                                "lines": [{"sku": "SN-1", "quantity": 1}]})
    assert (refused.status_code, refused.json()["fields"]) == (409, ["lines.0.sku"])


# --- promotions ------------------------------------------------------------------------------

def _promotion(name: str, percent: str, skus: list[str], starts: date, ends: date) -> dict:
    return {"name": name, "percent": percent, "skus": skus, "valid_from": starts.isoformat(),
            "valid_to": ends.isoformat()}


def test_a_promotion_applies_inside_its_window_and_not_outside(api: Api):
    _stock(api)
    yesterday, tomorrow = TODAY - timedelta(days=1), TODAY + timedelta(days=1)
    now = _ok(_send(api, "POST", "/v1/promotions",
                    _promotion("now", "12.5", ["CB-9"], yesterday, tomorrow)), 201)
    later = _ok(_send(api, "POST", "/v1/promotions",
                      _promotion("later", "50", [], tomorrow, tomorrow + timedelta(days=9))), 201)
    assert now["position"] < later["position"] == api.events()

    placed = _order(api, _customer(api, "north"), lines=[{"sku": "CB-9", "quantity": 2},
                                                         {"sku": "SN-1", "quantity": 1}])
    assert [(x["unit_price"], x["price_rule"]) for x in placed["lines"]] == [
        ("87.50", "base_price+promotion:now(-12.5%)"), ("10.00", "base_price")]
    listed = _ok(api.client.get("/v1/promotions", headers=_as(api, "rep")))["items"]
    assert listed == [
        {"id": now["id"], "name": "now", "percent": "12.5", "skus": ["CB-9"],
         "valid_from": yesterday.isoformat(), "valid_to": tomorrow.isoformat(), "in_force": True},
        {"id": later["id"], "name": "later", "percent": "50", "skus": [],
         "valid_from": tomorrow.isoformat(), "valid_to": (tomorrow + timedelta(days=9)).isoformat(),
         "in_force": False}]


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [(_promotion("p", "0", [], date(2027, 1, 1), date(2027, 1, 2)), 422, "invalid_input",
      "percent"),
     (_promotion("p", "100.5", [], date(2027, 1, 1), date(2027, 1, 2)), 422, "invalid_input",
      "percent"),
     (_promotion("p", "10", ["NO-1"], date(2027, 1, 1), date(2027, 1, 2)), 404, "not_found",
      "skus.0"),
     (_promotion("p", "10", [], date(2027, 1, 2), date(2027, 1, 1)), 409, "rule_violation",
      "valid_to"),
     (_promotion("Taken", "10", [], date(2027, 1, 1), date(2027, 1, 2)), 409, "already_exists",
      None)],
    ids=["zero", "above-100", "unknown-sku", "window", "name-taken"],
)
def test_a_bad_promotion_is_refused_naming_the_field(api: Api, body: dict, status: int,
                                                     code: str, field: str | None):
    _stock(api)
    _ok(_send(api, "POST", "/v1/promotions",
              _promotion("taken", "10", [], date(2027, 1, 1), date(2027, 1, 2))), 201)
    before = api.events()
    refused = _send(api, "POST", "/v1/promotions", body)
    assert (refused.status_code, refused.json()["code"]) == (status, code)
    assert refused.json()["fields"] == ([field] if field else [])
    assert api.events() == before


def test_a_quote_is_priced_by_list_and_promotion_in_the_deals_currency(api: Api):
    _stock(api)
    _ok(_send(api, "PUT", "/v1/price-lists/west", {
        "currency": "USD", "prices": [{"sku": "SN-1", "unit_price": "12.00"}]}))
    _ok(_send(api, "POST", "/v1/promotions",
              _promotion("fair", "25", ["SN-1"], TODAY, TODAY)), 201)
    account = _customer(api, "west")
    owner = api.sales.accounts.get(account).owner_id
    deal = _ok(_send(api, "POST", "/v1/opportunities", {
        "account_id": account, "owner_id": owner, "name": "Sensors", "amount": "900",
        "currency": "USD", "expected_close": "2027-06-30"}), 201)["id"]
    quote = _ok(_send(api, "POST", f"/v1/opportunities/{deal}/quotes", {
        "lines": [{"sku": "SN-1", "quantity": 4}], "valid_until": "2027-01-31"}), 201)
    assert (quote["currency"], quote["total"]) == ("USD", "36.00")  # 4 x (12.00 - 25 %)
    assert quote["lines"][0]["price_rule"] == "price_list:west+promotion:fair(-25%)"


# --- campaigns -------------------------------------------------------------------------------

CAMPAIGN = {"name": "Fair", "channel": "event", "cost": "3000.00", "currency": "EUR",
            "starts": "2026-10-01", "ends": "2026-10-31"}


def _lead(api: Api, n: int, **fields: Any) -> dict[str, Any]:
    return _send(api, "POST", "/v1/leads", {"person": f"P {n}", "company": f"Firm {n}",
                                            "email": f"p{n}@firm{n}.example", "channel": "event",
                                            **fields})


def test_campaigns_cost_per_lead_and_per_won_deal(api: Api):
    fair = _ok(_send(api, "POST", "/v1/campaigns", CAMPAIGN), 201)
    ads = _ok(_send(api, "POST", "/v1/campaigns", {**CAMPAIGN, "name": "Ads", "cost": "100.50",
                                                   "currency": "USD", "channel": "social"}), 201)
    leads = [_ok(_lead(api, n, campaign_id=fair["id"]), 201)["id"] for n in range(4)]
    _ok(_lead(api, 9, channel="social", campaign_id=ads["id"]), 201)
    rep = str(api.sales.reps.hire(ctx(), name="Ann", email="ann@example.com", role="rep",
                                  team="north", region="north").stream_id)
    api.sales.leads.assign(ctx(), leads[0], rep_id=rep)
    deal = api.sales.conversion.convert(ctx(), leads[0], amount=Decimal(20000)).opportunity_id
    api.sales.opportunities.change_stage(ctx(), deal, stage="closed_won")

    answer = _ok(api.client.get("/v1/campaigns", params={"min_position": api.events()},
                                headers=api.token("auditor")))
    assert [(c["name"], c["leads"], c["won_deals"], c["cost_per_lead"], c["cost_per_won_deal"])
            for c in answer["items"]] == [("Ads", 1, 0, "100.50", None),
                                          ("Fair", 4, 1, "750.00", "3000.00")]
    assert [(t["currency"], t["cost"]) for t in answer["totals"]] == [("EUR", "3000.00"),
                                                                     ("USD", "100.50")]
    channels = _ok(api.client.get("/v1/activities/channels", params={
        "min_position": api.events()}, headers=api.token("integrator")))["items"]
    event = next(c for c in channels if c["channel"] == "event")
    assert (event["cost"], event["cost_currency"], event["cost_per_lead"],
            event["cost_per_won_deal"]) == ("3000.00", "EUR", "750.00", "3000.00")


def test_campaigns_are_registered_by_admins_and_their_figures_read_by_read_all_roles(api: Api):
    callers = {role: _as(api, role) for role in ("rep", "manager", "auditor", "integrator")}
    before = api.events()
    for role, caller in callers.items():
        refused = _send(api, "POST", "/v1/campaigns", CAMPAIGN, caller)
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden"), role
        if role in ("rep", "manager"):
            assert api.client.get("/v1/campaigns", headers=caller).status_code == 403
    assert api.events() == before
    assert api.client.get("/v1/campaigns", headers=api.token("admin")).json() == {
        "items": [], "totals": []}


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [({"cost": "-1"}, 422, "cost"), ({"currency": "EU"}, 422, "currency"),
     ({"channel": "billboard"}, 422, "channel"), ({"ends": "2026-09-30"}, 409, "ends")],
)
def test_a_bad_campaign_names_the_field(api: Api, change: dict, status: int, field: str):
    before = api.events()
    refused = _send(api, "POST", "/v1/campaigns", {**CAMPAIGN, **change})
    assert (refused.status_code, refused.json()["fields"]) == (status, [field])
    assert api.events() == before


def test_a_lead_naming_an_unknown_campaign_is_refused(api: Api):
    before = api.events()
    refused = _lead(api, 1, campaign_id="0b7d5bd4-3f8e-4c61-9a3c-2f1f6e0d6a11")
    assert (refused.status_code, refused.json()["code"]) == (404, "not_found")
    assert api.events() == before
    fair = _ok(_send(api, "POST", "/v1/campaigns", {**CAMPAIGN, "cost": "0"}), 201)["id"]
    lead = _ok(_lead(api, 2, campaign_id=fair), 201)["id"]
    assert _ok(api.client.get(f"/v1/leads/{lead}", headers=api.token("admin")))[
        "campaign_id"] == fair
