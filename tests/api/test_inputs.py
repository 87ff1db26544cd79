"""The input rules of ``api.inputs``: stated for every field and parameter of the OpenAPI
document, enforced exactly as documented, and never letting a control character, a far date or
an unreadable number reach the store (issue 16, findings 1, 6, 7, 8, 12)."""

import re
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from api import inputs
from api.app import create_app
from infra.settings import Settings
from tests.conftest import Api, ctx

DOCUMENT = create_app(Settings(database_url="sqlite:///:memory:")).openapi()
NUL_TEXT = "a\x00b"


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _leaves(schema: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every scalar schema inside ``schema`` (through refs, anyOf, arrays and objects)."""
    schema = _resolve(schema)
    if "anyOf" in schema:
        for option in schema["anyOf"]:
            yield from _leaves(option, where)
    elif schema.get("type") == "array":
        yield where, schema
        yield from _leaves(schema["items"], f"{where}[]")
    elif schema.get("type") == "object" or "properties" in schema:
        for name, inner in schema.get("properties", {}).items():
            yield from _leaves(inner, f"{where}.{name}")
    else:
        yield where, schema


def _inputs() -> Iterator[tuple[str, dict[str, Any]]]:
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                yield from _leaves(parameter["schema"],
                                   f"{method} {path} {parameter['in']}:{parameter['name']}")
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                yield from _leaves(body["schema"], f"{method} {path} body")


def _unruled(where: str, schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if kind == "null" or kind == "boolean" or "enum" in schema or "const" in schema:
        return None
    if kind == "string":
        pattern = schema.get("pattern")
        if pattern is None or "maxLength" not in schema and schema.get("format") not in (
                "date", "date-time"):
            return f"{where}: a string without maxLength and pattern"
        if re.fullmatch(pattern, "a\x00") or re.fullmatch(pattern, "\x00"):
            return f"{where}: its pattern lets NUL through"
        return None
    if kind in ("integer", "number"):
        low = "minimum" in schema or "exclusiveMinimum" in schema
        high = "maximum" in schema or "exclusiveMaximum" in schema
        return None if low and high else f"{where}: a number without both bounds"
    if kind == "array":
        return None if "maxItems" in schema else f"{where}: a list without maxItems"
    return f"{where}: an input of no known kind ({schema})"


def test_every_body_field_path_query_and_header_parameter_states_its_rules():
    """The next new field cannot forget the rules: a string needs a length bound and a pattern
    that refuses NUL, a number both bounds, a list a size bound."""
    checked = list(_inputs())
    assert len(checked) > 300  # the walk reaches the fields, not only the operations
    assert [p for p in (_unruled(w, s) for w, s in checked) if p] == []


def test_record_ids_are_uuids_and_skus_have_a_pattern_in_the_document():
    found = {where: schema for where, schema in _inputs() if schema.get("type") != "null"}
    chosen_by_clients = ("contact_id", "follow_up_id", "interaction_id", "quote_id",
                         "shipment_id", "invoice_id")
    uuid_params = [w for w in found if re.search(r"[:.]\w+_id$", w)
                   and not w.endswith(chosen_by_clients)]
    assert len(uuid_params) > 50
    assert {(found[w]["format"], found[w]["pattern"]) for w in uuid_params} == {
        ("uuid", inputs.UUID_PATTERN)}
    sku_params = [w for w in found if w.endswith("path:sku") or w.endswith(".sku")]
    assert len(sku_params) >= 8
    assert {found[w]["pattern"] for w in sku_params} == {inputs.SKU_PATTERN}


TYPES = {"Name": inputs.Name, "Note": inputs.Note, "Reference": inputs.Reference,
         "Sku": inputs.Sku, "RecordId": inputs.RecordId, "Day": inputs.Day,
         "Instant": inputs.Instant, "Email": inputs.Email}
TEXT = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", " ", "\t", "a\nb", "\ufeff", "x\x85", "2026-02-01", "2000-01-01", "1999-12-31",
     "0", "GW-1", str(uuid4()), str(uuid4()).upper(), "2026-02-29", "2028-02-29", "2026-04-31",
     "2026-11-02T25:00", "2026-11-02 10:00", "2026-11-02T10:00:60Z", "2026-11-02T10:00+0530",
     "2026-11-02T10:00:00.1234567", "2099-12-31T23:59:59.999999-23:59", "anna@example.com",
     "John <j@x.com>", "j@localhost", "a@[1.2.3.4]", '"a b"@x.com', "\u00fc@x.de", "a@-x.com",
     "a.b+c@x-y.co.uk"]) | st.dates().map(str) | st.datetimes().map(str) | st.emails()


def _accepts(kind: Any, value: Any) -> bool:
    try:
        TypeAdapter(kind).validate_python(value)
        return True
    except ValidationError:
        return False


@pytest.mark.parametrize("name", sorted(TYPES))
@settings(max_examples=150, deadline=None, derandomize=True)
@given(value=TEXT)
def test_a_text_is_accepted_exactly_when_it_matches_the_documented_pattern(name: str, value: str):
    kind = TYPES[name]
    schema = TypeAdapter(kind).json_schema()
    documented = bool(re.fullmatch(schema["pattern"], value)) and len(value) <= schema.get(
        "maxLength", 10**6) and len(value) >= schema.get("minLength", 0)
    assert _accepts(kind, value) == documented  # 2026-02-30 included: the pattern knows months


@settings(max_examples=200, deadline=None, derandomize=True)
@given(value=st.decimals(allow_nan=True, allow_infinity=True).map(str)
       | st.from_regex(r"\A[0-9.eE+-]{1,16}\Z"))
def test_an_amount_is_accepted_exactly_when_it_matches_the_documented_pattern(value: str):
    documented = re.fullmatch(inputs.Decimals(12, 2).pattern, value) is not None
    assert _accepts(inputs.Money, value) == documented


@pytest.mark.parametrize(("value", "accepted"), [
    ("3", 3), ('"3"', 3), ('W/"12"', 12), ("\u00b2", None), ("\u0663", None), ("3 ", 3),
    ("-1", None), ("1" * 19, None), ("", None)])
def test_if_match_takes_ascii_digits_only(value: str, accepted: int | None):
    from api.deps import version_in
    from api.errors import ApiError

    if accepted is None:
        with pytest.raises(ApiError) as refused:
            version_in(value)
        assert (refused.value.status, refused.value.detail.split(":")[0]) == (422, "If-Match")
    else:
        assert version_in(value) == accepted


def _refused(answer: Any, field: str) -> None:
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["fields"], answer.json()


def _world(api: Api) -> dict[str, Any]:
    admin = api.token("admin")
    rep = api.client.post("/v1/reps", headers=admin, json={
        "name": "Mia", "email": "mia@example.com", "role": "manager", "team": "north",
        "region": "north"}).json()["id"]
    account = api.client.post("/v1/accounts", headers=admin, json={
        "name": "Acme", "region": "north", "owner_id": rep}).json()["id"]
    return {"admin": admin, "rep": rep, "account": account}


def test_control_characters_are_refused_in_bodies_lists_paths_queries_and_headers(api: Api):
    w = _world(api)
    admin, before = w["admin"], api.events()
    lead = {"person": "Ada", "company": "Ada Ltd", "email": "ada@example.com",
            "channel": "web_form"}
    post = api.client.post
    _refused(post("/v1/accounts", headers=admin, json={
        "name": "nul\u0000name", "region": "north", "owner_id": w["rep"]}), "name")
    _refused(post("/v1/leads", headers=admin, json={**lead, "company": NUL_TEXT}), "company")
    _refused(post("/v1/leads", headers=admin, json={**lead, "interests": ["ok", NUL_TEXT]}),
             "interests.1")
    _refused(post("/v1/leads", headers=admin, json={**lead, "interests": ["x" * 1_000_000]}),
             "interests.0")
    _refused(post("/v1/leads", headers=admin, json={**lead, "interests": ["x"] * 21}),
             "interests")
    _refused(post("/v1/stock-items", headers=admin, json={
        "sku": "S\u00001", "name": "Sensor", "base_price": "1.00"}), "sku")
    _refused(post(f"/v1/accounts/{w['account']}/interactions", headers=admin, json={
        "kind": "call", "notes": "two\nlines\tand a bell \x07"}), "notes")
    for header in ("Idempotency-Key", "X-Correlation-Id"):
        _refused(post("/v1/leads", headers={**admin, header: b"k\xc2\x85ey"}, json=lead),
                 header.lower())
    _refused(post(f"/v1/accounts/{w['account']}/owner", json={"owner_id": w["rep"]},
                  headers={**admin, "If-Match": b"\xb2"}), "If-Match")
    assert api.events() == before
    get = api.client.get
    _refused(get("/v1/inventory/%00", headers=admin), "sku")
    _refused(get("/v1/inventory/%00/movements", headers=admin), "sku")
    _refused(get("/v1/funnel", params={"region": "\x00"}, headers=admin), "region")
    _refused(get("/v1/forecast", params={"team": "t\x1b[31m"}, headers=admin), "team")
    _refused(get("/v1/accounts/%00", headers=admin), "account_id")
    _refused(get("/v1/handovers/%00", headers=admin), "rep_id")
    notes = post(f"/v1/accounts/{w['account']}/interactions", headers=admin,
                 json={"kind": "call", "notes": "two\nlines\tand a tab"})
    assert notes.status_code == 200  # free text keeps its line breaks and tabs


def test_far_dates_numeric_instants_and_unreadable_amounts_are_refused(api: Api):
    w = _world(api)
    admin, before = w["admin"], api.events()
    deal = {"account_id": w["account"], "owner_id": w["rep"], "name": "Deal",
            "amount": "1000.00", "expected_close": "2027-01-31"}
    for far in ("0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01", 0, "0", 1700000000):
        _refused(api.client.post("/v1/opportunities", headers=admin,
                                 json={**deal, "expected_close": far}), "expected_close")
    for amount in ("NaN", "Infinity", "-1", "0", "1e3", "1234567890123.00", "1.001", True):
        _refused(api.client.post("/v1/opportunities", headers=admin,
                                 json={**deal, "amount": amount}), "amount")
    for as_of in ("0", "1700000000", "9999-01-01", "0001-01-01T00:00:00"):
        _refused(api.client.get("/v1/opportunities/stuck", params={"as_of": as_of},
                                headers=admin), "as_of")
        _refused(api.client.get("/v1/forecast", params={"as_of": as_of[:10]}, headers=admin),
                 "as_of")
    _refused(api.client.get("/v1/performance", params={"period": "0000-01"}, headers=admin),
             "period")
    assert api.events() == before
    opened = api.client.post("/v1/opportunities", headers=admin, json={**deal, "amount": 999.5})
    assert (opened.status_code, api.events()) == (201, before + 1)


def test_the_domain_refuses_control_characters_whoever_calls_it(api: Api):
    """The CLI, the demo and flows call the services without the API: the domain's own checks
    (``require_text``) and the check of every decided event (``domain.storable``) hold there."""
    from domain.errors import ValidationError as Refused

    sales, before = api.sales, api.events()
    with pytest.raises(Refused, match="name: contains the control character U\\+0000"):
        sales.reps.hire(ctx(), name=NUL_TEXT, email="a@example.com", role="rep", team="t",
                        region="r")
    with pytest.raises(Refused, match="interests.1: contains the control character U\\+0000"):
        sales.leads.capture(ctx(), person="Ada", company="Ada", email="ada@example.com",
                            channel="web_form", interests=("ok", NUL_TEXT))
    with pytest.raises(Refused, match="sku"):
        sales.stock.register(ctx(), sku="S 1", name="Sensor", base_price=1, reorder_level=0)
    assert api.events() == before
