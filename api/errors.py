"""Errors to HTTP, in one place: 401, 403, 404, 409 {code, detail}, 422 naming the fields,
503 for the database's errors as ``infra`` names them (never a driver's: ``infra.sql.failures``)."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from domain.errors import DomainError, NotFoundError, ValidationError
from infra.errors import DatabaseUnavailableError, ReadModelMissingError


class ErrorBody(BaseModel):
    code: str
    detail: str
    fields: list[str] = []


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None,
                 fields: list[str] | None = None):
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers
        self.fields = fields


def unauthorized(detail: str = "a valid bearer token is required") -> ApiError:
    return ApiError(401, "unauthorized", detail, {"WWW-Authenticate": "Bearer"})


def forbidden(detail: str) -> ApiError:
    return ApiError(403, "forbidden", detail)


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def body(code: str, detail: str, fields: list[str] | None = None) -> dict[str, Any]:
    return {"code": code, "detail": detail, "fields": fields or []}


def _field_of(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = [("body" if e["type"] == "json_invalid" else _field_of(tuple(e["loc"])), e["msg"])
                for e in error.errors()]  # a JSON syntax error's location is a character offset
    detail = "; ".join(f"{field}: {message}" for field, message in problems)
    if any(e["type"] == "json_invalid" for e in error.errors()):  # unparsable: 400, not 422
        return JSONResponse(body("invalid_json", detail, ["body"]), status_code=400)
    return JSONResponse(body("invalid_input", detail, [f for f, _ in problems]), status_code=422)


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    if isinstance(error, ValidationError):
        return JSONResponse(body(error.code, error.detail, [error.field]), status_code=422)
    field = getattr(error, "field", None)  # a RuleViolationError names the field it refuses
    if isinstance(error, NotFoundError):  # an UnknownReferenceError names its field too
        return JSONResponse(body("not_found", error.detail, [field] if field else None),
                            status_code=404)
    return JSONResponse(body(error.code, error.detail, [field] if field else None),
                        status_code=409)


async def _api_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    fields = error.fields or ([error.detail.split(":", 1)[0]] if error.status == 422 else [])
    return JSONResponse(body(error.code, error.detail, fields), status_code=error.status,
                        headers=error.headers)


async def _model_not_built(request: Request, error: Exception) -> JSONResponse:
    """A read model's tables do not exist before its first build (a fresh start)."""
    assert isinstance(error, ReadModelMissingError)
    return JSONResponse(body("not_ready", "read models are still being built; retry shortly"),
                        status_code=503, headers={"Retry-After": "1"})


async def _stalled(request: Request, error: Exception) -> JSONResponse:
    """A bounded wait on the database ran out (statement or lock timeout, no connection in
    time, a locked SQLite file): 503, retry later (``SFA_DB_*`` settings)."""
    assert isinstance(error, DatabaseUnavailableError)
    return JSONResponse(body("database_unavailable", error.detail),
                        status_code=503, headers={"Retry-After": "2"})


def install(app: FastAPI) -> None:
    app.add_exception_handler(ReadModelMissingError, _model_not_built)
    app.add_exception_handler(DatabaseUnavailableError, _stalled)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(ApiError, _api_error)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No token, or an unknown or revoked one"},
    403: {"model": ErrorBody, "description": "The caller's role may not do this at all"},
    404: {"model": ErrorBody, "description": "Unknown id, or not visible to the caller"},
    409: {"model": ErrorBody, "description": "Conflict or business-rule violation (see code)"},
    422: {"model": ErrorBody, "description": "Invalid input; fields names each invalid field"},
    503: {"model": ErrorBody, "description": "The database did not answer in time (code "
                                             "database_unavailable); retry after the "
                                             "Retry-After header's seconds"},
}
QUERY_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    503: {"model": ErrorBody, "description": "`not_caught_up`: read models not at min_position "
                                             "in time. `read_model_upgrading`: an upgrade's "
                                             "rebuild of this query's read model is not done "
                                             "yet. `read_model_failed`: an event stopped "
                                             "this query's read model (the detail names it). "
                                             "`database_unavailable`: the database did not "
                                             "answer in time. Retry after the Retry-After "
                                             "header's seconds"},
}
