"""OpenAPI links: which answer's id another operation takes, stated in the document.

A client (or schemathesis' stateful phase) reads from them that ``POST /v1/reps`` answers the
``id`` that ``POST /v1/accounts`` takes as ``owner_id`` and ``GET /v1/reps/{rep_id}`` as
``rep_id``. They are derived in one place from two tables — what each create answers, and the
names under which operations take each kind of record — rather than written per route, so a
new route that names a record the usual way is linked without a change here.
"""

from typing import Any

from fastapi import FastAPI

# The creates, by method and path: the status they answer, and for each kind of record they
# produce, the field of the answer that holds its id.
PRODUCERS: dict[tuple[str, str], tuple[str, dict[str, str]]] = {
    ("post", "/v1/reps"): ("201", {"rep": "id"}),
    ("post", "/v1/leads"): ("201", {"lead": "id"}),
    ("post", "/v1/accounts"): ("201", {"account": "id"}),
    ("post", "/v1/opportunities"): ("201", {"opportunity": "id"}),
    ("post", "/v1/orders"): ("201", {"order": "id"}),
    ("post", "/v1/stock-items"): ("201", {"sku": "sku"}),
    ("post", "/v1/campaigns"): ("201", {"campaign": "id"}),
    ("post", "/v1/accounts/{account_id}/contacts"): ("201", {"contact": "id"}),
    ("post", "/v1/leads/{lead_id}/convert"): ("201", {
        "account": "account_id", "opportunity": "opportunity_id", "contact": "contact_id"}),
}
# The names under which a path, query parameter or body field takes each kind.
TAKEN_AS: dict[str, tuple[str, ...]] = {
    "rep": ("rep_id", "owner_id", "manager_id", "successor_id"),
    "lead": ("lead_id",), "account": ("account_id",), "opportunity": ("opportunity_id",),
    "order": ("order_id",), "sku": ("sku",), "contact": ("contact_id",),
    "campaign": ("campaign_id",),
}
KIND_OF = {name: kind for kind, names in TAKEN_AS.items() for name in names}


def add_links(document: dict[str, Any]) -> dict[str, Any]:
    """Adds to each create's answer a link to every operation taking what it produced."""
    operations = [(method, path, operation) for path, methods in document["paths"].items()
                  for method, operation in methods.items()]
    schemas = document.get("components", {}).get("schemas", {})
    for (method, path), (status, produced) in PRODUCERS.items():
        source = document["paths"][path][method]
        links = source["responses"][status].setdefault("links", {})
        for target_method, target_path, target in operations:
            if (target_method, target_path) == (method, path):
                continue
            link = _link(path, produced, target, _properties(target, schemas))
            if link is not None:
                links[target["operationId"]] = link
    return document


def _link(source_path: str, produced: dict[str, str], target: dict[str, Any],
          fields: dict[str, Any]) -> dict[str, Any] | None:
    """The link from a create at ``source_path`` to ``target``, if every path parameter of
    the target can be filled (from the answer, or from the create's own path) and at least one
    value comes from the answer."""
    parameters: dict[str, str] = {}
    from_answer = False
    for parameter in target.get("parameters", []):
        where, name = parameter["in"], parameter["name"]
        expression = _expression(name, produced)
        if expression is None and where == "path" and f"{{{name}}}" in source_path:
            expression = f"$request.path.{name}"
        elif expression is not None and where in ("path", "query"):
            from_answer = True
        if expression is None and where == "path":
            return None
        if expression is not None and where in ("path", "query"):
            parameters[f"{where}.{name}"] = expression
    body = _body(fields, produced)
    if not from_answer and not body:
        return None
    link: dict[str, Any] = {"operationId": target["operationId"]}
    if parameters:
        link["parameters"] = parameters
    if body:
        link["requestBody"] = body  # merged into a generated body
    return link


def _expression(name: str, produced: dict[str, str]) -> str | None:
    field = produced.get(KIND_OF.get(name, ""))
    return None if field is None else f"$response.body#/{field}"


def _body(fields: dict[str, Any], produced: dict[str, str]) -> dict[str, Any]:
    """The body fields that take what was produced; a SKU goes into one line of ``lines``."""
    body: dict[str, Any] = {}
    for name in fields:
        expression = _expression(name, produced)
        if expression is not None:
            body[name] = expression
    if "lines" in fields and "sku" in produced:
        body["lines"] = [{"sku": f"$response.body#/{produced['sku']}", "quantity": 1}]
    return body


def _properties(operation: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """The top-level fields of the operation's JSON body (none without one)."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = content.get("schema", {})
    while "$ref" in schema:
        schema = schemas.get(schema["$ref"].rsplit("/", 1)[1], {})
    found: dict[str, Any] = schema.get("properties", {})
    return found


def install(app: FastAPI) -> None:
    build = app.openapi
    linked: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        document = build()
        if not linked:
            linked.append(add_links(document))
        return linked[0]

    app.openapi = openapi  # type: ignore[method-assign]
