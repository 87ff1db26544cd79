"""``Idempotency-Key`` on any POST of the API (``/v1/``): a retry returns the first answer and
writes nothing new.

A retry is answered before any route runs, so the headers every command route checks
(``Idempotency-Key``, ``X-Correlation-Id``, ``If-Match``: ``api.deps.command``) are checked
here first, by the same rules: a retry with a header the route would refuse is refused (422)
as the route would refuse it, never replayed (path and body are the same as the first time's).

A request holds its key under a lease it renews while it runs; a retry after the lease of a
dead process ran out takes the key over and runs again, marked (``TAKEN_OVER``) so that the
command side answers from what the dead process may already have stored."""

import asyncio
import hashlib
import json
import math
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import TypeAdapter
from pydantic import ValidationError as InvalidValue
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import TAKEN_OVER, version_in
from api.edge import API_PREFIX, send_error
from api.errors import ApiError
from api.errors import body as error_body
from api.inputs import HeaderText
from infra.access.idempotency import Claim, IdempotencyStore


def scope_key_of(authorization: bytes, path: str, key: bytes) -> str:
    """A key is the caller's (by token) and the route's: others may use the same one."""
    auth = hashlib.sha256(authorization).hexdigest()[:32]
    return f"{auth}:{path}:{key.decode(errors='replace')}"

_HEADER_TEXT: TypeAdapter[str] = TypeAdapter(HeaderText)


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        key = headers.get(b"idempotency-key")
        # the API's POSTs only: the console's forms answer with redirects, nothing to replay
        if (scope["type"] != "http" or scope["method"] != "POST" or not key
                or not scope["path"].startswith(API_PREFIX)):
            await self.app(scope, receive, send)
            return
        refused = header_refusal(scope)
        if refused is not None:
            fields = refused.fields or [refused.detail.split(":", 1)[0]]
            await send_error(send, refused.status, refused.code, refused.detail, fields=fields)
            return
        body = await _read_body(receive)
        scope_key = scope_key_of(headers.get(b"authorization", b""), scope["path"], key)
        store = self._store(scope)
        claim = await run_in_threadpool(store.claim, scope_key, hashlib.sha256(body).hexdigest())
        if claim.outcome == "done" and claim.answer is not None:
            await _send_json(send, claim.answer[0], claim.answer[1])
        elif claim.outcome == "mismatch":
            await _send_json(send, 409, error_body(
                "idempotency_key_reused", "this Idempotency-Key was used for another request"))
        elif claim.outcome == "pending":
            await _send_json(send, 409, error_body(
                "request_in_progress", "a request with this Idempotency-Key is running"),
                [(b"retry-after", str(max(1, math.ceil(claim.retry_after))).encode())])
        else:
            if claim.outcome == "taken_over":
                scope.setdefault("state", {})[TAKEN_OVER] = True
            await self._first_time(scope, body, send, store, scope_key, claim)

    @staticmethod
    def _store(scope: Scope) -> IdempotencyStore:
        store: IdempotencyStore = scope["app"].state.services.idempotency  # infra.bootstrap.Root
        return store

    async def _first_time(self, scope: Scope, body: bytes, send: Send, store: IdempotencyStore,
                          scope_key: str, claim: Claim) -> None:
        captured: dict[str, Any] = {"status": 500, "chunks": []}

        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
            elif message["type"] == "http.response.body":
                captured["chunks"].append(message.get("body", b""))
            await send(message)

        claimant = claim.claimant or ""
        try:
            await _while_renewing(self.app(scope, replay, capture), store.lease / 3,
                                  lambda: store.renew(scope_key, claimant))
        finally:
            status = captured["status"]
            if 200 <= status < 300:
                payload = json.loads(b"".join(captured["chunks"]) or b"null")
                await run_in_threadpool(store.complete, scope_key, status, payload)
            else:
                await run_in_threadpool(store.release, scope_key, claimant, status < 500)


async def _while_renewing(work: Awaitable[None], every: float,
                          renew: Callable[[], bool]) -> None:
    """Runs ``work``, renewing the claim's lease every ``every`` seconds meanwhile."""

    async def keep_renewing() -> None:
        while True:
            await asyncio.sleep(every)
            await run_in_threadpool(renew)

    renewal = asyncio.create_task(keep_renewing())
    try:
        await work
    finally:
        renewal.cancel()


async def _read_body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _send_json(send: Send, status: int, payload: Any,
                     extra_headers: list[tuple[bytes, bytes]] | None = None) -> None:
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()  # as the first
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"idempotent-replayed", b"true" if status < 300 else b"false"),
                            *(extra_headers or [])]})
    await send({"type": "http.response.body", "body": data})


def header_refusal(scope: Scope) -> ApiError | None:
    """What the command route would answer to this request's headers, if it refuses them (a
    request no route takes is left to the app's 404 or 405)."""
    path_params = _path_params(scope)
    if path_params is None:
        return None
    headers = Headers(scope=scope)
    for name in ("idempotency-key", "x-correlation-id"):
        if name in headers:
            try:
                _HEADER_TEXT.validate_python(headers[name])
            except InvalidValue as invalid:
                message = invalid.errors()[0]["msg"]
                return ApiError(422, "invalid_input", f"{name}: {message}", fields=[name])
    if "if-match" in headers:
        try:
            version_in(headers["if-match"])
        except ApiError as refused:
            return refused
        if not path_params:
            return ApiError(422, "invalid_input", "If-Match: a create has no version to match; "
                            "send it without If-Match", fields=["If-Match"])
    return None


def _path_params(scope: Scope) -> dict[str, Any] | None:
    """The path parameters of the route that takes this request; None if none takes it."""
    for route in scope["app"].router.routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            return dict(child.get("path_params") or {})
    return None
