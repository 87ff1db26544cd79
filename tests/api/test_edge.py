"""HTTP edge: the token before the body, the body's size and depth, and one error shape (and
its documentation) for every layer's errors: 400, 401, 404, 405, 413, 500; OPTIONS."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.edge import MAX_JSON_DEPTH, json_depth_exceeds
from infra.settings import Settings

LIMIT = 4096
REP = {"name": "Anna", "email": "anna@example.com", "role": "rep", "team": "n", "region": "n"}


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=sqlite_url, max_body_bytes=LIMIT), run_projectors=False)

    @app.get("/v1/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("secret detail")

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def app(client: TestClient) -> FastAPI:
    found: FastAPI = client.app  # type: ignore[assignment]
    return found


@pytest.fixture
def admin(app: FastAPI) -> dict[str, str]:
    return {"Authorization": f"Bearer {app.state.services.tokens.create('admin')}"}


def error(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body = dict(answer.json())
    assert set(body) == {"code", "detail", "fields"} and body["code"] == code, body
    return body


def events(app: FastAPI) -> int:
    return int(app.state.services.sales.store.max_position())


class Exchange:
    """Drives the app at the ASGI level: counts the body messages it reads."""

    def __init__(self, app: FastAPI, headers: dict[str, str], chunks: int, chunk: bytes) -> None:
        self.app, self.chunks, self.chunk, self.read = app, chunks, chunk, 0
        self.scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                      "method": "POST", "scheme": "http", "path": "/v1/reps", "raw_path":
                      b"/v1/reps", "root_path": "", "query_string": b"", "server": ("t", 80),
                      "client": ("t", 1), "headers": [(k.lower().encode(), v.encode())
                                                      for k, v in headers.items()]}
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        self.read += 1
        return {"type": "http.request", "body": self.chunk, "more_body": self.read < self.chunks}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    def run(self, client: TestClient) -> tuple[int, dict[str, Any]]:
        assert client.portal is not None
        client.portal.call(self.app, self.scope, self.receive, self.send)
        return self.sent[0]["status"], json.loads(self.sent[1]["body"])


def test_without_a_valid_token_a_body_is_never_read(app: FastAPI, client: TestClient):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
        exchange = Exchange(app, {**headers, "Content-Length": str(100 << 20)}, 1000,
                            b"{" * 65536)
        status, body = exchange.run(client)
        assert (status, body["code"], exchange.read) == (401, "unauthorized", 0)


def test_a_body_over_the_limit_is_413_and_reading_stops_there(app: FastAPI, client: TestClient,
                                                              admin: dict[str, str]):
    declared = Exchange(app, {**admin, "Content-Length": str(LIMIT + 1)}, 10, b"x" * 1000)
    assert declared.run(client)[0] == 413 and declared.read == 0
    streamed = Exchange(app, admin, 1000, b"x" * 1000)  # chunked: no Content-Length
    status, body = streamed.run(client)
    assert (status, body["code"], body["fields"]) == (413, "body_too_large", ["body"])
    assert streamed.read == LIMIT // 1000 + 1


def test_refusals_at_the_edge_answer_the_error_shape_and_write_nothing(
        app: FastAPI, client: TestClient, admin: dict[str, str]):
    before = events(app)
    deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    json_headers = {"Content-Type": "application/json"}
    error(client.post("/v1/reps", content=deep, headers=json_headers), 401, "unauthorized")
    error(client.post("/v1/reps", content="{", headers=json_headers), 401, "unauthorized")
    error(client.post("/v1/reps", content=deep, headers={**admin, **json_headers}), 400,
          "invalid_json")
    error(client.post("/v1/reps", content='{"name":', headers={**admin, **json_headers}), 400,
          "invalid_json")
    error(client.post("/v1/reps", content="x" * (LIMIT + 1), headers=admin), 413,
          "body_too_large")
    assert events(app) == before
    allowed = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH  # deep enough, and only invalid
    error(client.post("/v1/reps", content=allowed, headers={**admin, **json_headers}), 422,
          "invalid_input")
    assert client.post("/v1/reps", json=REP, headers=admin).status_code == 201


def test_unknown_routes_are_404_in_the_error_shape(client: TestClient, admin: dict[str, str]):
    assert "GET /v1/nope" in error(client.get("/v1/nope", headers=admin), 404, "not_found")["detail"]
    error(client.get("/nope"), 404, "not_found")
    error(client.get("/v1/nope"), 401, "unauthorized")  # under /v1 the token comes first


def test_405_and_options_name_every_method_of_the_path(client: TestClient, admin: dict[str, str]):
    path = "/v1/accounts/a/contacts/c"  # PUT and DELETE, from two routes
    wrong = client.post(path, headers=admin)
    error(wrong, 405, "method_not_allowed")
    assert wrong.headers["Allow"] == "DELETE, OPTIONS, PUT"
    options = client.options(path)
    assert (options.status_code, options.headers["Allow"]) == (204, "DELETE, OPTIONS, PUT")
    assert client.options("/v1/reps").headers["Allow"] == "GET, OPTIONS, POST"
    assert client.options("/healthz").headers["Allow"] == "GET, OPTIONS"
    error(client.options("/nope"), 404, "not_found")


def test_an_unexpected_error_is_500_in_the_error_shape_without_its_details(
        client: TestClient, admin: dict[str, str]):
    body = error(client.get("/v1/boom", headers=admin), 500, "internal_error")
    assert "secret" not in body["detail"]


def test_every_operation_documents_its_errors_in_the_error_shape(client: TestClient):
    schema = client.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            expected = {"500", "503"} | ({"400", "413"} if "requestBody" in operation else set())
            expected |= {"401", "404", "422"} if path.startswith("/v1/") else set()
            responses = operation["responses"]
            assert expected <= set(responses), (method, path, expected - set(responses))
            for status, answer in responses.items():
                if int(status) >= 400 and "content" in answer:
                    assert answer["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/ErrorBody"}, (method, path, status)


@pytest.mark.parametrize(("text", "deeper"), [
    (b'{"a": [1, {"b": 2}]}', False),
    (b'"' + b"[" * 100 + b'"', False),  # brackets inside a string do not nest
    (b'["\\"' + b"[" * 40 + b'", 1]', False),  # an escaped quote ends no string
    (b'["\\"", ' + b"[" * 40 + b"]" * 40 + b"]", True),
    (b"[" * (MAX_JSON_DEPTH + 1), True),
    (b"[]" * 100, False),  # many brackets, shallow
    (b'{"a":' * MAX_JSON_DEPTH + b"1" + b"}" * MAX_JSON_DEPTH, False),
    (b'{"a":' * MAX_JSON_DEPTH + b"[1]" + b"}" * MAX_JSON_DEPTH, True),
])
def test_json_depth(text: bytes, deeper: bool):
    assert json_depth_exceeds(text, MAX_JSON_DEPTH) is deeper


def test_the_limit_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    assert Settings().max_body_bytes == 1_048_576
    monkeypatch.setenv("SFA_MAX_BODY_BYTES", "2048")
    assert Settings().max_body_bytes == 2048


@pytest.mark.parametrize(("header", "value", "field"), [
    ("X-Correlation-Id", "x" * 201, "x-correlation-id"),
    ("X-Correlation-Id", "a\x85b", "x-correlation-id"),
    ("If-Match", "a" * 41, "If-Match"),
    ("If-Match", "3", "If-Match"),  # a create has no version to match
    ("Idempotency-Key", "k" * 201, "idempotency-key"),
])
def test_a_retry_with_a_header_the_route_refuses_is_refused_not_replayed(
        client: TestClient, admin: dict[str, str], header: str, value: str, field: str) -> None:
    """A retry is answered before the route runs: its headers are checked first, as the route
    would check them (schemathesis found a replay taking an over-long X-Correlation-Id)."""
    keyed = {**admin, "Idempotency-Key": "hire-anna"}
    first = client.post("/v1/reps", json=REP, headers=keyed)
    sent = value.encode("latin-1")  # as on the wire: a C1 control is one byte
    retry = client.post("/v1/reps", json=REP, headers={**keyed, header: sent})  # type: ignore[dict-item]
    fresh = client.post("/v1/reps", json=REP, headers={**admin, header: sent})  # type: ignore[dict-item]
    assert first.status_code == 201, first.text
    assert (retry.status_code, retry.json()["fields"]) == (422, [field]), retry.text
    assert (fresh.status_code, fresh.json()["fields"]) == (422, [field]), fresh.text
    assert client.post("/v1/reps", json=REP, headers=keyed).json() == first.json()


def test_a_keyed_request_no_route_takes_answers_404_or_405_whatever_its_headers(
        client: TestClient, admin: dict[str, str]) -> None:
    keyed = {**admin, "Idempotency-Key": "k", "If-Match": "3"}
    path = "/v1/accounts/00000000-0000-0000-0000-000000000000/contacts/c-1"
    assert client.post(path, json={}, headers=keyed).status_code == 405
    assert client.post("/v1/nowhere", json={}, headers=keyed).status_code == 404
