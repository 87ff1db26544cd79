"""Every request answers within a bound, even when the database stalls.

The database's own bounds (statement and lock timeouts, the pools' wait for a connection:
``SFA_DB_*``) end most waits with an error, answered 503 with ``Retry-After`` (here for
errors raised outside the routes, in ``api.errors`` for the routes'). A server that stops
answering altogether (frozen, its host unreachable) cannot cancel anything itself, and a
driver waits on its socket for good: so a request still unanswered after
``SFA_REQUEST_TIMEOUT`` seconds (``/healthz``: ``SFA_HEALTH_TIMEOUT``) is answered 503 here,
while its work goes on in the background until the database answers (its own answer is
then dropped). A command answered so may still be stored: its ``Idempotency-Key`` makes
the retry safe.
"""

import asyncio
import json
import logging
import math
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import body
from infra.errors import DatabaseUnavailableError
from infra.settings import Settings

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 2
HEALTH_PATHS = ("/healthz",)


class BoundedWaitMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def limit(self, scope: Scope) -> float:
        if scope["path"] in HEALTH_PATHS:
            return self.settings.health_timeout
        return self.settings.request_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Runs the request in its own task as it is, with a timer beside it (no extra task
        and wait per request on the hot path). When the timer fires before the answer
        started, the 503 is sent from a task of its own and the request's late answer is
        dropped; the request runs on until the database answers (under uvicorn the client
        has its 503 at once; its connection stays busy until then)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = {"started": False, "answered": False}

        async def guarded(message: Message) -> None:
            if state["answered"]:
                return  # answered 503 already: the late answer has nowhere to go
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        limit = self.limit(scope)
        loop = asyncio.get_running_loop()
        timer = loop.call_later(limit, self._expire, send, state, limit)
        try:
            await self._answering_stalls(scope, receive, guarded, state)
        except Exception as error:
            if not state["answered"]:
                raise
            log.warning("a request answered 503 (timeout) failed later: %r", error)
        finally:
            timer.cancel()

    @staticmethod
    def _expire(send: Send, state: dict[str, bool], limit: float) -> None:
        if state["started"] or state["answered"]:
            return
        state["answered"] = True
        answer = asyncio.ensure_future(
            send_unavailable(send, f"the database did not answer within {limit:g} s"))
        answer.add_done_callback(_log_late_failure)

    async def _answering_stalls(self, scope: Scope, receive: Receive, send: Send,
                                state: dict[str, bool]) -> None:
        """Runs the request; a bounded wait that ran out outside a route is a 503 too."""
        try:
            await self.app(scope, receive, send)
        except Exception as error:
            if state["started"] or not isinstance(error, DatabaseUnavailableError):
                raise
            await send_unavailable(send, error.detail)


async def send_unavailable(send: Send, detail: str) -> None:
    payload = json.dumps(body("database_unavailable", detail)).encode()
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"application/json"),
                            (b"retry-after", str(math.ceil(RETRY_AFTER_SECONDS)).encode())]})
    await send({"type": "http.response.body", "body": payload})


def _log_late_failure(work: "asyncio.Future[Any]") -> None:
    if not work.cancelled() and work.exception() is not None:
        log.warning("the 503 of a request past its bound was not sent: %r", work.exception())
