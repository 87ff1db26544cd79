"""The HTTP layer's own errors in the one error shape, and every error in the OpenAPI document.

Starlette and FastAPI answer an unknown route (404), a wrong method (405) or a body they
cannot parse (400) with ``{"detail": ...}``, and an unexpected exception with plain text:
here they answer ``{"code", "detail", "fields"}`` like every other error (``api.errors``).
A 405 names in ``Allow`` every method of the path, not only those of the first route that
matched it, and ``OPTIONS`` answers 204 with the same ``Allow``.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from api.errors import ErrorBody, body

log = logging.getLogger(__name__)
CODES = {400: "invalid_json", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 413: "body_too_large"}
DETAILS = {404: "no such route", 405: "this path does not take this method"}


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes on this path, and ``OPTIONS``."""
    methods = {"OPTIONS"}
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    status, headers = error.status_code, dict(error.headers or {})
    if status == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=headers)
    if status in DETAILS:
        detail = f"{DETAILS[status]}: {request.method} {request.url.path}"
    else:
        detail = str(error.detail)
    fields = ["body"] if status in (400, 413) else []
    return JSONResponse(body(CODES.get(status, f"http_{status}"), detail, fields),
                        status_code=status, headers=headers)


async def _server_error(request: Request, error: Exception) -> Response:
    """The last resort: the details go to the log, never to the caller."""
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return JSONResponse(body("internal_error", "an unexpected error occurred; it was logged"),
                        status_code=500)


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/ErrorBody"}}}}


ANY_OPERATION = {
    "500": _error("Unexpected server error (logged)"),
    "503": _error("The store or the read models cannot answer now; retry after the "
                  "Retry-After header's seconds"),
}
WITH_BODY = {
    "400": _error("The body is not JSON, or nests deeper than 32 levels"),
    "413": _error("The body exceeds SFA_MAX_BODY_BYTES (1 MiB by default)"),
}
API_OPERATION = {
    "401": _error("No token, or an unknown or revoked one (checked before the body is read)"),
    "404": _error("Unknown id, or not visible to the caller"),
    "422": _error("Invalid input; fields names each invalid field"),
}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Adds to every operation the error answers every layer may give it, and says of
    headers what HTTP allows: absent or a string, never ``null``."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorBody", ErrorBody.model_json_schema())
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            operation["parameters"] = _headers_as_sent(path, operation.get("parameters", []))
            if not operation["parameters"]:
                del operation["parameters"]
            responses = operation.setdefault("responses", {})
            extra = {**ANY_OPERATION, **(WITH_BODY if "requestBody" in operation else {}),
                     **(API_OPERATION if path.startswith("/v1/") else {})}
            for status, answer in extra.items():
                responses.setdefault(status, answer)
    return schema


def _headers_as_sent(path: str, parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An optional header is absent or a string, never ``null``; a create (a path naming no
    record) takes no ``If-Match`` (it would answer 422: there is no version to match)."""
    kept = []
    for parameter in parameters:
        if parameter["in"] == "header":
            if parameter["name"] == "if-match" and "{" not in path:
                continue
            options = parameter["schema"].pop("anyOf", None)
            if options is not None:
                parameter["schema"].update(next(o for o in options if o.get("type") != "null"))
        kept.append(parameter)
    return kept


def install(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _server_error)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
