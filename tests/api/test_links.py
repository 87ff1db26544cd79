"""The OpenAPI links (``api.links``): each create names the operations that take what it
answers, with expressions that resolve against the document (schemathesis' stateful phase and
generated clients follow them)."""

from typing import Any

import pytest

from api.app import create_app
from infra.settings import Settings

DOCUMENT = create_app(Settings(database_url="sqlite:///:memory:")).openapi()
OPERATIONS = {op["operationId"]: (method, path, op) for path, methods in DOCUMENT["paths"].items()
              for method, op in methods.items()}


def _links() -> list[tuple[str, str, dict[str, Any]]]:
    return [(f"{method.upper()} {path}", status, link)
            for path, methods in DOCUMENT["paths"].items() for method, op in methods.items()
            for status, answer in op["responses"].items()
            for link in answer.get("links", {}).values()]


def _target(source: str, target: str) -> dict[str, Any]:
    """The link from ``source`` to ``target`` ("/path", or "GET /path" where the path has
    several operations)."""
    method, _, target_path = target.rpartition(" ")
    found = [link for s, _, link in _links() if s == source
             and OPERATIONS[link["operationId"]][1] == target_path
             and (not method or OPERATIONS[link["operationId"]][0] == method.lower())]
    assert len(found) >= 1, f"no link from {source} to {target}"
    return found[0]


def test_every_link_names_an_operation_and_parameters_it_has():
    links = _links()
    assert len(links) > 60
    for source, status, link in links:
        method, path, target = OPERATIONS[link["operationId"]]
        assert status.startswith("2"), source
        taken = {f"{p['in']}.{p['name']}" for p in target.get("parameters", [])}
        assert set(link.get("parameters", {})) <= taken, (source, path)
        needed = {f"path.{p['name']}" for p in target.get("parameters", []) if p["in"] == "path"}
        assert needed <= set(link.get("parameters", {})), (source, path)


@pytest.mark.parametrize(("source", "target", "expected"), [
    ("POST /v1/reps", "POST /v1/accounts", {"requestBody": {"owner_id": "$response.body#/id"}}),
    ("POST /v1/reps", "GET /v1/accounts", {"parameters": {"query.owner_id": "$response.body#/id"}}),
    ("POST /v1/reps", "/v1/reps/{rep_id}", {"parameters": {"path.rep_id": "$response.body#/id"}}),
    ("POST /v1/accounts", "/v1/accounts/{account_id}/timeline",
     {"parameters": {"path.account_id": "$response.body#/id"}}),
    ("POST /v1/accounts", "POST /v1/opportunities",
     {"requestBody": {"account_id": "$response.body#/id"}}),
    ("POST /v1/stock-items", "/v1/stock-items/{sku}/adjustments",
     {"parameters": {"path.sku": "$response.body#/sku"}}),
    ("POST /v1/stock-items", "POST /v1/orders",
     {"requestBody": {"lines": [{"sku": "$response.body#/sku", "quantity": 1}]}}),
    ("POST /v1/accounts/{account_id}/contacts", "/v1/accounts/{account_id}/contacts/{contact_id}",
     {"parameters": {"path.account_id": "$request.path.account_id",
                     "path.contact_id": "$response.body#/id"}}),
])
def test_a_create_links_to_the_operations_taking_its_id(source: str, target: str,
                                                         expected: dict[str, Any]):
    link = _target(source, target)
    assert {key: link[key] for key in expected} == expected
