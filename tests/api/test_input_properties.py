"""Arbitrary text, numbers, dates and ids at every operation of the OpenAPI document, on
SQLite and PostgreSQL (issue 16, acceptance): no answer is a server error, a refused request
writes nothing, and the read models are still at the head afterwards (a NUL that reached a
PostgreSQL read model would stop them all).

Driven by the document: every path, method, parameter and body field it lists is exercised,
so a new route is covered without a change here. Each request starts from valid values (the
body's documented example, ids of records that exist) and replaces one of them with an
arbitrary or hostile one; hypothesis draws them, derandomized so CI runs the same cases."""

import json
import time
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.deps import read_models_at
from tests.conftest import Api

EXAMPLES_PER_OPERATION = 5
NUL = "nul\x00name"
HOSTILE_TEXT = ["", " ", "\x00", "nul\x00name", "\x1b[31m", "x\x85", "\u00b2", "\u0663",
                "\ud800", "\ufeff", "x" * 100_001, "../../etc", "%00", "' OR 1=1 --"]
HOSTILE_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e400", "-1", "0", "1e3", "0.001",
                   "99999999999999999999", "1.5", 2**63, -(2**63) - 1, 10**30, 1e308, -0.0]
HOSTILE_DATES = ["0", "0001-01-01", "9999-12-31", "1900-01-01", "2100-01-01", "2026-02-30",
                 "2026-13-01", "1700000000", "2026-11-02T25:00:00", "2026-11-02T10:00:00+99:00"]
TEXT = st.text(st.characters(codec="utf-8"), max_size=30) | st.text(
    st.characters(max_codepoint=0x9f), max_size=8)  # controls, C1 included
HOSTILE = st.one_of(
    st.sampled_from(HOSTILE_TEXT + HOSTILE_NUMBERS + HOSTILE_DATES), TEXT,
    st.integers(), st.floats(), st.booleans(), st.none(), st.builds(lambda: str(uuid4())),
    st.lists(TEXT, max_size=3), st.lists(st.sampled_from(HOSTILE_TEXT), min_size=1, max_size=2),
    st.dictionaries(TEXT, TEXT, max_size=2))


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, methods in document["paths"].items()
            for method, operation in methods.items()]


class World:
    """Records that exist, so valid ids reach the code behind the checks."""

    def __init__(self, api: Api) -> None:
        self.api, self.admin = api, api.token("admin")
        post = api.client.post
        self.rep = self._id(post("/v1/reps", headers=self.admin, json={
            "name": "Mia", "email": "mia@example.com", "role": "manager", "team": "north",
            "region": "north"}))
        self.account = self._id(post("/v1/accounts", headers=self.admin, json={
            "name": "Acme", "region": "north", "owner_id": self.rep}))
        self.lead = self._id(post("/v1/leads", headers=self.admin, json={
            "person": "Ada", "company": "Ada Ltd", "email": "ada@example.com",
            "channel": "web_form"}))
        self.opportunity = self._id(post("/v1/opportunities", headers=self.admin, json={
            "account_id": self.account, "owner_id": self.rep, "name": "Deal",
            "amount": "1000.00", "expected_close": "2027-01-31"}))
        post("/v1/stock-items", headers=self.admin, json={
            "sku": "GW-200", "name": "Gateway", "base_price": "100.00"})
        post("/v1/stock-items/GW-200/receipts", headers=self.admin, json={"quantity": 100})
        self.order = self._id(post("/v1/orders", headers=self.admin, json={
            "account_id": self.account, "lines": [{"sku": "GW-200", "quantity": 1}]}))
        self.ids = [self.rep, self.account, self.lead, self.opportunity, self.order]

    @staticmethod
    def _id(answer: httpx.Response) -> str:
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def valid_path_value(self, name: str) -> str:
        by_name = {"rep_id": self.rep, "account_id": self.account, "lead_id": self.lead,
                   "opportunity_id": self.opportunity, "order_id": self.order, "sku": "GW-200"}
        return by_name.get(name, "c1")


def _with_known_ids(value: Any, world: World, draw: Any) -> Any:
    """The documented example, with its ids replaced by ids of existing records."""
    if isinstance(value, dict):
        return {k: _with_known_ids(v, world, draw) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_known_ids(v, world, draw) for v in value]
    if isinstance(value, str) and len(value) == 36 and value.count("-") == 4:
        return draw(st.sampled_from(world.ids))
    return value


@st.composite
def requests(draw: Any, document: dict[str, Any], method: str, path: str,
             operation: dict[str, Any], world: World) -> dict[str, Any]:
    """One request: valid values everywhere but in one place, which gets a hostile one."""
    params = [p for p in operation.get("parameters", []) if p["in"] in ("path", "query")]
    body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json")
    body = None
    if body_schema is not None:
        schema = _resolve(document, body_schema["schema"])
        body = _with_known_ids(dict((schema.get("examples") or [{}])[0]), world, draw)
    targets = [("param", p["name"]) for p in params] + [("header", h) for h in (
        "Idempotency-Key", "X-Correlation-Id", "If-Match")]
    if body is not None:
        fields = list(_resolve(document, body_schema["schema"]).get("properties", {}))
        targets += [("body", f) for f in fields] + [("whole body", "")]
    where, name = draw(st.sampled_from(targets))
    hostile = draw(HOSTILE)
    values = {p["name"]: world.valid_path_value(p["name"]) for p in params if p["in"] == "path"}
    query: dict[str, Any] = {}
    headers = dict(world.admin)
    if where == "param":
        values[name] = hostile if not isinstance(hostile, (list, dict)) else json.dumps(hostile)
    elif where == "header":
        headers[name] = str(hostile).replace("\r", "").replace("\n", "").encode(
            "utf-8", "surrogatepass")
    elif where == "body":
        body = {**(body or {}), name: hostile}
    else:
        body = hostile
    for param in params:
        if param["in"] == "query" and param["name"] in values:
            query[param["name"]] = str(values.pop(param["name"]))
    url = path.format(**{k: quote(str(v).encode("utf-8", "surrogatepass"), safe="")
                         for k, v in values.items()})
    return {"method": method.upper(), "url": url, "params": query, "headers": headers,
            "body": body, "where": f"{where} {name}"}


