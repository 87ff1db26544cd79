"""The HTTP edge, before any route: the caller first, then a bounded body.

Two pure ASGI middlewares (Starlette's ``BaseHTTPMiddleware`` costs a task and a stream copy
per request). ``Authenticate`` answers 401 to a ``/v1`` request without a valid token before a
byte of its body is read, and hands the caller to the route (``api.deps.principal``).
``LimitBody`` answers 413 to a body above ``SFA_MAX_BODY_BYTES`` — at once from
``Content-Length``, else as soon as the chunks read pass the limit, reading no further — and
400 to one nesting deeper than ``MAX_JSON_DEPTH``, which the JSON parser would otherwise
recurse into (our bodies nest three levels at most).
"""

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import verify_token
from api.errors import body as error_body
from infra.access.tokens import Principal

MAX_JSON_DEPTH = 32
API_PREFIX = "/v1/"
_STRING_OR_BRACKET = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_OPENING = frozenset(b"[{")


async def send_error(send: Send, status: int, code: str, detail: str,
                     headers: dict[str, str] | None = None, fields: list[str] | None = None
                     ) -> None:
    """An error answer in the shape of every other (``api.errors.body``)."""
    data = json.dumps(error_body(code, detail, fields), separators=(",", ":")).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


def bearer_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            return None
    return None


class Authenticate:
    """``/v1`` answers only a known token; the principal goes into ``scope["state"]``.
    ``OPTIONS`` passes: it reads no body and tells only the methods the OpenAPI document
    publishes anyway."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or not scope["path"].startswith(API_PREFIX)
                or scope["method"] == "OPTIONS"):
            await self.app(scope, receive, send)
            return
        principal = await self._principal(scope)
        if principal is None:
            await send_error(send, 401, "unauthorized", "a valid bearer token is required",
                             {"WWW-Authenticate": "Bearer"})
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    @staticmethod
    async def _principal(scope: Scope) -> Principal | None:
        token = bearer_token(scope)
        return None if token is None else await verify_token(scope["app"].state.services, token)


class BodyTooLargeError(Exception):
    pass


class LimitBody:
    """Reads a request's body up to ``max_bytes`` and hands it on whole (FastAPI reads it
    whole anyway); above the limit it answers 413 without reading the rest."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._too_large(send)
            return
        try:
            data, ending = await self._read(receive)
        except BodyTooLargeError:
            await self._too_large(send)
            return
        if json_depth_exceeds(data, MAX_JSON_DEPTH):
            await send_error(send, 400, "invalid_json",
                             f"body: nested deeper than {MAX_JSON_DEPTH} levels", fields=["body"])
            return
        await self.app(scope, _replaying(data, ending, receive), send)

    async def _read(self, receive: Receive) -> tuple[bytes, Message | None]:
        """The body, and the message that ended it early (a disconnect), if any."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), message
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise BodyTooLargeError()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), None

    async def _too_large(self, send: Send) -> None:
        await send_error(send, 413, "body_too_large",
                         f"the request body exceeds {self.max_bytes} bytes",
                         {"Connection": "close"}, fields=["body"])


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _replaying(data: bytes, ending: Message | None, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return ending or {"type": "http.request", "body": data, "more_body": False}
        return await receive()  # afterwards only a disconnect can come

    return replay


def json_depth_exceeds(data: bytes, limit: int) -> bool:
    """Whether ``data`` nests more than ``limit`` arrays/objects. Counting brackets in C
    settles almost every body; only one with that many brackets is scanned (strings skipped)."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(data):
        token = match.group()
        if token[0] in _OPENING:
            depth += 1
            if depth > limit:
                return True
        elif token[0] != ord('"'):
            depth -= 1
    return False


def install(app: Any, max_body_bytes: int) -> None:
    """Outermost first: the caller before the body, the body before idempotency's read."""
    app.add_middleware(LimitBody, max_bytes=max_body_bytes)
    app.add_middleware(Authenticate)