def _send(api: Api, request: dict[str, Any]) -> httpx.Response | None:
    content = None
    if request["body"] is not None or request["method"] in ("POST", "PUT"):
        content = json.dumps(request["body"], default=str).encode("utf-8", "surrogatepass")
    try:
        return api.client.request(request["method"], request["url"], params=request["params"],
                                  headers={**request["headers"], "Content-Type": "application/json"},
                                  content=content)
    except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeEncodeError):
        return None  # a request no client can send: not the server's concern


def _check_every_operation(api: Api, world: World) -> None:
    document = api.client.get("/openapi.json").json()
    operations = _operations(document)
    assert len(operations) > 60
    for method, path, operation in operations:

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
                  database=None, suppress_health_check=list(HealthCheck))
        @given(request=requests(document, method, path, operation, world))
        def no_server_error_and_no_write_on_refusal(request: dict[str, Any]) -> None:
            before = api.events()
            answer = _send(api, request)
            if answer is None:
                return
            assert answer.status_code < 500, (request, answer.text)
            if answer.status_code >= 400:
                assert api.events() == before, (request, answer.text)

        no_server_error_and_no_write_on_refusal()


def _nul_everywhere(value: Any) -> Any:
    """``value`` once per string in it (at any depth), with that one string made a NUL text;
    a list also once with a NUL item added."""
    if isinstance(value, str):
        yield NUL
    elif isinstance(value, dict):
        for key, inner in value.items():
            for changed in _nul_everywhere(inner):
                yield {**value, key: changed}
    elif isinstance(value, list):
        yield [*value, NUL]
        for index, inner in enumerate(value):
            for changed in _nul_everywhere(inner):
                yield [*value[:index], changed, *value[index + 1:]]


def _sweep_nul_through_every_field(api: Api, world: World) -> int:
    """Deterministic part: a NUL in each string of each documented body example, in each
    optional text field the example leaves out, and in each path and query parameter."""
    document, sent = api.client.get("/openapi.json").json(), 0
    for method, path, operation in _operations(document):
        for request in _nul_requests(document, method, path, operation, world):
            before = api.events()
            answer = _send(api, request)
            assert answer is not None and answer.status_code == 422, (request, answer)
            assert api.events() == before
            sent += 1
    return sent


def _nul_requests(document: dict[str, Any], method: str, path: str, operation: dict[str, Any],
                  world: World) -> Any:
    params = [p for p in operation.get("parameters", []) if p["in"] in ("path", "query")]
    valid = {p["name"]: world.valid_path_value(p["name"]) for p in params if p["in"] == "path"}
    base = {"method": method.upper(), "params": {}, "headers": dict(world.admin), "body": None}
    body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json")
    body: dict[str, Any] | None = None
    if body_schema is not None:
        schema = _resolve(document, body_schema["schema"])
        body = _with_known_ids(dict((schema.get("examples") or [{}])[0]), world,
                               lambda _: world.account)
        texts = [name for name, field in schema.get("properties", {}).items()
                 if name not in body and "string" in json.dumps(field)]
        variants = list(_nul_everywhere(body)) + [{**body, name: NUL} for name in texts]
        for variant in variants:
            yield {**base, "url": _url(path, valid), "body": variant}
    for param in params:
        if param["in"] == "path":
            yield {**base, "url": _url(path, {**valid, param["name"]: NUL}), "body": body}
        elif _resolve(document, param["schema"]).get("type") != "boolean":
            yield {**base, "url": _url(path, valid), "params": {param["name"]: NUL},
                   "body": body}


def _url(path: str, values: dict[str, str]) -> str:
    return path.format(**{k: quote(v, safe="") for k, v in values.items()})


def _read_models_reach(api: Api, head: int, seconds: float = 30) -> int:
    serving = api.client.app.state.services.serving  # type: ignore[attr-defined]
    deadline = time.monotonic() + seconds
    while (at := read_models_at(serving)) < head and time.monotonic() < deadline:
        time.sleep(0.05)
    return at


def test_arbitrary_input_at_every_operation_is_refused_cleanly(api: Api):
    world = World(api)
    assert _sweep_nul_through_every_field(api, world) > 200
    _check_every_operation(api, world)

    head = api.events()
    assert _read_models_reach(api, head) == head
    health = api.client.get("/healthz").json()
    assert {p["status"] for p in health["projections"].values()} == {"active"}
    assert [p["last_error"] for p in health["projections"].values() if p["last_error"]] == []
